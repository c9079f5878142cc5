package smsapitest

import (
	"slices"
	"strings"
	"time"
)

// Status words the fake server uses. StatusWaiting is its word for an order
// that has no SMS yet; the real API does not document one.
const (
	StatusWaiting   = "pending"
	StatusCompleted = "completed"
	StatusCancelled = "cancelled"
	StatusExpired   = "expired"
	StatusRefunded  = "refunded"
)

// timeLayout is the documented time format of the API, always UTC.
const timeLayout = "2006-01-02 15:04:05"

// Order is an order as the server reports it: the documented order object's
// fields. Its times are real times; the server sends them shifted by its
// clock skew (see SetClockSkew).
type Order struct {
	ID          string // orderId
	ServiceCode string // sShort
	CountryCode string // cShort
	Country     string
	Service     string
	Carrier     string
	PhoneNumber string
	Price       int64  // purchasePrice
	Status      string // status
	SMS         string // receivedSMS

	OrderedAt     time.Time
	ExpiresAt     time.Time // expiredAt; once past, a waiting order reads "expired"
	LastCheckedAt time.Time // set to the time of every order call
}

// NewOrder returns an order like the documentation's example, waiting for its
// SMS: Discord in the United States, phone 1234567890, price 16, ordered now
// and expiring in 20 minutes (UTC, whole seconds).
func NewOrder(id string) Order {
	now := time.Now().UTC().Truncate(time.Second)
	return Order{
		ID:          id,
		ServiceCode: "ds",
		CountryCode: "12",
		Country:     "United States",
		Service:     "Discord",
		Carrier:     "any",
		PhoneNumber: "1234567890",
		Price:       16,
		Status:      StatusWaiting,
		OrderedAt:   now,
		ExpiresAt:   now.Add(20 * time.Minute),
	}
}

type orderKey struct{ userID, orderID string }

// order is an Order with the SMS scripted to appear later.
type order struct {
	Order
	scheduled []scheduledSMS // sorted by at
}

type scheduledSMS struct {
	at   time.Time
	text string
}

// AddOrder adds o to userID's account, replacing an order with the same ID.
// An unknown userID gets an account without a key (see SetKey).
func (s *Server) AddOrder(userID string, o Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addOrder(userID, o)
}

// addOrder is AddOrder with s.mu held.
func (s *Server) addOrder(userID string, o Order) {
	k := orderKey{userID, o.ID}
	if old := s.orders[k]; old != nil {
		old.Order, old.scheduled = o, nil
		return
	}
	acc := s.account(userID)
	acc.orders = append(acc.orders, o.ID)
	s.orders[k] = &order{Order: o}
}

// Order returns the order as a request arriving now would see it.
func (s *Server) Order(userID, orderID string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[orderKey{userID, orderID}]
	if o == nil {
		return Order{}, false
	}
	o.advance(time.Now())
	return o.Order, true
}

// UpdateOrder calls fn on the stored order, under the server's lock: fn must
// not call the Server. The ID cannot be changed. An unknown order fails the
// test.
func (s *Server) UpdateOrder(userID, orderID string, fn func(*Order)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.find(userID, orderID, "UpdateOrder"); o != nil {
		o.advance(time.Now())
		fn(&o.Order)
		o.ID = orderID
	}
}

// DeliverSMS makes text the order's received SMS and its status "completed".
// A second call is a second SMS: the text is replaced, as the API does after a
// "new SMS" request.
func (s *Server) DeliverSMS(userID, orderID, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.find(userID, orderID, "DeliverSMS"); o != nil {
		o.advance(time.Now())
		o.deliver(text)
	}
}

// SetStatus sets the order's status word, such as "cancelled" or "expired".
func (s *Server) SetStatus(userID, orderID, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.find(userID, orderID, "SetStatus"); o != nil {
		o.advance(time.Now())
		o.Status = status
	}
}

// ScheduleSMS delivers text as DeliverSMS does, but only to requests arriving
// at or after at. Nothing runs at that time: the order is brought up to date
// when it is next read. A scripted SMS applies even after the order expired.
func (s *Server) ScheduleSMS(userID, orderID string, at time.Time, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.find(userID, orderID, "ScheduleSMS"); o != nil {
		i, _ := slices.BinarySearchFunc(o.scheduled, at, func(e scheduledSMS, t time.Time) int {
			if e.at.After(t) {
				return 1
			}
			return -1 // equal times keep the order they were scheduled in
		})
		o.scheduled = slices.Insert(o.scheduled, i, scheduledSMS{at, text})
	}
}

