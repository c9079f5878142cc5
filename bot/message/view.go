package message

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What the texts show, as the caller hands it over: the bot converts what
// SMSOnline and the store say into these (bot/internal/view), so this
// package renders and knows neither.

// Money is an amount of US dollars held in cents. Valid is false when the
// amount is unknown (SMSOnline left it out or sent something unreadable).
type Money struct {
	Cents int64
	Valid bool
}

// Cents returns the valid amount of n cents.
func Cents(n int64) Money { return Money{Cents: n, Valid: true} }

// String formats m as "$5.00", "$0.16", "-$1.50" or "$1,234.50"; it returns
// "" when m is not Valid. A text shows money with Lang.Money, which groups
// the digits as its language does.
func (m Money) String() string { return m.format(",") }

// format is String with thousands between every three digits of dollars.
func (m Money) format(thousands string) string {
	if !m.Valid {
		return ""
	}
	sign, n := "", uint64(m.Cents)
	if m.Cents < 0 {
		sign, n = "-", -n // two's complement: right for math.MinInt64 too
	}
	return fmt.Sprintf("%s$%s.%02d", sign, groupThousands(strconv.FormatUint(n/100, 10), thousands), n%100)
}

// groupThousands puts sep between every three digits from the right.
func groupThousands(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(digits[:head])
	for i := head; i < len(digits); i += 3 {
		b.WriteString(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// State is what an order's status means for someone waiting for an SMS; the
// caller decides it (SMSOnline's status words are its business).
type State int

const (
	StateWaiting  State = iota // no SMS yet and not ended: the card shows the time left
	StateReceived              // the SMS arrived
	StateFinal                 // ended without an SMS (cancelled, refunded, expired)
)

// Order is what a card shows of one rented number.
type Order struct {
	ID          string
	Service     string // e.g. "Discord"
	Country     string // e.g. "United States"
	Carrier     string // e.g. "any"
	PhoneNumber string
	Price       Money
	Status      string // the status word as SMSOnline gave it
	State       State
	SMS         string    // the code or the whole text; "" when none
	ExpiresAt   time.Time // zero when unknown
	// RuleAt is when the user's rule for numbers that get no SMS acts on
	// this one, zero when it will not (off, kept, not watched); the card
	// says so while the order waits. RuleReplaces says the rule buys a new
	// number then, not only refunds this one.
	RuleAt       time.Time
	RuleReplaces bool
	// Favourite says the order's offer (service · country · carrier) is
	// one of its owner's favourites: the card's star button removes it
	// rather than adds it.
	Favourite bool
}

// HasSMS reports whether an SMS arrived for o.
func (o Order) HasSMS() bool { return o.SMS != "" }

// Watch is a watched order as /orders and a push show it: the last snapshot
// the watcher kept.
type Watch struct {
	OrderID     string
	Owner       int64 // the Telegram user it is watched for
	Paused      bool
	Service     string
	PhoneNumber string
	Status      string    // the status word as SMSOnline gave it
	State       State     // what Status means, as for Order
	ExpiresAt   time.Time // zero when unknown
}

// Balance is the money side of an account, as /balance shows it.
type Balance struct {
	Amount       Money
	TotalCharges Money  // the total topped up so far
	DiscountRate string // e.g. "-20%"
	Discounts    []DiscountTier
}

// DiscountTier is one discount: from a total top-up of From on, Label.
type DiscountTier struct {
	From  Money
	Label string // e.g. "-20%"
}

// Coupon is an unused discount coupon, as /topup lists it.
type Coupon struct {
	Code       string
	Percentage int    // the discount, e.g. 10 for 10 %
	TargetPay  string // what it applies to, e.g. "crypto"
}

// Favourite is one of a user's favourite offers, as /favourites lists it.
type Favourite struct {
	ID      int64  // the store's id: what its buttons name
	Service string // e.g. "Discord"
	Country string // e.g. "United States"
	Carrier string // e.g. "any"
	Price   Money  // the last price
	Max     Money  // the ceiling the user last confirmed for it; invalid when none
}

// ErrorKind is the kind of an SMSOnline failure, as far as the user's answer
// differs by it.
type ErrorKind int

const (
	ErrorUnknown        ErrorKind = iota // no kind the API names: the generic answer
	ErrorOrderNotFound                   // the order is not on the account
	ErrorBadCredentials                  // the key was refused
	ErrorRateLimited                     // too many requests; see APIFailure.RetryAfter
	ErrorTransient                       // SMSOnline is down for now
	ErrorMalformed                       // SMSOnline's answer was unreadable
	ErrorRejected                        // SMSOnline refused the request
	ErrorInvalidInput                    // the input (an order id) is not one
)

// APIFailure is an SMSOnline failure as the user is told about it.
type APIFailure struct {
	Kind       ErrorKind
	RetryAfter time.Duration // ErrorRateLimited: the wait SMSOnline asked for; 0 = none given
}

// validOrderID reports whether id is 1 to 64 characters of A-Z, a-z, 0-9,
// '_' or '-': the order ids SMSOnline takes (smsapi.ValidateOrderID, kept in
// step by a test), the only ones callback data may name.
func validOrderID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}
