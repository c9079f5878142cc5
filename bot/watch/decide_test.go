package watch

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// The watcher's decisions, one check at a time, on a fixed clock.

var checkNow = time.Date(2025, 5, 17, 5, 50, 0, 0, time.UTC)

func testWatcher() *Watcher {
	return New(Config{PollInterval: 3 * time.Second, Now: func() time.Time { return checkNow }}, nil, nil, nil)
}

func dueWatch(expires time.Time, failures int) store.DueWatch {
	return store.DueWatch{Watch: store.Watch{
		TelegramUserID: 1, OrderID: "555", ChatID: 1, State: store.WatchActive,
		Service: "Discord", ExpiresAt: expires, Failures: failures,
	}}
}

func TestObserved(t *testing.T) {
	w := testWatcher()
	expires := checkNow.Add(10 * time.Minute)
	order := func(status, sms string, exp time.Time) smsapi.Order {
		return smsapi.Order{ID: "555", Service: "Discord", PhoneNumber: "1234567890", Status: status, SMS: sms, ExpiresAt: exp}
	}
	tests := []struct {
		name       string
		order      smsapi.Order
		end        bool
		push       bool
		notice     string
		nextWithin [2]time.Duration // NextCheckAt - now, inclusive range (unchecked when End)
	}{
		{"waiting", order("pending", "", expires), false, false, "", [2]time.Duration{3 * time.Second, 3 * time.Second}},
		{"sms arrived: push, slower pace", order("completed", "123456", expires), false, true, "", [2]time.Duration{15 * time.Second, 15 * time.Second}},
		{"cancelled without sms", order("cancelled", "", expires), true, false, "was cancelled", [2]time.Duration{}},
		{"refunded without sms", order("Refunded", "", expires), true, false, "was refunded", [2]time.Duration{}},
		{"expired status", order("expired", "", expires), true, false, "expired without an SMS", [2]time.Duration{}},
		{"final with sms: push, no notice", order("expired", "123456", expires), true, true, "", [2]time.Duration{}},
		{"past expiry plus grace", order("pending", "", checkNow.Add(-2*time.Minute)), true, false, "expired without an SMS", [2]time.Duration{}},
		{"within grace: checked again", order("pending", "", checkNow.Add(-30*time.Second)), false, false, "", [2]time.Duration{3 * time.Second, 3 * time.Second}},
		{"last look lands just after the grace", order("completed", "1234", checkNow.Add(-50*time.Second)), false, true, "", [2]time.Duration{11 * time.Second, 11 * time.Second}},
		{"unknown status word keeps waiting", order("Retrying", "", expires), false, false, "", [2]time.Duration{3 * time.Second, 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := w.observed(dueWatch(expires, 2), tt.order, checkNow)
			if out.End != tt.end {
				t.Errorf("End = %v, want %v", out.End, tt.end)
			}
			if (out.Push != nil) != tt.push {
				t.Errorf("Push = %v, want %v", out.Push != nil, tt.push)
			}
			if tt.push && (out.SMS != tt.order.SMS || out.Push.Priority != store.PriorityPush) {
				t.Errorf("push for SMS %q with priority %d", out.SMS, out.Push.Priority)
			}
			switch {
			case tt.notice == "" && out.Notice != nil:
				t.Errorf("unexpected notice %q", out.Notice.Text)
			case tt.notice != "" && (out.Notice == nil || !strings.Contains(out.Notice.Text, tt.notice)):
				t.Errorf("notice = %+v, want one containing %q", out.Notice, tt.notice)
			}
			if out.Failures != 0 {
				t.Errorf("Failures = %d after a good check, want 0", out.Failures)
			}
			if !tt.end {
				if d := out.NextCheckAt.Sub(checkNow); d < tt.nextWithin[0] || d > tt.nextWithin[1] {
					t.Errorf("next check in %v, want %v..%v", d, tt.nextWithin[0], tt.nextWithin[1])
				}
			}
		})
	}
}

