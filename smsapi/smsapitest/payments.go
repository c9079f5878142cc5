package smsapitest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// The payment methods of the invoice path.
const (
	payCrypto = "cryptomus"
	payCard   = "pay4bit"
)

// invoiceLifetime is how long an invoice waits to be paid, as in the
// documentation's example.
const invoiceLifetime = time.Hour

// Invoice statuses. Only "cancel" is documented; the others are the fake's.
const (
	InvoicePending   = "pending"
	InvoicePaid      = "paid"
	InvoiceCancelled = "cancel"
)

// Invoice is a top-up the server was asked for.
type Invoice struct {
	Method    string // "cryptomus" or "pay4bit"
	PayID     string
	Amount    int64  // cents
	Coupon    string // couponCode, "" when none
	Created   time.Time
	ExpiresAt time.Time // Created + 1h; an invoice unpaid by then reads "cancel"
	Status    string    // InvoicePending, InvoicePaid or InvoiceCancelled
}

// Coupon is a discount coupon of an account.
type Coupon struct {
	Code       string
	IssuedAt   time.Time
	ExpiresAt  time.Time
	Status     string // e.g. "issued"
	Percentage int
	TargetPay  string // e.g. "crypto"
}

// SetPayAfter makes every pending invoice, existing and later, paid d after
// it was created, raising the balance by its amount, provided that is before
// it expires. Nothing runs at that time: invoices are brought up to date when
// the account is next read. d < 0 turns this off (the default).
func (s *Server) SetPayAfter(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.payAfter = d
}

// PayInvoices pays every pending invoice of userID now.
func (s *Server) PayInvoices(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := s.accounts[userID]
	if acc == nil {
		return
	}
	now := time.Now()
	s.advanceInvoices(acc, now)
	for i := range acc.invoices {
		if inv := &acc.invoices[i]; inv.Status == InvoicePending {
			inv.Status = InvoicePaid
			acc.balance += inv.Amount
		}
	}
}

// Invoices returns a copy of userID's invoices, brought up to date, in the
// order created.
func (s *Server) Invoices(userID string) []Invoice {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := s.accounts[userID]
	if acc == nil {
		return nil
	}
	s.advanceInvoices(acc, time.Now())
	return slices.Clone(acc.invoices)
}

// AddCoupon gives userID coupon c, creating the account if needed.
func (s *Server) AddCoupon(userID string, c Coupon) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := s.account(userID)
	acc.coupons = append(acc.coupons, c)
}

// advanceInvoices applies what has come due by now: payment under
// SetPayAfter, else expiry; s.mu is held.
func (s *Server) advanceInvoices(acc *account, now time.Time) {
	for i := range acc.invoices {
		inv := &acc.invoices[i]
		if inv.Status != InvoicePending {
			continue
		}
		if paidAt := inv.Created.Add(s.payAfter); s.payAfter >= 0 && !paidAt.After(now) && paidAt.Before(inv.ExpiresAt) {
			inv.Status = InvoicePaid
			acc.balance += inv.Amount
		} else if !now.Before(inv.ExpiresAt) {
			inv.Status = InvoiceCancelled
		}
	}
}

// invoice serves an invoice call: it records a pending invoice and answers
// its payment URL; s.mu is held.
func (s *Server) invoice(c call, acc *account, now time.Time) reply {
	n := s.nextPay
	s.nextPay++
	inv := Invoice{
		Method:  c.method,
		PayID:   fmt.Sprintf("991d9a35-e6db-43b7-8922-%012d", n),
		Amount:  c.amount,
		Coupon:  c.body["couponCode"],
		Created: now.UTC().Truncate(time.Second),
		Status:  InvoicePending,
	}
	inv.ExpiresAt = inv.Created.Add(invoiceLifetime)
	acc.invoices = append(acc.invoices, inv)
	if c.method == payCrypto {
		return okReply("https://pay.cryptomus.com/pay/" + inv.PayID)
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d:USD:%s:%s", inv.Amount, c.userID, inv.PayID)))
	return okReply(fmt.Sprintf("https://api.pay4bit.net/pay?amount=%d&currency=USD&user=%s&sign=%s",
		inv.Amount, url.QueryEscape(c.userID), hex.EncodeToString(sum[:16])))
}

// paymentWire is the documented invoice object of the payments list.
type paymentWire struct {
	Method    string `json:"method"`
	SesID     string `json:"sesid"`
	PayID     string `json:"payId"`
	Amount    int64  `json:"amount"`
	Created   string `json:"created"`
	ExpiresAt string `json:"expires_at"`
	Status    string `json:"status"`
	UserID    string `json:"userId"`
}

func paymentsWire(userID string, acc *account) []paymentWire {
	list := make([]paymentWire, 0, len(acc.invoices))
	for _, inv := range acc.invoices {
		list = append(list, paymentWire{inv.Method, "ses-" + inv.PayID, inv.PayID, inv.Amount,
			formatTime(inv.Created), formatTime(inv.ExpiresAt), inv.Status, userID})
	}
	return list
}

// couponWire is the documented coupon object.
type couponWire struct {
	UserID     string `json:"userId"`
	Code       string `json:"code"`
	IssuedAt   string `json:"issuedAt"`
	ExpiredAt  string `json:"expiredAt"`
	Status     string `json:"status"`
	Timing     int    `json:"timing"` // validity in days, as we read the documentation
	Percentage int    `json:"percentage"`
	TargetPay  string `json:"targetPay"`
}

// couponList is the documented body of the coupons call.
type couponList struct {
	TotalReceived int          `json:"totalReceived"`
	Codes         []couponWire `json:"codes"`
}

func couponsWire(userID string, acc *account) couponList {
	codes := make([]couponWire, 0, len(acc.coupons))
	for _, c := range acc.coupons {
		days := int(c.ExpiresAt.Sub(c.IssuedAt) / (24 * time.Hour))
		codes = append(codes, couponWire{userID, c.Code, formatTime(c.IssuedAt), formatTime(c.ExpiresAt),
			c.Status, days, c.Percentage, c.TargetPay})
	}
	return couponList{len(acc.coupons), codes}
}

// AddInvoice gives userID invoice inv as if it had been created, creating
// the account if needed; Invoices and the payments call list it.
func (s *Server) AddInvoice(userID string, inv Invoice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := s.account(userID)
	acc.invoices = append(acc.invoices, inv)
}
