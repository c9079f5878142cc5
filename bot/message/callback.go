package message

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/smsbot/smsbot/smsapi"
)

// What a button asks for: the first field of its callback data.
const (
	ActRefresh    = "r" // show the card again
	ActWatch      = "w" // watch the order (send me the code)
	ActStop       = "s" // stop watching
	ActRefundAsk  = "f" // ask before a refund
	ActRefund     = "F" // the refund, confirmed
	ActAnotherSMS = "a" // ask SMSOnline for another SMS
	ActBuyAsk     = "b" // ask before buying the same again
	ActBuy        = "B" // the purchase, confirmed
	ActCancel     = "n" // no: back to the card
)

// MaxCallbackData is Telegram's limit on a button's callback data, in bytes.
const MaxCallbackData = 64

// nonceLen is the length of a purchase confirmation's nonce: 6 random bytes,
// base64url.
const nonceLen = 8

// Callback is what one button asks for. Its data is
// "<action>:<ownerId>:<orderId>" followed by optional fields: "p" when the
// button is on a push (its answer is a new message: a push may hold the
// codes of other orders and is never edited), "m<cents>" for a purchase's
// ceiling and "k<nonce>" for the confirmation a purchase belongs to. Cards
// made before the owner was named carry "<action>:<orderId>" (Owner 0).
type Callback struct {
	Action   string
	Owner    int64 // the Telegram user the card was made for; only they may press
	OrderID  string
	FromPush bool
	MaxPrice int64  // cents; 0 for none
	Nonce    string // ActBuy: the confirmation's nonce, the purchase's key
}

// Data renders c as callback data; "" when it would not fit in Telegram's 64
// bytes (an order id that long gets no such button) or the order id is not
// one.
func (c Callback) Data() string {
	if smsapi.ValidateOrderID(c.OrderID) != nil {
		return "" // no button for an id the bot would not take back
	}
	var sb strings.Builder
	sb.WriteString(c.Action + ":" + strconv.FormatInt(c.Owner, 10) + ":" + c.OrderID)
	if c.FromPush {
		sb.WriteString(":p")
	}
	if c.MaxPrice > 0 {
		sb.WriteString(":m" + strconv.FormatInt(c.MaxPrice, 10))
	}
	if c.Nonce != "" {
		sb.WriteString(":k" + c.Nonce)
	}
	if sb.Len() > MaxCallbackData {
		return ""
	}
	return sb.String()
}

// ParseCallback reads a button's callback data; ok is false for data the
// bot never made.
func ParseCallback(data string) (c Callback, ok bool) {
	parts := strings.Split(data, ":")
	switch {
	case len(parts) == 2:
		c = Callback{Action: parts[0], OrderID: parts[1]}
		if c.Action != ActRefresh && c.Action != ActWatch && c.Action != ActStop {
			return Callback{}, false // old cards had only these
		}
	case len(parts) >= 3 && len(parts) <= 6:
		owner, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || owner <= 0 {
			return Callback{}, false
		}
		c = Callback{Action: parts[0], Owner: owner, OrderID: parts[2]}
		if !c.readFields(parts[3:]) {
			return Callback{}, false
		}
	default:
		return Callback{}, false
	}
	if !knownAction(c.Action) || smsapi.ValidateOrderID(c.OrderID) != nil {
		return Callback{}, false
	}
	if c.Action == ActBuy && (c.Nonce == "" || c.MaxPrice == 0) {
		return Callback{}, false // a purchase is always a confirmed one
	}
	return c, true
}

// readFields reads the optional fields, each at most once and in order.
func (c *Callback) readFields(fields []string) bool {
	seen := ""
	for _, f := range fields {
		if f == "" || strings.Contains(seen, f[:1]) {
			return false
		}
		seen += f[:1]
		switch f[0] {
		case 'p':
			if f != "p" {
				return false
			}
			c.FromPush = true
		case 'm':
			n, err := strconv.ParseInt(f[1:], 10, 64)
			if err != nil || n <= 0 || n > MaxBuyCeiling.Cents || strconv.FormatInt(n, 10) != f[1:] {
				return false
			}
			c.MaxPrice = n
		case 'k':
			if !validNonce(f[1:]) {
				return false
			}
			c.Nonce = f[1:]
		default:
			return false
		}
	}
	return true
}

func knownAction(a string) bool {
	switch a {
	case ActRefresh, ActWatch, ActStop, ActRefundAsk, ActRefund, ActAnotherSMS, ActBuyAsk, ActBuy, ActCancel:
		return true
	}
	return false
}

// NewNonce returns a fresh confirmation nonce. Each buy confirmation the bot
// shows gets one; it is the key of the purchase it confirms, so pressing one
// confirmation twice buys once, and "Try again" (a new nonce) buys again.
func NewNonce() string {
	var b [6]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func validNonce(s string) bool {
	if len(s) != nonceLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// MaxBuyCeiling is the highest ceiling a purchase may have: a number costs
// cents, and a typo must not spend a balance.
var MaxBuyCeiling = smsapi.Cents(100_00)
