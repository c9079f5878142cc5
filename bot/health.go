package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// pollTracker watches the bot's getUpdates calls go by, for the health
// check: it wraps the transport of the Telegram HTTP client.
type pollTracker struct {
	next http.RoundTripper

	mu       sync.Mutex
	lastOK   time.Time // the last getUpdates answered 200
	inFlight time.Time // when the running getUpdates started; zero if none
	failing  string    // why the last getUpdates failed; "" when it succeeded
}

func (p *pollTracker) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/getUpdates") {
		return p.next.RoundTrip(req)
	}
	p.mu.Lock()
	p.inFlight = time.Now()
	p.mu.Unlock()
	resp, err := p.next.RoundTrip(req)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight = time.Time{}
	switch {
	case err != nil:
		if !errors.Is(req.Context().Err(), context.Canceled) {
			p.failing = "getUpdates failed: no answer"
		}
	case resp.StatusCode != http.StatusOK:
		p.failing = fmt.Sprintf("getUpdates failed: HTTP %d", resp.StatusCode)
	default:
		p.lastOK, p.failing = time.Now(), ""
	}
	return resp, err
}

// check says why long polling is unhealthy, or "": a getUpdates succeeded
// within limit, or one is running, started within limit, after no failure.
func (p *pollTracker) check(now time.Time, limit time.Duration) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.failing != "":
		return p.failing
	case now.Sub(p.lastOK) <= limit:
		return ""
	case !p.inFlight.IsZero() && now.Sub(p.inFlight) <= limit:
		return ""
	case p.lastOK.IsZero():
		return "no getUpdates yet"
	}
	return fmt.Sprintf("last getUpdates succeeded %s ago", now.Sub(p.lastOK).Round(time.Second))
}

// Health reports whether the bot works: the database takes a write, long
// polling answered within a minute (LongPollTimeout + 10 s) or, in webhook
// mode, the listener serves and getWebhookInfo reports no failing
// deliveries (webhookhealth.go), the watcher
// and the sender ran a round recently, and no money outcome waits to be
// recorded. The error lists every
// reason it does not.
func (b *Bot) Health(ctx context.Context) error {
	now := time.Now()
	var problems []string
	if err := b.store.Ping(ctx, now); err != nil {
		problems = append(problems, "database: "+err.Error())
	}
	why := ""
	if b.cfg.Webhook != nil {
		why = b.hook.snapshot().problem(b.cfg.Webhook.URL, now)
	} else {
		why = b.polls.check(now, b.cfg.LongPollTimeout+10*time.Second)
	}
	if why != "" {
		problems = append(problems, "telegram: "+why)
	}
	for _, loop := range []struct {
		name  string
		last  time.Time
		limit time.Duration
	}{
		{"watcher", b.watcher.LastRound(), b.cfg.PollInterval + time.Minute},
		{"sender", b.sender.LastRound(), time.Minute},
	} {
		switch {
		case loop.last.IsZero():
			problems = append(problems, loop.name+": not started")
		case now.Sub(loop.last) > loop.limit:
			problems = append(problems, fmt.Sprintf("%s: no round for %s", loop.name, now.Sub(loop.last).Round(time.Second)))
		}
	}
	if n, since := b.money.Unwritten(); n > 0 {
		problems = append(problems, fmt.Sprintf("money: %d outcome(s) SMSOnline gave not yet recorded, for %s", n, now.Sub(since).Round(time.Second)))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}
