package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/smsbot/smsbot/store"
)

// apiCallStore is where RequestCounter writes its counts.
type apiCallStore interface {
	AddAPICalls(ctx context.Context, calls []store.APICalls) error
}

// RequestCounter counts SMSOnline requests and errors per minute for
// /stats. Its Observe is the client's observer (smsapi.WithObserver): it
// only adds in memory; Run writes the counts to the store in one
// transaction every flushEvery, so thousands of checks a second cost one
// small write.
type RequestCounter struct {
	store apiCallStore
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex
	pending map[int64]*store.APICalls // by minute, unix ms
}

// requestFlushEvery is how often RequestCounter writes its counts.
const requestFlushEvery = 15 * time.Second

// NewRequestCounter makes a counter that writes to st; now is its clock
// (nil: time.Now).
func NewRequestCounter(st apiCallStore, now func() time.Time, log *slog.Logger) *RequestCounter {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RequestCounter{store: st, now: now, log: log, pending: map[int64]*store.APICalls{}}
}

// Observe counts one request that was sent. It has smsapi.Observer's shape.
func (c *RequestCounter) Observe(_ string, err error, _ time.Duration) {
	minute := c.now().Truncate(time.Minute)
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[minute.UnixMilli()]
	if p == nil {
		p = &store.APICalls{Minute: minute}
		c.pending[minute.UnixMilli()] = p
	}
	p.Requests++
	if err != nil {
		p.Errors++
	}
}

// Run writes the counts every requestFlushEvery until ctx is cancelled,
// and once more then.
func (c *RequestCounter) Run(ctx context.Context) {
	t := time.NewTicker(requestFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			c.Flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			c.Flush(ctx)
		}
	}
}

// Flush writes the counts gathered so far. Counts that cannot be written
// are kept for the next flush.
func (c *RequestCounter) Flush(ctx context.Context) {
	c.mu.Lock()
	calls := make([]store.APICalls, 0, len(c.pending))
	for _, p := range c.pending {
		calls = append(calls, *p)
	}
	clear(c.pending)
	c.mu.Unlock()
	if len(calls) == 0 {
		return
	}
	if err := c.store.AddAPICalls(ctx, calls); err != nil {
		c.log.Warn("can't record smsonline request counts", "err", err)
		c.mu.Lock()
		for _, p := range calls {
			q := c.pending[p.Minute.UnixMilli()]
			if q == nil {
				q = &store.APICalls{Minute: p.Minute}
				c.pending[p.Minute.UnixMilli()] = q
			}
			q.Requests += p.Requests
			q.Errors += p.Errors
		}
		c.mu.Unlock()
	}
}
