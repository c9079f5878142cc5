package smsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

const opBuy = "buy"

// BuyRequest names the number to buy and the most the caller will pay.
type BuyRequest struct {
	Service  string // service code (sShort), e.g. "ds"
	Country  string // country code (cShort), e.g. "12"
	Carrier  string // carrier, e.g. "any"
	MaxPrice Money  // maximumPrice: the API charges at most this, maybe less
}

// Purchase is a number just bought.
type Purchase struct {
	OrderID     string
	PhoneNumber string    // with the country code, without '+'
	ExpiresAt   time.Time // expiredAtUTC; zero when unreadable
	Price       Money     // purchasePrice: what was charged
}

// Buy orders a number: PUT /v3/numbers/{userId}/order. It is never retried:
// the API documents no idempotency, so a second try could buy twice. When
// OutcomeUnknown(err) the number may have been bought: look in the inventory
// before buying again. A refusal is ErrPriceChanged (see NewPrice),
// ErrOutOfStock, ErrLowBalance, or as for any call.
func (c *Client) Buy(ctx context.Context, cred Credentials, r BuyRequest) (Purchase, error) {
	if err := r.check(cred); err != nil {
		return Purchase{}, invalidInput(opBuy, err)
	}
	// failover is left out: its documented default is true.
	fields := map[string]string{
		"country":      r.Country,
		"service":      r.Service,
		"carrier":      r.Carrier,
		"maximumPrice": wireCents(r.MaxPrice),
		"m":            buyM,
		"n":            buyN,
	}
	body, err := c.call(ctx, opBuy, cred, http.MethodPut, fields, "numbers", cred.UserID, "order")
	if err != nil {
		return Purchase{}, err
	}
	p, err := decodePurchase(body)
	if err != nil {
		return Purchase{}, malformed(opBuy, cred.APIKey, fmt.Errorf("decode purchase: %w", err))
	}
	return p, nil
}

func (r BuyRequest) check(cred Credentials) error {
	if err := cred.check(); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{{"service", r.Service}, {"country", r.Country}, {"carrier", r.Carrier}} {
		if err := checkText(f.name, f.value); err != nil {
			return err
		}
	}
	return checkAmount("maximum price", r.MaxPrice)
}

// decodePurchase reads the order object of a purchase (a one-element array is
// accepted too), which must name a usable order id.
func decodePurchase(body []byte) (Purchase, error) {
	orders, err := decodeOrders(body)
	if err != nil {
		return Purchase{}, err
	}
	if len(orders) != 1 {
		return Purchase{}, fmt.Errorf("%d orders in the body, want 1", len(orders))
	}
	o := orders[0]
	if o.ID == "" {
		return Purchase{}, errors.New("no orderId")
	}
	if err := checkID("order id", o.ID); err != nil {
		return Purchase{}, err
	}
	return Purchase{OrderID: o.ID, PhoneNumber: o.PhoneNumber, ExpiresAt: o.ExpiresAt, Price: o.Price}, nil
}
