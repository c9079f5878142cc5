package smsapitest

import (
	"testing"
	"time"
)

func TestAdvanceInvoices(t *testing.T) {
	created := time.Date(2025, 5, 15, 18, 37, 30, 0, time.UTC)
	newAccount := func() *account {
		return &account{balance: 10, invoices: []Invoice{
			{PayID: "a", Amount: 500, Created: created, ExpiresAt: created.Add(invoiceLifetime), Status: InvoicePending},
		}}
	}
	tests := []struct {
		name     string
		payAfter time.Duration
		at       time.Duration // since created
		status   string
		balance  int64
	}{
		{"never paid, before expiry", -1, 59 * time.Minute, InvoicePending, 10},
		{"never paid, at expiry", -1, time.Hour, InvoiceCancelled, 10},
		{"paid in time, before due", 10 * time.Minute, 10*time.Minute - time.Nanosecond, InvoicePending, 10},
		{"paid in time, due", 10 * time.Minute, 10 * time.Minute, InvoicePaid, 510},
		{"paid in time, read after expiry", 10 * time.Minute, 2 * time.Hour, InvoicePaid, 510},
		{"paid too late", 2 * time.Hour, 3 * time.Hour, InvoiceCancelled, 10},
	}
	for _, tt := range tests {
		s := &Server{payAfter: tt.payAfter}
		acc := newAccount()
		s.advanceInvoices(acc, created.Add(tt.at))
		s.advanceInvoices(acc, created.Add(tt.at)) // applied once
		if got := acc.invoices[0].Status; got != tt.status || acc.balance != tt.balance {
			t.Errorf("%s: status %q balance %d, want %q %d", tt.name, got, acc.balance, tt.status, tt.balance)
		}
	}
}
