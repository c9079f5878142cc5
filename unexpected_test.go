package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/metrics"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// TestUnexpectedAnswersAreCounted: while the bot runs, an answer that
// differs from what it assumes counts in smsbot_smsonline_unexpected_total
// with bounded labels, and each kind is logged once, without secrets.
func TestUnexpectedAnswersAreCounted(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "bot.db"), make([]byte, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := metrics.New(st)
	var logs bytes.Buffer
	report := newUnexpectedReport(m, slog.New(slog.NewTextHandler(&logs, nil)))

	srv, cfg := newCheckServer(t)
	api, err := smsapi.New(srv.URL, smsapi.WithUnexpected(report.report))
	if err != nil {
		t.Fatal(err)
	}
	cred := smsapi.Credentials{UserID: cfg.UserID, APIKey: cfg.APIKey}

	// As documented: nothing counted.
	if _, err := api.Inventory(ctx, cred, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := api.Balance(ctx, cred); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Fatalf("a documented answer was logged as unexpected:\n%s", logs.String())
	}

	srv.SetDrift(smsapitest.Drift{StatusWord: "on_hold " + checkKey + " " + checkUser, MoneyAsText: true,
		Rename: map[string]string{"receivedSMS": "sms"}, ErrorShape: true})
	for range 3 {
		_, _ = api.Inventory(ctx, cred, 10) // the bot goes on reading what it can
		_, _ = api.GetOrder(ctx, cred, "20046875")
		_, _ = api.Balance(ctx, smsapi.Credentials{UserID: cfg.UserID, APIKey: "wrong-key"})
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`smsbot_smsonline_unexpected_total{call="inventory",what="unknown_status"} 3`,
		`smsbot_smsonline_unexpected_total{call="inventory",what="unreadable_money"} 3`,
		`smsbot_smsonline_unexpected_total{call="get order",what="missing_field"} 3`,
		`smsbot_smsonline_unexpected_total{call="balance",what="unknown_error_shape"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	calls := map[string]bool{"balance": true, "inventory": true, "get order": true, "coupons": true, "payments": true}
	whats := map[string]bool{smsapi.UnexpectedMissingField: true, smsapi.UnexpectedOtherType: true,
		smsapi.UnexpectedMoney: true, smsapi.UnexpectedStatusWord: true, smsapi.UnexpectedErrorShape: true}
	series := regexp.MustCompile(`smsbot_smsonline_unexpected_total\{call="([^"]*)",what="([^"]*)"\}`)
	for _, mm := range series.FindAllStringSubmatch(body, -1) {
		if !calls[mm[1]] || !whats[mm[2]] {
			t.Errorf("unbounded label: %s", mm[0])
		}
	}

	// Each kind once in the log, though each came three times.
	if n := strings.Count(logs.String(), `call=inventory what=unknown_status`); n != 1 {
		t.Errorf("inventory unknown_status logged %d times, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "on_hold") {
		t.Errorf("the log does not show the offending value:\n%s", logs.String())
	}
	for _, secret := range []string{checkKey, checkUser} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds the secret %q:\n%s", secret, logs.String())
		}
	}
}

// TestUnexpectedLoggedOncePerHour: a kind is logged again only after an
// hour; another kind is logged at once.
func TestUnexpectedLoggedOncePerHour(t *testing.T) {
	var logs bytes.Buffer
	r := newUnexpectedReport(nil, slog.New(slog.NewTextHandler(&logs, nil)))
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	r.report("inventory", smsapi.UnexpectedStatusWord, `status="x"`)
	now = now.Add(59 * time.Minute)
	r.report("inventory", smsapi.UnexpectedStatusWord, `status="x"`)
	r.report("balance", smsapi.UnexpectedMoney, `balance="$5"`)
	now = now.Add(time.Minute)
	r.report("inventory", smsapi.UnexpectedStatusWord, `status="x"`)
	if got := strings.Count(logs.String(), "what=unknown_status"); got != 2 {
		t.Errorf("unknown_status logged %d times, want 2 (at 12:00 and 13:00):\n%s", got, logs.String())
	}
	if got := strings.Count(logs.String(), "what=unreadable_money"); got != 1 {
		t.Errorf("unreadable_money logged %d times, want 1", got)
	}
}
