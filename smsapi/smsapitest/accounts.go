package smsapitest

import (
	"strconv"
	"time"
)

// account is one customer of the fake API.
type account struct {
	apiKey   string // "" when revoked or never set: then no key matches
	balance  int64
	orders   []string  // order ids in the order they were added, for inventory
	invoices []Invoice // in the order created
	coupons  []Coupon
}

// AddAccount creates the account userID with apiKey and balance, or resets the
// key and balance of an existing one (its orders stay).
func (s *Server) AddAccount(userID, apiKey string, balance int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := s.account(userID)
	acc.apiKey, acc.balance = apiKey, balance
}

// RevokeKey makes every later call for userID fail with 401 Invalid API key,
// whatever key it carries, until SetKey.
func (s *Server) RevokeKey(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if acc := s.accounts[userID]; acc != nil {
		acc.apiKey = ""
	}
}

// SetKey gives userID a new API key, creating the account if needed.
func (s *Server) SetKey(userID, apiKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account(userID).apiKey = apiKey
}

// account returns userID's account, creating it without a key; s.mu is held.
func (s *Server) account(userID string) *account {
	acc := s.accounts[userID]
	if acc == nil {
		acc = &account{}
		s.accounts[userID] = acc
	}
	return acc
}

// Balance returns userID's balance in cents, after paying the invoices that
// are due (see SetPayAfter); 0 for an unknown account.
func (s *Server) Balance(userID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := s.accounts[userID]
	if acc == nil {
		return 0
	}
	s.advanceInvoices(acc, time.Now())
	return acc.balance
}

// discountRates are the documentation's example tiers: [total top-up in
// cents, price multiplier, label].
var discountRates = [][]any{{8000, 0.8, "-20%"}, {6000, 0.85, "-15%"}, {4000, 0.9, "-10%"}, {2000, 0.95, "-5%"}, {0, 1, "0%"}}

// balanceWire is the documented balance body. totalCharges is the sum of the
// prices of the account's orders; the discount is always the lowest tier.
type balanceWire struct {
	UserID              string  `json:"userId"`
	Balance             int64   `json:"balance"`
	TotalCharges        string  `json:"totalCharges"`
	CouponCount         int     `json:"couponCount"`
	CurrentDiscountRate string  `json:"currentDiscountRate"`
	DiscountRates       [][]any `json:"discountRates"`
}

// balanceWire builds the balance body of userID; s.mu is held.
func (s *Server) balanceWire(userID string, acc *account) balanceWire {
	var charges int64
	for _, id := range acc.orders {
		if o := s.orders[orderKey{userID, id}]; o != nil {
			charges += o.Price
		}
	}
	return balanceWire{
		UserID:              userID,
		Balance:             acc.balance,
		TotalCharges:        strconv.FormatInt(charges, 10),
		CouponCount:         len(acc.coupons),
		CurrentDiscountRate: "0%",
		DiscountRates:       discountRates,
	}
}
