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

// urgentRun is how many urgent background requests in a row may take a
// slot while plain background requests wait: a burst of refunds takes
// nearly all the slots commands leave, and the watcher keeps one in
// urgentRun+1 meanwhile.
const urgentRun = 16

// WithMaxRPS caps the Client at rps requests per second: no one-second window
// at SMSOnline sees more than rps of them, all callers together. A request
// waits for its slot (or for its context to end). Requests made with a
// context from Background or Urgent yield to the others: they take the slots
// that interactive requests leave, the urgent ones first. rps <= 0 means no
// cap, the default.
func WithMaxRPS(rps float64) Option {
	return func(c *Client) {
		c.limit = nil
		if rps > 0 {
			c.limit = newRequestCap(rps)
		}
	}
}

// The lines requests wait in under WithMaxRPS, first served first.
const (
	lineInteractive = iota // a user waits for the answer
	lineUrgent             // background work with a deadline
	lineBackground         // background work that repeats anyway
	lineCount
)

type lineKey struct{}

// Background returns a context whose requests are background work, such as
// the periodic checks of a watcher: under WithMaxRPS they take a slot only
// when no interactive request (a user's command) waits for it.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, lineKey{}, lineBackground)
}

// Urgent returns a context whose requests are background work with a
// deadline, such as refunding a number before it expires: under WithMaxRPS
// they yield to interactive requests as Background ones do, but go ahead of
// Background ones, whose checks repeat anyway.
func Urgent(ctx context.Context) context.Context {
	return context.WithValue(ctx, lineKey{}, lineUrgent)
}

// lineOf is the line ctx's requests wait in.
func lineOf(ctx context.Context) int {
	l, _ := ctx.Value(lineKey{}).(int)
	return l
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
// Waiters queue in three lines, interactive, urgent and background, each
// first come, first served. A free slot goes to the oldest interactive
// waiter, unless backgroundRun of them went in a row while a background or
// urgent one waited; a slot left to those goes to the oldest urgent waiter,
// unless urgentRun of them went in a row while a background one waited.
type requestCap struct {
	window   time.Duration
	interval time.Duration
	catchUp  time.Duration

	mu        sync.Mutex
	starts    []time.Time // ring: the last n starts, oldest at i
	i         int
	next      time.Time               // the next start on the grid
	queue     [lineCount][]*capWaiter // by line
	run       int                     // interactive grants in a row while urgent or background waited
	urgentRun int                     // urgent grants in a row while background waited
	timer     *time.Timer             // armed for the next slot while anyone waits
	timerSet  bool
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
	line := lineOf(ctx)
	c.mu.Lock()
	now := time.Now()
	if c.waiting() == 0 && !c.slot().After(now) {
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

// waiting is how many wait, in all lines. c.mu is held.
func (c *requestCap) waiting() int {
	n := 0
	for _, q := range c.queue {
		n += len(q)
	}
	return n
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
	if c.timerSet || c.waiting() == 0 {
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
	line := c.turn()
	if len(c.queue[line]) > 0 {
		w := c.queue[line][0]
		c.queue[line][0] = nil
		c.queue[line] = c.queue[line][1:]
		c.take(now)
		close(w.granted)
	}
	c.arm(now)
}

// turn is the line whose oldest waiter gets the slot that has come, and
// counts it in the runs. c.mu is held.
func (c *requestCap) turn() int {
	q := &c.queue
	behind := len(q[lineUrgent]) + len(q[lineBackground])
	if len(q[lineInteractive]) > 0 && (behind == 0 || c.run < backgroundRun) {
		c.run++
		if behind == 0 {
			c.run = 0
		}
		return lineInteractive
	}
	c.run = 0
	if len(q[lineUrgent]) > 0 && (len(q[lineBackground]) == 0 || c.urgentRun < urgentRun) {
		c.urgentRun++
		if len(q[lineBackground]) == 0 {
			c.urgentRun = 0
		}
		return lineUrgent
	}
	c.urgentRun = 0
	return lineBackground
}
