package watch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// The pieces that let the watcher keep up at scale: one inventory request per
// account, beat-keeping schedules, joined pushes and the request cap.

// fakeAPI answers order and inventory calls from a map and counts them.
type fakeAPI struct {
	mu        sync.Mutex
	orders    map[string]smsapi.Order // by order id
	listed    map[string]bool         // order ids the inventory shows; nil = all
	invErr    error
	calls     []string
	noListing bool
}

func (f *fakeAPI) GetOrder(_ context.Context, _ smsapi.Credentials, id string) (smsapi.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "order "+id)
	o, ok := f.orders[id]
	if !ok {
		return smsapi.Order{}, &smsapi.Error{Kind: smsapi.ErrOrderNotFound}
	}
	return o, nil
}

func (f *fakeAPI) Inventory(_ context.Context, _ smsapi.Credentials, _ int) ([]smsapi.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "inventory")
	if f.invErr != nil {
		return nil, f.invErr
	}
	var out []smsapi.Order
	for id, o := range f.orders {
		if f.listed == nil || f.listed[id] {
			out = append(out, o)
		}
	}
	return out, nil
}

func (f *fakeAPI) callList() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, ", ")
}

func waitingOrder(id string) smsapi.Order {
	return smsapi.Order{ID: id, Service: "Discord", Status: "pending", ExpiresAt: checkNow.Add(10 * time.Minute)}
}

// claimedWatch is a watch of user 1 due at due (after checkNow: claimed early).
func claimedWatch(id string, due time.Time) store.DueWatch {
	return store.DueWatch{
		Watch:   store.Watch{TelegramUserID: 1, OrderID: id, ChatID: 1, State: store.WatchActive, NextCheckAt: due, ExpiresAt: checkNow.Add(10 * time.Minute)},
		Account: store.Account{TelegramUserID: 1, SMSUserID: "u1", APIKey: "k1"},
	}
}

func TestCheckJobUsesInventory(t *testing.T) {
	early := checkNow.Add(time.Second)
	job := checkJob{at: checkNow, watches: []store.DueWatch{
		claimedWatch("a", checkNow.Add(-time.Second)), // due
		claimedWatch("b", checkNow),                   // due
		claimedWatch("c", early),                      // due soon: rides along
	}}
	newAPI := func() *fakeAPI {
		sms := waitingOrder("b")
		sms.Status, sms.SMS = "completed", "Code 123456"
		return &fakeAPI{orders: map[string]smsapi.Order{"a": waitingOrder("a"), "b": sms, "c": waitingOrder("c")}}
	}
	outcomes := func(rs []checkResult) map[string]checkResult {
		m := map[string]checkResult{}
		for _, r := range rs {
			m[r.outcome.OrderID] = r
		}
		return m
	}

	t.Run("one request answers the account", func(t *testing.T) {
		api := newAPI()
		w := New(Config{PollInterval: 3 * time.Second, Now: func() time.Time { return checkNow }}, nil, api, nil)
		got := outcomes(w.checkJob(context.Background(), job))
		if calls := api.callList(); calls != "inventory" {
			t.Errorf("calls: %s; want one inventory", calls)
		}
		if len(got) != 3 || got["b"].outcome.Push == nil || got["a"].outcome.Push != nil {
			t.Fatalf("outcomes %+v", got)
		}
		for id, want := range map[string]time.Time{
			"a": checkNow.Add(2 * time.Second), // its own beat
			"c": checkNow.Add(3 * time.Second), // the account's beat from now on
		} {
			if next := got[id].outcome.NextCheckAt; !next.Equal(want) {
				t.Errorf("%s: next check %v, want %v", id, next, want)
			}
		}
	})
	t.Run("orders the inventory lacks are asked for when due", func(t *testing.T) {
		api := newAPI()
		api.listed = map[string]bool{"a": true}
		w := New(Config{PollInterval: 3 * time.Second, Now: func() time.Time { return checkNow }}, nil, api, nil)
		got := outcomes(w.checkJob(context.Background(), job))
		if calls := api.callList(); calls != "inventory, order b" {
			t.Errorf("calls: %s; want the inventory, then order b", calls)
		}
		if got["b"].outcome.Push == nil {
			t.Errorf("b's SMS was not pushed: %+v", got["b"])
		}
		if c := got["c"].outcome; !c.NextCheckAt.Equal(early) || !c.LastCheckedAt.IsZero() {
			t.Errorf("c, not due and not listed, should be released unchanged: %+v", c)
		}
	})
	t.Run("a listing claiming an SMS without its text is not trusted", func(t *testing.T) {
		api := newAPI()
		w := New(Config{PollInterval: 3 * time.Second, Now: func() time.Time { return checkNow }}, nil, api, nil)
		listing := &fakeAPI{orders: map[string]smsapi.Order{"a": waitingOrder("a"), "b": {ID: "b", Status: "completed"}, "c": waitingOrder("c")}}
		w.lister = listing
		got := outcomes(w.checkJob(context.Background(), job))
		if calls := api.callList(); calls != "order b" {
			t.Errorf("order calls: %q; want order b", calls)
		}
		if got["b"].outcome.Push == nil {
			t.Errorf("b's SMS was not pushed: %+v", got["b"])
		}
	})
	for _, tt := range []struct {
		name  string
		err   error
		calls string
	}{
		{"a transient failure fails the due ones", &smsapi.Error{Kind: smsapi.ErrTransient}, "inventory"},
		{"an unusable inventory falls back to order calls", &smsapi.Error{Kind: smsapi.ErrMalformed}, "inventory, order a, order b"},
		{"an API without inventory falls back to order calls", fmt.Errorf("inventory: %w", errors.ErrUnsupported), "inventory, order a, order b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI()
			api.invErr = tt.err
			w := New(Config{PollInterval: 3 * time.Second, Now: func() time.Time { return checkNow }}, nil, api, nil)
			got := outcomes(w.checkJob(context.Background(), job))
			if calls := api.callList(); calls != tt.calls {
				t.Errorf("calls: %s; want %s", calls, tt.calls)
			}
			if c := got["c"].outcome; !c.NextCheckAt.Equal(early) {
				t.Errorf("c, not due, should be released unchanged: %+v", c)
			}
			if len(got) != 3 {
				t.Errorf("%d outcomes, want 3", len(got))
			}
		})
	}
	t.Run("after an unusable inventory the account is asked order by order", func(t *testing.T) {
		api := newAPI()
		api.invErr = &smsapi.Error{Kind: smsapi.ErrRejected}
		w := New(Config{PollInterval: 3 * time.Second, Now: func() time.Time { return checkNow }}, nil, api, nil)
		w.checkJob(context.Background(), job)
		api.calls = nil
		w.checkJob(context.Background(), job)
		if calls := api.callList(); calls != "order a, order b" {
			t.Errorf("calls: %s; want order calls only", calls)
		}
	})
}
