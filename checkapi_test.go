package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

const (
	checkUser = "user-check-1"
	checkKey  = "sk_live_check_9f3a7c1e"
)

// newCheckServer is a fake SMSOnline with one account that has something in
// every list check-api reads.
func newCheckServer(t *testing.T) (*smsapitest.Server, checkConfig) {
	t.Helper()
	srv := smsapitest.New(t)
	srv.AddAccount(checkUser, checkKey, 500)
	srv.AddOrder(checkUser, smsapitest.NewOrder("20046875"))
	done := smsapitest.NewOrder("20046876")
	done.Status = smsapitest.StatusCompleted
	done.SMS = "Your code is 123456"
	srv.AddOrder(checkUser, done)
	now := time.Now().UTC().Truncate(time.Second)
	srv.AddCoupon(checkUser, smsapitest.Coupon{Code: "SAVE10", IssuedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour),
		Status: "issued", Percentage: 10, TargetPay: "crypto"})
	srv.AddInvoice(checkUser, smsapitest.Invoice{Method: "cryptomus", PayID: "pay-1", Amount: 500, Created: now,
		ExpiresAt: now.Add(time.Hour), Status: smsapitest.InvoiceCancelled})
	return srv, checkConfig{SMSOnlineAPIURL: srv.URL, UserID: checkUser, APIKey: checkKey}
}

// assertReadOnly fails when the fake saw a call that changes something
// (each of them is a PUT or a PATCH).
func assertReadOnly(t *testing.T, srv *smsapitest.Server) {
	t.Helper()
	for _, r := range srv.Log() {
		switch r.Kind {
		case "buy", "refund", "another_sms", "invoice", "other":
			t.Errorf("check-api sent a %s call", r.Kind)
		}
	}
}

func TestCheckAPIAsDocumented(t *testing.T) {
	srv, cfg := newCheckServer(t)
	var out bytes.Buffer
	matched, err := runCheckAPI(context.Background(), cfg, &out)
	if err != nil || !matched {
		t.Fatalf("runCheckAPI = %v, %v; want matched\n%s", matched, err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	body := lines[1 : len(lines)-1] // between the heading and the summary
	if len(body) < 30 {
		t.Errorf("only %d lines:\n%s", len(body), out.String())
	}
	for _, l := range body {
		if !strings.HasPrefix(l, "matched ") {
			t.Errorf("line %q did not match", l)
		}
	}
	for _, call := range []string{"balance: balance", "inventory: status", "get order: receivedSMS [assumption]",
		"coupons: codes[].status", "payments: amount", "a wrong key is refused", "an unknown order is refused"} {
		if !strings.Contains(out.String(), call) {
			t.Errorf("no line about %q:\n%s", call, out.String())
		}
	}
	if strings.Contains(out.String(), checkKey) || strings.Contains(out.String(), checkUser) {
		t.Errorf("the output holds a secret:\n%s", out.String())
	}
	assertReadOnly(t, srv)
	if srv.RequestCount("order") != 2 {
		t.Errorf("order calls = %d, want 2 (the newest order and an unknown one)", srv.RequestCount("order"))
	}
}

func TestCheckAPINamesEachDrift(t *testing.T) {
	tests := []struct {
		name  string
		drift smsapitest.Drift
		want  []string
	}{
		{"renamed field", smsapitest.Drift{Rename: map[string]string{"purchasePrice": "price"}},
			[]string{"DIFFERS   inventory: purchasePrice: missing_field", "DIFFERS   get order: purchasePrice: missing_field"}},
		{"money as text", smsapitest.Drift{MoneyAsText: true},
			[]string{`DIFFERS   balance: balance: unreadable_money "$5.00"`, `DIFFERS   payments: amount: unreadable_money "$5.00"`,
				`DIFFERS   inventory: purchasePrice: unreadable_money "$0.16"`}},
		{"unknown status word", smsapitest.Drift{StatusWord: "on_hold"},
			[]string{`DIFFERS   inventory: status: unknown_status "on_hold"`, `DIFFERS   coupons: codes[].status: unknown_status "on_hold"`,
				`DIFFERS   payments: status: unknown_status "on_hold"`}},
		{"new error shape", smsapitest.Drift{ErrorShape: true},
			[]string{`DIFFERS   balance: its body is {"ok": false, "errorMessage": "..."} [assumption]: unknown_error_shape`,
				`DIFFERS   get order: its body is {"ok": false, "errorMessage": "..."} [assumption]: unknown_error_shape`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg := newCheckServer(t)
			srv.SetDrift(tt.drift)
			var out bytes.Buffer
			matched, err := runCheckAPI(context.Background(), cfg, &out)
			if err != nil || matched {
				t.Fatalf("runCheckAPI = %v, %v; want a difference\n%s", matched, err, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("no line %q in:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), checkKey) {
				t.Errorf("the output holds the key:\n%s", out.String())
			}
			assertReadOnly(t, srv)
		})
	}
}

// TestCheckAPIFailsWithoutSecrets: a check that cannot finish (the real key
// refused) exits 1 with an error that names neither the key nor the user id.
func TestCheckAPIFailsWithoutSecrets(t *testing.T) {
	srv, cfg := newCheckServer(t)
	srv.RevokeKey(checkUser)
	var out bytes.Buffer
	matched, err := runCheckAPI(context.Background(), cfg, &out)
	if err == nil || matched {
		t.Fatalf("runCheckAPI = %v, %v; want an error", matched, err)
	}
	for _, secret := range []string{checkKey, checkUser} {
		if strings.Contains(err.Error()+out.String(), secret) {
			t.Errorf("%q shows in %q / %q", secret, err, out.String())
		}
	}
	assertReadOnly(t, srv)
}

func TestLoadCheckConfig(t *testing.T) {
	setEnv(t, map[string]string{"SMSONLINE_USER_ID": "", "SMSONLINE_API_KEY": ""})
	if _, err := loadCheckConfig(); err == nil {
		t.Error("no credentials: no error")
	}
	setEnv(t, map[string]string{"SMSONLINE_USER_ID": checkUser, "SMSONLINE_API_KEY": checkKey})
	cfg, err := loadCheckConfig()
	if err != nil || cfg.SMSOnlineAPIURL != defaultConfig().SMSOnlineAPIURL {
		t.Errorf("loadCheckConfig = %+v, %v; want the bot's SMSOnline URL", cfg.SMSOnlineAPIURL, err)
	}
	setEnv(t, map[string]string{"SMSONLINE_USER_ID": checkUser, "SMSONLINE_API_KEY": "bad key " + checkKey})
	if _, err := loadCheckConfig(); err == nil || strings.Contains(err.Error(), checkKey) {
		t.Errorf("a key with spaces: err = %v, want an error without the key", err)
	}
}
