package view

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

func TestOrderStateIsSMSAPIs(t *testing.T) {
	for status, want := range map[string]message.State{
		"pending": message.StateWaiting, "": message.StateWaiting, "<retrying>": message.StateWaiting,
		"Completed": message.StateReceived, "complete": message.StateReceived,
		"cancelled": message.StateFinal, "Canceled": message.StateFinal, "refunded": message.StateFinal, " expired ": message.StateFinal,
	} {
		if got := Order(smsapi.Order{Status: status}).State; got != want {
			t.Errorf("Order(status %q).State = %v, want %v", status, got, want)
		}
	}
}

func TestWatchPaused(t *testing.T) {
	for state, want := range map[store.WatchState]bool{store.WatchActive: false, store.WatchPaused: true} {
		if got := Watch(store.Watch{State: state, TelegramUserID: 7}); got.Paused != want || got.Owner != 7 {
			t.Errorf("Watch(%s) = %+v", state, got)
		}
	}
}

func TestFailureKinds(t *testing.T) {
	limited := &smsapi.Error{Op: "buy", Kind: smsapi.ErrRateLimited, RetryAfter: 90 * time.Second}
	for _, tt := range []struct {
		err  error
		want message.APIFailure
	}{
		{smsapi.ErrOrderNotFound, message.APIFailure{Kind: message.ErrorOrderNotFound}},
		{smsapi.ErrBadCredentials, message.APIFailure{Kind: message.ErrorBadCredentials}},
		{fmt.Errorf("check: %w", limited), message.APIFailure{Kind: message.ErrorRateLimited, RetryAfter: 90 * time.Second}},
		{smsapi.ErrRateLimited, message.APIFailure{Kind: message.ErrorRateLimited}},
		{smsapi.ErrTransient, message.APIFailure{Kind: message.ErrorTransient}},
		{smsapi.ErrMalformed, message.APIFailure{Kind: message.ErrorMalformed}},
		{smsapi.ErrRejected, message.APIFailure{Kind: message.ErrorRejected}},
		{smsapi.ValidateOrderID("a/b"), message.APIFailure{Kind: message.ErrorInvalidInput}},
		{errors.New("disk full"), message.APIFailure{Kind: message.ErrorUnknown}},
		{nil, message.APIFailure{Kind: message.ErrorUnknown}},
	} {
		if got := Failure(tt.err); got != tt.want {
			t.Errorf("Failure(%v) = %+v, want %+v", tt.err, got, tt.want)
		}
	}
}

// A rule shown by /settings, carried by its button and read back is the
// same rule; a button's data outside the limits is no rule.
func TestRuleRoundTrip(t *testing.T) {
	rules := []store.Rule{
		{Kind: store.RuleOff},
		{Kind: store.RuleRefund, Minutes: store.MinRuleMinutes},
		{Kind: store.RuleRefund, Minutes: store.MaxRuleMinutes},
		{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: store.MinChainNumbers, MaxSpend: 1},
		{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: store.MaxChainNumbers, MaxSpend: store.MaxChainSpend},
	}
	for _, r := range rules {
		kb := message.English.SettingsKeyboard([]message.Settings{Settings(r)})
		if kb == nil {
			t.Fatalf("no button for %+v", r)
		}
		s, ok := message.ParseSettingsButton(kb.InlineKeyboard[0][0].CallbackData)
		if got := Rule(s); !ok || got != r || got.Check() != nil {
			t.Errorf("%+v came back as %+v (%v)", r, got, ok)
		}
	}
	for _, data := range []string{"rule:refund:1", "rule:refund:99", "rule:retry:5:1:100", "rule:retry:5:11:100", "rule:retry:5:3:10001"} {
		s, ok := message.ParseSettingsButton(data)
		if ok && Rule(s).Check() == nil {
			t.Errorf("%s sets %+v, outside the limits", data, Rule(s))
		}
	}
}

func TestFavouritesShowNoZeroAmounts(t *testing.T) {
	got := Favourites([]store.Favourite{
		{ID: 3, Offer: store.Offer{Service: "ds", Country: "12", Carrier: "any"}, ServiceName: "Discord", CountryName: "United States", Price: 16, MaxPrice: 33},
		{ID: 4, Offer: store.Offer{Carrier: "tmobile"}, ServiceName: "ds", CountryName: "12"},
	})
	want := []message.Favourite{
		{ID: 3, Service: "Discord", Country: "United States", Carrier: "any", Price: message.Cents(16), Max: message.Cents(33)},
		{ID: 4, Service: "ds", Country: "12", Carrier: "tmobile"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Favourites = %+v, want %+v", got, want)
	}
}

// TestHistory: newest first, numbers of unknown time last, at most
// smsapi.HistoryLimit, and how each ended.
func TestHistory(t *testing.T) {
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return now.Add(-time.Duration(h) * time.Hour) }
	orders := []smsapi.Order{
		{ID: "old", OrderedAt: at(50), Status: "expired"},
		{ID: "notime", Status: "completed", SMS: "123456"},
		{ID: "new", OrderedAt: at(1), Status: "pending", ExpiresAt: now.Add(time.Minute), ServiceCode: "ds", CountryCode: "12"},
		{ID: "refunded", OrderedAt: at(3), Status: "refunded"},
		{ID: "cancelled", OrderedAt: at(4), Status: "cancelled"},
		{ID: "code", OrderedAt: at(5), Status: "completed"},
		{ID: "sms", OrderedAt: at(6), Status: "pending", SMS: "Your code 4242"},
		{ID: "stale", OrderedAt: at(7), Status: "pending", ExpiresAt: now.Add(-time.Minute)},
		{ID: "unknown", OrderedAt: at(8), Status: "processing"},
	}
	want := []struct {
		id  string
		end message.HistoryEnd
	}{
		{"new", message.EndWaiting}, {"refunded", message.EndRefunded}, {"cancelled", message.EndNoSMS},
		{"code", message.EndCode}, {"sms", message.EndCode}, {"stale", message.EndNoSMS},
		{"unknown", message.EndWaiting}, {"old", message.EndNoSMS}, {"notime", message.EndCode},
	}
	rows := History(orders, now)
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		if rows[i].OrderID != w.id || rows[i].End != w.end {
			t.Errorf("row %d = %s %v, want %s %v", i, rows[i].OrderID, rows[i].End, w.id, w.end)
		}
	}
	if rows[0].Service != "ds" || rows[0].Country != "12" {
		t.Errorf("a number without names shows %q · %q, want its codes", rows[0].Service, rows[0].Country)
	}

	many := make([]smsapi.Order, smsapi.HistoryLimit+20)
	for i := range many {
		many[i] = smsapi.Order{ID: fmt.Sprint(i), OrderedAt: at(i)}
	}
	rows = History(many, now)
	if len(rows) != smsapi.HistoryLimit || rows[0].OrderID != "0" || rows[len(rows)-1].OrderID != fmt.Sprint(smsapi.HistoryLimit-1) {
		t.Errorf("%d rows from %s to %s, want the newest %d", len(rows), rows[0].OrderID, rows[len(rows)-1].OrderID, smsapi.HistoryLimit)
	}
}