func TestFailed(t *testing.T) {
	w := testWatcher()
	expires := checkNow.Add(10 * time.Minute)
	apiErr := func(kind error, retryAfter time.Duration) error {
		return &smsapi.Error{Op: "get order", Kind: kind, RetryAfter: retryAfter}
	}

	t.Run("refused key pauses the account with a notice", func(t *testing.T) {
		r := w.failed(dueWatch(expires, 0), apiErr(smsapi.ErrBadCredentials, 0), checkNow)
		if r.pause == nil || !strings.Contains(r.pause.Text, "/login") {
			t.Fatalf("pause = %+v", r.pause)
		}
	})
	t.Run("unknown order ends with a notice", func(t *testing.T) {
		r := w.failed(dueWatch(expires, 0), apiErr(smsapi.ErrOrderNotFound, 0), checkNow)
		if !r.outcome.End || r.outcome.Notice == nil {
			t.Fatalf("outcome = %+v", r.outcome)
		}
	})
	for _, kind := range []error{smsapi.ErrTransient, smsapi.ErrMalformed, smsapi.ErrRejected, errors.New("boom")} {
		t.Run(fmt.Sprintf("%v is retried with growing backoff", kind), func(t *testing.T) {
			var prev time.Duration
			for failures := range 4 {
				r := w.failed(dueWatch(expires, failures), apiErr(kind, 0), checkNow)
				if r.outcome.End || r.pause != nil {
					t.Fatalf("a %v ended or paused the watch", kind)
				}
				if r.outcome.Failures != failures+1 {
					t.Errorf("Failures = %d, want %d", r.outcome.Failures, failures+1)
				}
				wait := r.outcome.NextCheckAt.Sub(checkNow)
				base := 3 * time.Second << failures
				if wait < base*8/10 || wait > base*12/10 {
					t.Errorf("after %d failures waits %v, want %v ±20%%", failures+1, wait, base)
				}
				if wait <= prev*8/10 {
					t.Errorf("backoff did not grow: %v after %v", wait, prev)
				}
				prev = wait
			}
		})
	}
	t.Run("Retry-After is honoured", func(t *testing.T) {
		r := w.failed(dueWatch(expires, 0), apiErr(smsapi.ErrRateLimited, 40*time.Second), checkNow)
		if wait := r.outcome.NextCheckAt.Sub(checkNow); wait != 40*time.Second {
			t.Errorf("waits %v, want the 40s Retry-After", wait)
		}
	})
	t.Run("never sleeps past the order's end", func(t *testing.T) {
		soon := checkNow.Add(20 * time.Second)
		r := w.failed(dueWatch(soon, 0), apiErr(smsapi.ErrRateLimited, 10*time.Minute), checkNow)
		if latest := soon.Add(defaultExpiryGrace).Add(time.Second); r.outcome.NextCheckAt.After(latest) {
			t.Errorf("next check %v is past the order's end %v", r.outcome.NextCheckAt, latest)
		}
	})
	t.Run("backoff is capped", func(t *testing.T) {
		r := w.failed(dueWatch(checkNow.Add(time.Hour), 30), apiErr(smsapi.ErrTransient, 0), checkNow)
		if wait := r.outcome.NextCheckAt.Sub(checkNow); wait > maxBackoff*12/10 {
			t.Errorf("waits %v, over the cap", wait)
		}
	})
	t.Run("gives up hours after expiry", func(t *testing.T) {
		r := w.failed(dueWatch(checkNow.Add(-7*time.Hour), 3), apiErr(smsapi.ErrTransient, 0), checkNow)
		if !r.outcome.End || r.outcome.Notice == nil {
			t.Fatalf("outcome = %+v, want the watch ended with a notice", r.outcome)
		}
	})
}

// TestObservedAfterAnotherSMS: once another SMS was asked for, a watch
// whose order shows an SMS keeps the waiting pace until FastUntil, then
// slows down as usual.
func TestObservedAfterAnotherSMS(t *testing.T) {
	w := testWatcher()
	expires := checkNow.Add(10 * time.Minute)
	o := smsapi.Order{ID: "555", Status: "completed", SMS: "123456", ExpiresAt: expires}
	for _, tt := range []struct {
		fastUntil time.Time
		want      time.Duration
	}{
		{expires, 3 * time.Second},
		{checkNow, 15 * time.Second},
		{time.Time{}, 15 * time.Second},
	} {
		dw := dueWatch(expires, 0)
		dw.FastUntil = tt.fastUntil
		if got := w.observed(dw, o, checkNow).NextCheckAt.Sub(checkNow); got != tt.want {
			t.Errorf("FastUntil %v: next check in %v, want %v", tt.fastUntil, got, tt.want)
		}
	}
}
