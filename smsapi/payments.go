package smsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	opInvoice  = "invoice"
	opCoupons  = "coupons"
	opPayments = "payments"
)

// PayMethod is a way to top up, named as in the invoice path.
type PayMethod string

// The documented payment methods.
const (
	PayCrypto PayMethod = "cryptomus" // cryptocurrency via Cryptomus; takes coupons
	PayCard   PayMethod = "pay4bit"   // credit card via Pay4bit
)

// Invoice creates a top-up of amount and returns the URL where the user pays:
// PUT /v3/customers/{userId}/{m}/invoice/{amount}. coupon, which may be "",
// is a coupon code for PayCrypto; PayCard takes none. The URL is returned
// exactly as the API sent it: Pay4bit signs its query. A URL that is not
// absolute https (http too when the Client's base URL is http) is
// ErrMalformed. The URL stays valid for about InvoiceLifetime.
func (c *Client) Invoice(ctx context.Context, cred Credentials, m PayMethod, amount Money, coupon string) (string, error) {
	if err := checkInvoice(cred, m, amount, coupon); err != nil {
		return "", invalidInput(opInvoice, err)
	}
	var fields map[string]string
	if coupon != "" {
		fields = map[string]string{"couponCode": coupon}
	}
	body, err := c.call(ctx, opInvoice, cred, http.MethodPut, fields, "customers", cred.UserID, string(m), "invoice", wireCents(amount))
	if err != nil {
		return "", err
	}
	link, err := c.paymentURL(body)
	if err != nil {
		return "", malformed(opInvoice, cred.APIKey, fmt.Errorf("decode invoice: %w", err))
	}
	return link, nil
}

func checkInvoice(cred Credentials, m PayMethod, amount Money, coupon string) error {
	if err := cred.check(); err != nil {
		return err
	}
	if m != PayCrypto && m != PayCard {
		return &inputError{"payment method", "must be cryptomus or pay4bit"}
	}
	if err := checkAmount("amount", amount); err != nil {
		return err
	}
	if coupon == "" {
		return nil
	}
	if m != PayCrypto {
		return &inputError{"coupon code", "applies only to crypto payments"}
	}
	return checkID("coupon code", coupon)
}

// paymentURL reads the body of an invoice: a JSON string holding an absolute
// URL. The error never quotes the URL, which is the user's payment link.
func (c *Client) paymentURL(body json.RawMessage) (string, error) {
	var link string
	if err := json.Unmarshal(body, &link); err != nil {
		return "", errors.New("body is not a string")
	}
	u, err := url.Parse(link)
	if err != nil || u.Host == "" || u.User != nil {
		return "", errors.New("body is not an absolute URL")
	}
	if u.Scheme != "https" && (u.Scheme != "http" || c.base.Scheme != "http") {
		return "", errors.New("payment URL is not https")
	}
	return link, nil
}

// Coupon is a discount coupon of the account.
type Coupon struct {
	Code       string
	IssuedAt   time.Time // zero when unreadable
	ExpiresAt  time.Time // expiredAt; zero when unreadable
	Status     string    // e.g. "issued"
	Percentage int       // the discount, e.g. 10 for 10 %
	TargetPay  string    // what it applies to, e.g. "crypto"
}

// Usable reports whether c can still be redeemed at now: its status is
// "issued" and it has not expired. A coupon without a readable expiry is not
// known to have expired.
func (c Coupon) Usable(now time.Time) bool {
	return strings.EqualFold(strings.TrimSpace(c.Status), couponStatusUsable) &&
		(c.ExpiresAt.IsZero() || now.Before(c.ExpiresAt))
}

// Coupons lists the coupons of the account cred names:
// GET /v3/customers/{userId}/coupons. An unreadable coupon is left out.
func (c *Client) Coupons(ctx context.Context, cred Credentials) ([]Coupon, error) {
	if err := cred.check(); err != nil {
		return nil, invalidInput(opCoupons, err)
	}
	body, err := c.get(ctx, opCoupons, cred, "customers", cred.UserID, "coupons")
	if err != nil {
		return nil, err
	}
	coupons, err := decodeCoupons(body)
	if err != nil {
		return nil, malformed(opCoupons, cred.APIKey, fmt.Errorf("decode coupons: %w", err))
	}
	return coupons, nil
}

