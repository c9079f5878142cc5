package watch

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// The watcher's decisions, one check at a time: no clock, server or store,
// only a watch, what SMSOnline said and the moment.

var checkNow = time.Date(2025, 5, 17, 5, 50, 0, 0, time.UTC)

// testPolicy is the default pace with a 3 s poll interval.
var testPolicy = policy{poll: 3 * time.Second, grace: defaultExpiryGrace}

func dueWatch(expires time.Time, failures int) store.DueWatch {
	return store.DueWatch{Watch: store.Watch{
		TelegramUserID: 1, OrderID: "555", ChatID: 1, State: store.WatchActive,
		Service: "Discord", ExpiresAt: expires, Failures: failures,
	}}
}

func TestObserved(t *testing.T) {
	expires := checkNow.Add(10 * time.Minute)
	order := func(status, sms string, exp time.Time) smsapi.Order {
		return smsapi.Order{ID: "555", Service: "Discord", PhoneNumber: "1234567890", Status: status, SMS: sms, ExpiresAt: exp}
	}
	tests := []struct {
		name   string
		order  smsapi.Order
		end    bool
		sms    bool
		notice notice
		next   time.Duration // NextCheckAt - now (unchecked when end)
	}{
		{"waiting", order("pending", "", expires), false, false, noNotice, 3 * time.Second},
		{"sms arrived: push, slower pace", order("completed", "123456", expires), false, true, noNotice, 15 * time.Second},
		{"cancelled without sms", order("cancelled", "", expires), true, false, noticeEnded, 0},
		{"refunded without sms", order("Refunded", "", expires), true, false, noticeEnded, 0},
		{"expired status", order("expired", "", expires), true, false, noticeEnded, 0},
		{"final with sms: push, no notice", order("expired", "123456", expires), true, true, noNotice, 0},
		{"past expiry plus grace", order("pending", "", checkNow.Add(-2*time.Minute)), true, false, noticeExpired, 0},
		{"within grace: checked again", order("pending", "", checkNow.Add(-30*time.Second)), false, false, noNotice, 3 * time.Second},
		{"last look lands just after the grace", order("completed", "1234", checkNow.Add(-50*time.Second)), false, true, noNotice, 11 * time.Second},
		{"unknown status word keeps waiting", order("Retrying", "", expires), false, false, noNotice, 3 * time.Second},
		{"expiry unknown to the order: the watch's counts", order("pending", "", time.Time{}), false, false, noNotice, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := testPolicy.observed(dueWatch(expires, 2), tt.order, checkNow)
			if v.end != tt.end || v.sms != tt.sms || v.notice != tt.notice || v.pause {
				t.Errorf("verdict %+v; want end %v, sms %v, notice %v", v, tt.end, tt.sms, tt.notice)
			}
			if v.failures != 0 {
				t.Errorf("failures = %d after a good check, want 0", v.failures)
			}
			if !tt.end {
				if d := v.next.Sub(checkNow); d != tt.next {
					t.Errorf("next check in %v, want %v", d, tt.next)
				}
			}
		})
	}
}

// TestObservedAfterAnotherSMS: once another SMS was asked for, a watch
// whose order shows an SMS keeps the waiting pace until FastUntil, then
// slows down as usual.
func TestObservedAfterAnotherSMS(t *testing.T) {
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
		if got := testPolicy.observed(dw, o, checkNow).next.Sub(checkNow); got != tt.want {
			t.Errorf("FastUntil %v: next check in %v, want %v", tt.fastUntil, got, tt.want)
		}
	}
}

func TestFailed(t *testing.T) {
	expires := checkNow.Add(10 * time.Minute)
	apiErr := func(kind error, retryAfter time.Duration) error {
		return &smsapi.Error{Op: "get order", Kind: kind, RetryAfter: retryAfter}
	}
	for _, tt := range []struct {
		name    string
		expires time.Time
		err     error
		want    verdict
	}{
		{"refused key pauses the account", expires, apiErr(smsapi.ErrBadCredentials, 0), verdict{pause: true, notice: noticePaused, failures: 3}},
		{"unknown order ends", expires, apiErr(smsapi.ErrOrderNotFound, 0), verdict{end: true, notice: noticeGone, failures: 3}},
		{"invalid order id ends", expires, apiErr(smsapi.ErrInvalidInput, 0), verdict{end: true, notice: noticeGone, failures: 3}},
		{"gives up hours after expiry", checkNow.Add(-7 * time.Hour), apiErr(smsapi.ErrTransient, 0), verdict{end: true, notice: noticeGaveUp, failures: 3}},
		{"Retry-After is honoured", expires, apiErr(smsapi.ErrRateLimited, 40*time.Second), verdict{next: checkNow.Add(40 * time.Second), failures: 3}},
		{"never sleeps past the order's end", checkNow.Add(20 * time.Second), apiErr(smsapi.ErrRateLimited, 10*time.Minute),
			verdict{next: checkNow.Add(20*time.Second + defaultExpiryGrace + time.Second), failures: 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if v := testPolicy.failed(dueWatch(tt.expires, 2), tt.err, checkNow); v != tt.want {
				t.Errorf("verdict %+v, want %+v", v, tt.want)
			}
		})
	}
	for _, kind := range []error{smsapi.ErrTransient, smsapi.ErrMalformed, smsapi.ErrRejected, errors.New("boom")} {
		t.Run(fmt.Sprintf("%v is retried with growing backoff", kind), func(t *testing.T) {
			var prev time.Duration
			for failures := range 4 {
				v := testPolicy.failed(dueWatch(expires, failures), apiErr(kind, 0), checkNow)
				if v.end || v.pause || v.notice != noNotice {
					t.Fatalf("a %v ended or paused the watch: %+v", kind, v)
				}
				if v.failures != failures+1 {
					t.Errorf("failures = %d, want %d", v.failures, failures+1)
				}
				wait := v.next.Sub(checkNow)
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
	t.Run("backoff is capped", func(t *testing.T) {
		v := testPolicy.failed(dueWatch(checkNow.Add(time.Hour), 30), apiErr(smsapi.ErrTransient, 0), checkNow)
		if wait := v.next.Sub(checkNow); wait > maxBackoff*12/10 {
			t.Errorf("waits %v, over the cap", wait)
		}
	})
}

func TestNextPoll(t *testing.T) {
	tests := []struct {
		name     string
		due      time.Time
		interval time.Duration
		min, max time.Duration // next - checkNow
	}{
		{"first check starts the beat", time.Time{}, 3 * time.Second, 3 * time.Second, 3 * time.Second},
		{"on the beat, not after the check", checkNow.Add(-200 * time.Millisecond), 3 * time.Second, 2800 * time.Millisecond, 2800 * time.Millisecond},
		{"slower pace after an SMS", checkNow.Add(-200 * time.Millisecond), 15 * time.Second, 14800 * time.Millisecond, 14800 * time.Millisecond},
		{"far behind: half to one interval", checkNow.Add(-time.Minute), 3 * time.Second, 1500 * time.Millisecond, 3 * time.Second},
		{"far behind after an SMS too", checkNow.Add(-time.Minute), 15 * time.Second, 1500 * time.Millisecond, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 {
				d := testPolicy.nextPoll(tt.due, checkNow, tt.interval).Sub(checkNow)
				if d < tt.min || d > tt.max {
					t.Fatalf("next check in %v, want %v..%v", d, tt.min, tt.max)
				}
			}
		})
	}
}
