package bot

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/smsbot/smsbot/smsapi"
)

// capMargin is how much wider than a second the request cap's window is:
// requests leave at most cap per (1s + capMargin), so that network and
// scheduling jitter on the way cannot make any one-second window at
// SMSOnline see more than the cap.
const capMargin = 50 * time.Millisecond

// cappedAPI makes every SMSOnline request wait its turn under one shared
// budget, so commands and the watcher together stay under SMSONLINE_MAX_RPS.
type cappedAPI struct {
	api OrderAPI
	cap *requestCap
}

// cappedListingAPI is cappedAPI for an API that also lists inventories; the
// watcher looks for the Inventory method, so only this type has it.
type cappedListingAPI struct {
	*cappedAPI
	lister OrderLister
}

// newCappedAPI caps api at rps requests per second.
func newCappedAPI(api OrderAPI, rps float64) OrderAPI {
	c := &cappedAPI{api: api, cap: newRequestCap(rps)}
	if l, ok := api.(OrderLister); ok {
		return &cappedListingAPI{cappedAPI: c, lister: l}
	}
	return c
}

func (c *cappedAPI) GetOrder(ctx context.Context, cred smsapi.Credentials, orderID string) (smsapi.Order, error) {
	if err := c.cap.wait(ctx); err != nil {
		return smsapi.Order{}, err
	}
	return c.api.GetOrder(ctx, cred, orderID)
}

func (c *cappedAPI) Balance(ctx context.Context, cred smsapi.Credentials) (smsapi.Balance, error) {
	if err := c.cap.wait(ctx); err != nil {
		return smsapi.Balance{}, err
	}
	return c.api.Balance(ctx, cred)
}

func (c *cappedListingAPI) Inventory(ctx context.Context, cred smsapi.Credentials, expiredLimit int) ([]smsapi.Order, error) {
	if err := c.cap.wait(ctx); err != nil {
		return nil, err
	}
	return c.lister.Inventory(ctx, cred, expiredLimit)
}

// requestCap keeps SMSOnline requests under a rate. Two rules time each
// start. The hard one: of any n+1 consecutive starts, the first and the last
// are at least window apart (n = the cap, window = 1s + capMargin), so no
// second at SMSOnline can hold more than the cap, however late timers fire.
// The soft one spaces starts evenly on a grid of window/n, which may be
// caught up on by up to catchUp after a late start, so that the timer
// slack of a busy machine does not slowly eat into the budget. Waiters take
// their turn in arrival order, so a saturated cap is shared fairly.
type requestCap struct {
	turn     chan struct{} // held by the one waiter whose start is being timed
	window   time.Duration
	interval time.Duration
	catchUp  time.Duration
	starts   []time.Time // ring: the last n starts, oldest at i
	i        int
	next     time.Time // the next start on the grid
}

func newRequestCap(rps float64) *requestCap {
	n := max(1, int(math.Floor(rps)))
	// At most n per second, and for a cap under one, one per 1/rps seconds.
	window := time.Duration(max(1, float64(n)/rps) * float64(time.Second+capMargin))
	interval := window / time.Duration(n)
	return &requestCap{
		turn:     make(chan struct{}, 1),
		window:   window,
		interval: interval,
		catchUp:  min(4*interval, window/4),
		starts:   make([]time.Time, n),
	}
}

// wait returns when a request may start, or with ctx's error.
func (c *requestCap) wait(ctx context.Context) error {
	select {
	case c.turn <- struct{}{}: // blocked senders are let in first come, first served
	case <-ctx.Done():
		return fmt.Errorf("wait for the SMSOnline request cap: %w", ctx.Err())
	}
	defer func() { <-c.turn }()
	at := c.next
	if oldest := c.starts[c.i]; !oldest.IsZero() {
		at = maxTime(at, oldest.Add(c.window))
	}
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return fmt.Errorf("wait for the SMSOnline request cap: %w", ctx.Err())
		}
	}
	start := time.Now()
	c.starts[c.i] = start
	c.i = (c.i + 1) % len(c.starts)
	c.next = maxTime(c.next, start.Add(-c.catchUp)).Add(c.interval)
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