// decodeCoupons reads {"totalReceived":n,"codes":[...]}.
func decodeCoupons(body json.RawMessage) ([]Coupon, error) {
	if isNull(body) || body[0] != '{' {
		return nil, errors.New("body is not an object")
	}
	var j struct {
		Codes json.RawMessage `json:"codes"`
	}
	if err := json.Unmarshal(body, &j); err != nil {
		return nil, err
	}
	return decodeList(j.Codes, couponJSON.coupon)
}

// couponJSON is a coupon on the wire.
type couponJSON struct {
	Code       flexString `json:"code"`
	IssuedAt   flexTime   `json:"issuedAt"`
	ExpiredAt  flexTime   `json:"expiredAt"`
	Status     flexString `json:"status"`
	Percentage flexInt    `json:"percentage"`
	TargetPay  flexString `json:"targetPay"`
}

func (j couponJSON) coupon() (Coupon, bool) {
	c := Coupon{
		Code:       string(j.Code),
		IssuedAt:   time.Time(j.IssuedAt),
		ExpiresAt:  time.Time(j.ExpiredAt),
		Status:     string(j.Status),
		Percentage: int(j.Percentage),
		TargetPay:  string(j.TargetPay),
	}
	return c, c.Code != ""
}

// payment is one top-up invoice of the account.
type payment struct {
	Method    string // e.g. "cryptomus"
	PayID     string // payId
	Amount    Money
	Created   time.Time // zero when unreadable
	ExpiresAt time.Time // expires_at; zero when unreadable
	Status    string    // e.g. "cancel"; see Paid
}

// Paid reports whether p's status says the money arrived.
func (p payment) Paid() bool {
	return slices.Contains(paidWords, strings.ToLower(strings.TrimSpace(p.Status)))
}

// payments lists the top-up invoices of the account cred names, paid or not:
// GET /v3/customers/{userId}/payments. An unreadable invoice is left out.
func (c *Client) payments(ctx context.Context, cred Credentials) ([]payment, error) {
	if err := cred.check(); err != nil {
		return nil, invalidInput(opPayments, err)
	}
	body, err := c.get(ctx, opPayments, cred, "customers", cred.UserID, "payments")
	if err != nil {
		return nil, err
	}
	payments, err := decodeList(body, paymentJSON.payment)
	if err != nil {
		return nil, malformed(opPayments, cred.APIKey, fmt.Errorf("decode payments: %w", err))
	}
	return payments, nil
}

// paymentJSON is an invoice on the wire.
type paymentJSON struct {
	Method    flexString `json:"method"`
	PayID     flexString `json:"payId"`
	Amount    flexMoney  `json:"amount"`
	Created   flexTime   `json:"created"`
	ExpiresAt flexTime   `json:"expires_at"`
	Status    flexString `json:"status"`
}

func (j paymentJSON) payment() (payment, bool) {
	p := payment{
		Method:    string(j.Method),
		PayID:     string(j.PayID),
		Amount:    Money(j.Amount),
		Created:   time.Time(j.Created),
		ExpiresAt: time.Time(j.ExpiresAt),
		Status:    string(j.Status),
	}
	return p, p != payment{}
}

// decodeList reads a JSON array of W and converts each with conv; an element
// that does not decode, or that conv finds empty, is skipped. null is an
// empty list; anything but an array is an error.
func decodeList[W, T any](raw json.RawMessage, conv func(W) (T, bool)) ([]T, error) {
	list := []T{}
	if isNull(raw) {
		return list, nil
	}
	var elems []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
		return nil, errors.New("not an array")
	}
	for _, e := range elems {
		var w W
		if isNull(e) || json.Unmarshal(e, &w) != nil {
			continue
		}
		if v, ok := conv(w); ok {
			list = append(list, v)
		}
	}
	return list, nil
}
