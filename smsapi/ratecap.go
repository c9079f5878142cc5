package smsapi

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// capMargin is how much wider than a second the request cap's window is:
// requests leave at most n per (1s + capMargin), so that network and
// scheduling jitter on the way cannot make any one-second window at
// SMSOnline see more than n.
const capMargin = 50 * time.Millisecond

// backgroundRun is how many interactive requests in a row may take a slot
// while background requests wait; the next slot then goes to the oldest
// background request, so a flood of commands slows the watcher but cannot
// stop it.
const backgroundRun = 4

// WithMaxRPS caps the Client at rps requests per second: no one-second window
// at SMSOnline sees more than rps of them, all callers together. A request
// waits for its slot (or for its context to end). Requests made with a
// context from Background yield to the others: they take the slots that
// interactive requests leave. rps <= 0 means no cap, the default.
func WithMaxRPS(rps float64) Option {
	return func(c *Client) {
		c.limit = nil
		if rps > 0 {
			c.limit = newRequestCap(rps)
		}
	}
}

type backgroundKey struct{}

// Background returns a context whose requests are background work, such as
// the periodic checks of a watcher: under WithMaxRPS they take a slot only
// when no interactive request (a user's command) waits for it.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

func isBackground(ctx context.Context) bool {
	bg, _ := ctx.Value(backgroundKey{}).(bool)
	return bg
}

// requestCap keeps requests under a rate. Two rules time each start. The
// hard one: of any n+1 consecutive starts, the first and the last are at
// least window apart (n = the cap, window = 1s + capMargin), so no second at
// SMSOnline can hold more than n, however late timers fire. The soft one
// spaces starts evenly on a grid of window/n, which may be caught up on by
// up to one interval after a late start, so that the timer slack of a busy
// machine does not slowly eat into the budget. (A longer catch-up lets
// starts bunch; the hard rule then repeats the bunch and the gap after it
// every window, and a command arriving in the gap waits it out.)
//
// Waiters queue in two lines, interactive and background, each first come,
// first served. A free slot goes to the oldest interactive waiter, unless
// backgroundRun of them went in a row while a background one waited.
type requestCap struct {
	window   time.Duration
	interval time.Duration
	catchUp  time.Duration

	mu       sync.Mutex
	starts   []time.Time // ring: the last n starts, oldest at i
	i        int
	next     time.Time       // the next start on the grid
	queue    [2][]*capWaiter // [0] interactive, [1] background
	run      int             // interactive grants in a row while background waited
	timer    *time.Timer     // armed for the next slot while anyone waits
	timerSet bool
}

type capWaiter struct {
	granted chan struct{} // closed when the waiter may start
}

func newRequestCap(rps float64) *requestCap {
	n := max(1, int(math.Floor(rps)))
	// At most n per second, and for a cap under one, one per 1/rps seconds.
	window := time.Duration(max(1, float64(n)/rps) * float64(time.Second+capMargin))
	interval := window / time.Duration(n)
	c := &requestCap{
		window:   window,
		interval: interval,
		catchUp:  interval,
		starts:   make([]time.Time, n),
	}
	c.timer = time.AfterFunc(time.Hour, c.fire)
	c.timer.Stop()
	return c
}

// wait returns when a request may start, or with ctx's error.
func (c *requestCap) wait(ctx context.Context) error {
	line := 0
	if isBackground(ctx) {
		line = 1
	}
	c.mu.Lock()
	now := time.Now()
	if len(c.queue[0])+len(c.queue[1]) == 0 && !c.slot().After(now) {
		c.take(now)
		c.mu.Unlock()
		return nil
	}
	w := &capWaiter{granted: make(chan struct{})}
	c.queue[line] = append(c.queue[line], w)
	c.arm(now)
	c.mu.Unlock()

	select {
	case <-w.granted:
		return nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-w.granted:
		// Granted as ctx ended: the slot is spent either way; let the
		// request find out about ctx itself.
		return nil
	default:
	}
	q := c.queue[line]
	for k := range q {
		if q[k] == w {
			c.queue[line] = append(q[:k:k], q[k+1:]...)
			break
		}
	}
	return fmt.Errorf("wait for the SMSOnline request cap: %w", ctx.Err())
}

// slot is the earliest moment the next request may start. c.mu is held.
func (c *requestCap) slot() time.Time {
	at := c.next
	if oldest := c.starts[c.i]; !oldest.IsZero() && oldest.Add(c.window).After(at) {
		at = oldest.Add(c.window)
	}
	return at
}

// take records a start at now. c.mu is held.
func (c *requestCap) take(now time.Time) {
	c.starts[c.i] = now
	c.i = (c.i + 1) % len(c.starts)
	if floor := now.Add(-c.catchUp); floor.After(c.next) {
		c.next = floor
	}
	c.next = c.next.Add(c.interval)
}

// arm sets the timer for the next slot if anyone waits and it is not set.
// c.mu is held.
func (c *requestCap) arm(now time.Time) {
	if c.timerSet || len(c.queue[0])+len(c.queue[1]) == 0 {
		return
	}
	c.timerSet = true
	c.timer.Reset(max(0, c.slot().Sub(now)))
}

// fire grants the slot that has come to the waiter whose turn it is.
func (c *requestCap) fire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timerSet = false
	now := time.Now()
	if c.slot().After(now) { // woken early
		c.arm(now)
		return
	}
	line := 0
	switch {
	case len(c.queue[0]) == 0:
		line = 1
	case len(c.queue[1]) > 0 && c.run >= backgroundRun:
		line = 1
	}
	if line == 1 || len(c.queue[1]) == 0 {
		c.run = 0
	}
	if line == 0 && len(c.queue[1]) > 0 {
		c.run++
	}
	if len(c.queue[line]) > 0 {
		w := c.queue[line][0]
		c.queue[line][0] = nil
		c.queue[line] = c.queue[line][1:]
		c.take(now)
		close(w.granted)
	}
	c.arm(now)
}