// find returns the order or fails the test; s.mu is held. It uses Errorf, not
// Fatalf, because scripts may run outside the test goroutine.
func (s *Server) find(userID, orderID, method string) *order {
	o := s.orders[orderKey{userID, orderID}]
	if o == nil {
		s.tb.Helper()
		s.tb.Errorf("smsapitest: %s: no order %q for user %q", method, orderID, userID)
	}
	return o
}

// advance applies what has come due by now: scheduled SMS, then expiry of an
// order still waiting.
func (o *order) advance(now time.Time) {
	n := 0
	for n < len(o.scheduled) && !o.scheduled[n].at.After(now) {
		o.deliver(o.scheduled[n].text)
		n++
	}
	if n > 0 {
		o.scheduled = slices.Delete(o.scheduled, 0, n)
	}
	if !o.ExpiresAt.IsZero() && !now.Before(o.ExpiresAt) && isWaiting(o.Status) {
		o.Status = StatusExpired
	}
}

func (o *order) deliver(text string) {
	o.Status, o.SMS = StatusCompleted, text
}

// isWaiting reports whether status is none of the words an order ends with.
func isWaiting(status string) bool {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "completed", "complete", "cancelled", "canceled", "refunded", "expired":
		return false
	}
	return true
}

// orderWire is the documented order object.
type orderWire struct {
	SShort        string `json:"sShort"`
	CShort        string `json:"cShort"`
	OrderID       string `json:"orderId"`
	Country       string `json:"country"`
	Service       string `json:"service"`
	Carrier       string `json:"carrier"`
	PhoneNumber   string `json:"phoneNumber"`
	PurchasePrice int64  `json:"purchasePrice"`
	Status        string `json:"status"`
	ReceivedSMS   string `json:"receivedSMS"`
	OrderedAt     string `json:"orderedAt"`
	ExpiredAt     string `json:"expiredAt"`
	LastCheckedAt string `json:"lastCheckedAt"`
}

// SetClockSkew makes the clock that stamps orders read d ahead of ours (d < 0:
// behind), as when SMSOnline's clock or time zone differs: from now on every
// order time the server sends (orderedAt, expiredAt, lastCheckedAt and a
// purchase's expiredAtUTC) is shifted by d, of bought and added orders alike.
// Orders still expire at their real ExpiresAt, which is when the skewed
// expiredAt comes by the server's own clock, so d never expires one early or
// late. Invoice and coupon times are not shifted.
func (s *Server) SetClockSkew(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clockSkew = d
}

// wire is the order as sent by a server whose clock reads skew ahead of ours.
func (o *order) wire(skew time.Duration) orderWire {
	return orderWire{
		SShort:        o.ServiceCode,
		CShort:        o.CountryCode,
		OrderID:       o.ID,
		Country:       o.Country,
		Service:       o.Service,
		Carrier:       o.Carrier,
		PhoneNumber:   o.PhoneNumber,
		PurchasePrice: o.Price,
		Status:        o.Status,
		ReceivedSMS:   o.SMS,
		OrderedAt:     formatSkewed(o.OrderedAt, skew),
		ExpiredAt:     formatSkewed(o.ExpiresAt, skew),
		LastCheckedAt: formatSkewed(o.LastCheckedAt, skew),
	}
}

// formatTime writes t in the API's form; the zero time is "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// formatSkewed is formatTime of t shifted by skew; the zero time stays "".
func formatSkewed(t time.Time, skew time.Duration) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t.Add(skew))
}

// inventoryWire lists userID's orders in the order they were added: all that
// have not expired, and the newest limit of those that have; s.mu is held.
func (s *Server) inventoryWire(userID string, acc *account, limit int, now time.Time) []orderWire {
	keep := make([]bool, len(acc.orders))
	n, expired := 0, 0
	for i := len(acc.orders) - 1; i >= 0; i-- {
		o := s.orders[orderKey{userID, acc.orders[i]}]
		if o == nil {
			continue
		}
		o.advance(now)
		if strings.EqualFold(o.Status, StatusExpired) {
			if expired >= limit {
				continue
			}
			expired++
		}
		keep[i] = true
		n++
	}
	list := make([]orderWire, 0, n)
	for i, id := range acc.orders {
		if keep[i] {
			list = append(list, s.orders[orderKey{userID, id}].wire(s.clockSkew))
		}
	}
	return list
}
