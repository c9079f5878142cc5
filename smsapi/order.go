package smsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const opGetOrder = "get order"

// Order is one rented number as the API reports it.
type Order struct {
	ID          string // orderId
	ServiceCode string // sShort, e.g. "ds"
	CountryCode string // cShort, e.g. "12"
	Country     string // e.g. "United States"
	Service     string // e.g. "Discord"
	Carrier     string // e.g. "any"
	PhoneNumber string
	Price       Money  // purchasePrice: 16 is 16 cents, 0.16 is 16 cents too (see moneyFromText)
	Status      string // the status word exactly as the API gave it, trimmed
	SMS         string // receivedSMS, trimmed: the code or the whole text; "" when none

	// Times are UTC, and zero when the API left them out or sent something
	// unreadable.
	OrderedAt     time.Time
	ExpiresAt     time.Time // expiredAt
	LastCheckedAt time.Time
}

// State is what an order's status word means for someone waiting for an SMS.
type State int

const (
	// StateWaiting is any status word not known to be final: keep checking.
	StateWaiting State = iota
	// StateReceived means the SMS arrived ("completed" or "complete").
	StateReceived
	// StateFinal means the order ended without an SMS ("cancelled",
	// "canceled", "refunded" or "expired").
	StateFinal
)

// State maps o.Status, in any case, to a State. Only the documented and the
// obvious words are recognised; every other word is StateWaiting, because the
// API documents so few. A caller that delivers SMS should look at HasSMS too.
func (o Order) State() State {
	switch strings.ToLower(strings.TrimSpace(o.Status)) {
	case "completed", "complete":
		return StateReceived
	case "cancelled", "canceled", "refunded", "expired":
		return StateFinal
	}
	return StateWaiting
}

// Refunded reports whether o's status says its price went back to the
// balance (see refundedWords).
func (o Order) Refunded() bool {
	status := strings.TrimSpace(o.Status)
	for _, w := range refundedWords {
		if strings.EqualFold(status, w) {
			return true
		}
	}
	return false
}

// HasSMS reports whether the API has shown an SMS for o.
func (o Order) HasSMS() bool { return o.SMS != "" }

// String returns "waiting", "received" or "final".
func (s State) String() string {
	switch s {
	case StateWaiting:
		return "waiting"
	case StateReceived:
		return "received"
	case StateFinal:
		return "final"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// GetOrder fetches order orderID of the account cred names:
// GET /v3/numbers/{userId}/order/{orderId}. An order the API does not know is
// ErrOrderNotFound.
func (c *Client) GetOrder(ctx context.Context, cred Credentials, orderID string) (Order, error) {
	if err := cred.check(); err != nil {
		return Order{}, invalidInput(opGetOrder, err)
	}
	if err := checkID("order id", orderID); err != nil {
		return Order{}, invalidInput(opGetOrder, err)
	}
	body, err := c.get(ctx, opGetOrder, cred, "numbers", cred.UserID, "order", orderID)
	if err != nil {
		return Order{}, err
	}
	return decodeOrderBody(body, orderID, cred.APIKey)
}

// orderJSON is the order object on the wire. Field names match
// case-insensitively; expiresAt and expiredAtUTC are fallbacks for expiredAt,
// guessed from the API's other answers (ordering a number returns
// "expiredAtUTC").
type orderJSON struct {
	OrderID       flexString `json:"orderId"`
	SShort        flexString `json:"sShort"`
	CShort        flexString `json:"cShort"`
	Country       flexString `json:"country"`
	Service       flexString `json:"service"`
	Carrier       flexString `json:"carrier"`
	PhoneNumber   flexString `json:"phoneNumber"`
	PurchasePrice flexMoney  `json:"purchasePrice"`
	Status        flexString `json:"status"`
	ReceivedSMS   flexString `json:"receivedSMS"`
	OrderedAt     flexTime   `json:"orderedAt"`
	ExpiredAt     flexTime   `json:"expiredAt"`
	ExpiresAt     flexTime   `json:"expiresAt"`
	ExpiredAtUTC  flexTime   `json:"expiredAtUTC"`
	LastCheckedAt flexTime   `json:"lastCheckedAt"`
}

func (j orderJSON) order() Order {
	expires := time.Time(j.ExpiredAt)
	for _, alt := range []flexTime{j.ExpiresAt, j.ExpiredAtUTC} {
		if expires.IsZero() {
			expires = time.Time(alt)
		}
	}
	return Order{
		ID:            string(j.OrderID),
		ServiceCode:   string(j.SShort),
		CountryCode:   string(j.CShort),
		Country:       string(j.Country),
		Service:       string(j.Service),
		Carrier:       string(j.Carrier),
		PhoneNumber:   string(j.PhoneNumber),
		Price:         Money(j.PurchasePrice),
		Status:        string(j.Status),
		SMS:           string(j.ReceivedSMS),
		OrderedAt:     time.Time(j.OrderedAt),
		ExpiresAt:     expires,
		LastCheckedAt: time.Time(j.LastCheckedAt),
	}
}

var (
	errNoOrders    = errors.New("order array is empty")
	errOtherOrders = errors.New("order array holds only other orders")
	errNotAnOrder  = errors.New("element has none of the order fields")
)

// decodeOrderBody picks order id out of the body of an order call: an array of
// order objects (a lone object is accepted too). The element whose orderId is
// id wins; a single element without an orderId is taken as the order.
func decodeOrderBody(body json.RawMessage, id, apiKey string) (Order, error) {
	orders, err := decodeOrders(body)
	if err != nil {
		return Order{}, malformed(opGetOrder, apiKey, fmt.Errorf("decode order: %w", err))
	}
	if len(orders) == 0 {
		return Order{}, &Error{Op: opGetOrder, Kind: ErrOrderNotFound, StatusCode: http.StatusOK, Sent: true, Err: errNoOrders}
	}
	withoutID := 0
	for _, o := range orders {
		if o.ID == id {
			return o, nil
		}
		if o.ID == "" {
			withoutID++
		}
	}
	if len(orders) == 1 && withoutID == 1 {
		o := orders[0]
		o.ID = id
		return o, nil
	}
	return Order{}, malformed(opGetOrder, apiKey, errOtherOrders)
}

// decodeOrders reads an array of order objects, or one lone object; null
// elements are skipped. A null or missing body is an error: a success must say
// something.
func decodeOrders(body json.RawMessage) ([]Order, error) {
	body = bytes.TrimSpace(body)
	if isNull(body) {
		return nil, errors.New("no body")
	}
	var raw []*orderJSON
	if body[0] == '{' {
		raw = []*orderJSON{new(orderJSON)}
		if err := json.Unmarshal(body, raw[0]); err != nil {
			return nil, err
		}
	} else if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	orders := make([]Order, 0, len(raw))
	for _, j := range raw {
		if j == nil {
			continue
		}
		o := j.order()
		if o == (Order{}) {
			return nil, errNotAnOrder
		}
		orders = append(orders, o)
	}
	return orders, nil
}
