package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/telegramtest"
)

// TestHealth follows the health check through a Telegram outage: healthy
// once polling and both loops run, unhealthy with the reason while
// getUpdates fails, healthy again after.
func TestHealth(t *testing.T) {
	h := newHarness(t)
	b := h.bot
	health := func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := b.Health(ctx); err != nil {
			return err.Error()
		}
		return ""
	}
	h.tg.WaitFor(t, 10*time.Second, func() bool { return health() == "" })

	h.tg.InjectFault(telegramtest.Fault{Method: "getUpdates", Code: 502})
	var why string
	h.tg.WaitFor(t, 10*time.Second, func() bool { why = health(); return why != "" })
	if !strings.Contains(why, "telegram: getUpdates failed: HTTP 502") {
		t.Errorf("unhealthy because %q", why)
	}
	h.tg.ClearFaults()
	h.tg.WaitFor(t, 20*time.Second, func() bool { return health() == "" })
}

func TestPollTrackerCheck(t *testing.T) {
	now := time.Now()
	limit := time.Minute
	for _, tc := range []struct {
		name string
		p    *pollTracker
		want string
	}{
		{"never polled", &pollTracker{}, "no getUpdates yet"},
		{"first poll running", &pollTracker{inFlight: now.Add(-30 * time.Second)}, ""},
		{"first poll hanging", &pollTracker{inFlight: now.Add(-2 * time.Minute)}, "no getUpdates yet"},
		{"recent success", &pollTracker{lastOK: now.Add(-10 * time.Second)}, ""},
		{"old success, poll running", &pollTracker{lastOK: now.Add(-5 * time.Minute), inFlight: now.Add(-10 * time.Second)}, ""},
		{"old success", &pollTracker{lastOK: now.Add(-5 * time.Minute)}, "last getUpdates succeeded 5m0s ago"},
		{"failing", &pollTracker{lastOK: now, failing: "getUpdates failed: HTTP 401"}, "getUpdates failed: HTTP 401"},
	} {
		if got := tc.p.check(now, limit); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
