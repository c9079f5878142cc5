// Package watch is the watcher: it takes due watches from the database,
// checks them through SMSOnline (a bounded pool of workers, one inventory
// request per account where it can) and writes each outcome, with the push
// for a new SMS, in batches. The database is the schedule: no watch is kept
// in memory between checks, so a restart resumes where it stopped.
// decide.go holds the pure decisions (what an observation means, when the
// next check is, how long to back off); render.go puts them into words.
package watch

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/metrics"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Store is what the watcher needs from the database.
type Store interface {
	ClaimDueWatchesAhead(ctx context.Context, now time.Time, ahead, lease time.Duration, limit int) ([]store.DueWatch, error)
	NextWatchDueAfter(ctx context.Context, t time.Time) (time.Time, bool, error)
	ApplyOutcomes(ctx context.Context, outcomes []store.CheckOutcome, now time.Time) (pushed int, err error)
	PauseWatches(ctx context.Context, telegramUserID int64, notice *store.Message, now time.Time) (paused int, err error)
	ReleaseClaims(ctx context.Context) error
}

// Checker is the SMSOnline call the watcher makes.
type Checker interface {
	GetOrder(ctx context.Context, cred smsapi.Credentials, orderID string) (smsapi.Order, error)
}

// Lister lists all of an account's orders in one request; the watcher
// uses it, when its Checker has it too, to check several orders of one
// account at once. *smsapi.Client implements it. An error wrapping
// errors.ErrUnsupported means it is not available.
type Lister interface {
	Inventory(ctx context.Context, cred smsapi.Credentials, expiredLimit int) ([]smsapi.Order, error)
}

// Config tunes the watcher. Zero values take the defaults noted.
type Config struct {
	PollInterval time.Duration // between checks of a waiting order; default 3s
	Workers      int           // checks (requests) in flight at once; default 32
	Batch        int           // most due watches claimed per database round; default 256
	ExpiryGrace  time.Duration // how long after expiry an order is still checked; default 1m
	OnChecked    func(n int)   // called with how many orders each written batch looked at; nil for none
	// Fallback is the language of users whose language the bot does not
	// speak (see message.For); nil for English.
	Fallback *message.Lang
	Metrics  *metrics.Metrics // nil for none
	Now      func() time.Time
	Logger   *slog.Logger
}

// DefaultPollInterval is the time between two checks of a waiting order
// when Config leaves it zero.
const DefaultPollInterval = account.DefaultPollInterval

// DefaultMaxPerUser is how many orders one user may have watched at once
// unless told otherwise.
const DefaultMaxPerUser = 50

const (
	// claimLease keeps a claimed watch from being taken again while it is
	// checked. It only matters if a check hangs: outcomes clear it, and a restart
	// releases every claim.
	claimLease = 2 * time.Minute
	// defaultExpiryGrace is how long after an order's expiry it is still
	// checked, since the clocks of SMSOnline and the bot differ and a late SMS
	// still counts.
	defaultExpiryGrace = time.Minute
	// maxSMSInterval is the slowest pace after an SMS arrived, while the number
	// can still receive a second one.
	maxSMSInterval = 30 * time.Second
	// maxBackoff caps the wait after failed checks.
	maxBackoff = 2 * time.Minute
	// giveUpAfterExpiry ends a watch whose order could not be checked for this
	// long after it expired; SMSOnline keeps answering for expired orders, so
	// reaching this means it was unreachable for hours.
	giveUpAfterExpiry = 6 * time.Hour
	// flushEvery bounds how long a finished check waits to be written with others.
	flushEvery = 20 * time.Millisecond
	// claimTick is the least time between two claim rounds that find nothing
	// more due, so a check may start up to this late (never early: a
	// Retry-After is honoured to the millisecond). It bounds the claim
	// transactions to 1/claimTick per second however many watches there are.
	claimTick = 10 * time.Millisecond
	// flushSize writes a batch at once when it is this large.
	flushSize = 512
	// noInventoryFor is how long an account whose inventory call failed for
	// good (not a rate limit or a transient failure) is checked order by order.
	noInventoryFor = 10 * time.Minute
)

// lockedWriteTries bounds how often a batch of outcomes is written again while
// another process locks the database; each try waits the store's busy timeout.
const lockedWriteTries = 6

// Watcher checks due watches through SMSOnline and records each outcome (and
// the push for a new SMS) in the database. It keeps no watch in memory between
// checks: the database is the schedule, so a restart resumes it.
type Watcher struct {
	cfg    Config
	policy policy
	store  Store
	api    Checker
	lister Lister // nil: every order is checked on its own
	log    *slog.Logger
	wake   chan struct{}
	freed  chan struct{} // a worker became idle
	onPush func()        // tells the sender that new messages are due
	tick   atomic.Int64  // unix nanoseconds of the scheduler's last round, for the health check

	mu          sync.Mutex
	noInventory map[int64]time.Time // user -> until when to skip the inventory call
}

// New builds a watcher. onPush is called after outcomes that enqueued
// messages were written; it must not block.
func New(cfg Config, st Store, api Checker, onPush func()) *Watcher {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ExpiryGrace <= 0 {
		cfg.ExpiryGrace = defaultExpiryGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if onPush == nil {
		onPush = func() {}
	}
	w := &Watcher{
		cfg: cfg, store: st, api: api, log: cfg.Logger, onPush: onPush,
		policy:      policy{poll: cfg.PollInterval, grace: cfg.ExpiryGrace},
		wake:        make(chan struct{}, 1),
		freed:       make(chan struct{}, 1),
		noInventory: make(map[int64]time.Time),
	}
	w.lister, _ = api.(Lister)
	return w
}

// Wake makes the watcher look for due watches now (a new watch was added).
func (w *Watcher) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// checkResult is one finished check on its way to the writer.
type checkResult struct {
	outcome store.CheckOutcome
	pause   *store.Message // non-nil: the account's key was refused; pause its watches with this notice
	skip    bool           // nothing to write (the check was cut short by shutdown)
	release bool           // not checked: only the claim goes
}

// checkJob is one account's claimed watches, checked together: with one
// inventory request when there are several and the API offers it.
type checkJob struct {
	watches []store.DueWatch // the due ones first, then those due soon
	at      time.Time        // when they were claimed: a watch due after it is early
}

// Run checks watches until ctx is cancelled. Checks in flight at cancel are
// abandoned; their watches stay claimed until the next start releases them.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.store.ReleaseClaims(ctx); err != nil {
		return err
	}
	// A token per idle worker: the scheduler claims no more watches than idle
	// workers can start on at once, so a claimed watch never waits in a queue
	// while later ones are checked (under the request cap that would be unfair).
	idle := make(chan struct{}, w.cfg.Workers)
	for range w.cfg.Workers {
		idle <- struct{}{}
	}
	jobs := make(chan checkJob, w.cfg.Workers)
	results := make(chan []checkResult, w.cfg.Workers)

	// Checks are background work: under the request cap they take the
	// slots users' commands leave.
	checkCtx := smsapi.Background(ctx)
	var workers sync.WaitGroup
	for range w.cfg.Workers {
		workers.Go(func() {
			for job := range jobs {
				results <- w.checkJob(checkCtx, job)
				idle <- struct{}{}
				select {
				case w.freed <- struct{}{}:
				default:
				}
			}
		})
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		w.write(ctx, results)
	}()

	w.schedule(ctx, jobs, idle)
	close(jobs)
	workers.Wait()
	close(results)
	<-writerDone
	return nil
}

// schedule claims due watches and hands them, grouped by account, to idle
// workers until ctx is cancelled. The request cap applies inside the
// workers' API calls.
func (w *Watcher) schedule(ctx context.Context, jobs chan<- checkJob, idle chan struct{}) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var ahead time.Duration
	if w.lister != nil {
		// The watches of an account due within half an interval ride along
		// with its first due one: the inventory answers them all in one
		// request, and from then on they share that beat. Not a whole
		// interval: a watch just checked is due again one interval later and
		// must not be taken along again by another of its account's watches.
		ahead = w.cfg.PollInterval / 2
	}
	for ctx.Err() == nil {
		w.tick.Store(time.Now().UnixNano())
		limit := min(len(idle), w.cfg.Batch)
		if limit == 0 {
			w.sleep(ctx, timer, 0, true)
			continue
		}
		now := w.cfg.Now()
		claimed, err := w.store.ClaimDueWatchesAhead(ctx, now, ahead, claimLease, limit)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Error("can't claim due watches", "err", err)
			}
			w.sleep(ctx, timer, time.Second, false)
			continue
		}
		due := 0
		for _, g := range groupByUser(claimed) {
			for _, dw := range g {
				if !dw.NextCheckAt.After(now) {
					due++
				}
			}
			<-idle // never blocks: at most limit groups (one per due watch the store picked), and only this loop takes tokens
			jobs <- checkJob{watches: g, at: now}
		}
		if due >= limit {
			continue // there may be more due right now
		}
		wait := w.cfg.PollInterval
		if next, ok, err := w.store.NextWatchDueAfter(ctx, now); err == nil && ok {
			wait = min(next.Sub(w.cfg.Now()), wait)
		}
		w.sleep(ctx, timer, max(wait, claimTick), false)
	}
}

// LastRound is when the scheduler last ran a round; zero before it started.
// It runs at least once per PollInterval.
func (w *Watcher) LastRound() time.Time {
	if n := w.tick.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// groupByUser splits claimed watches into runs of one user's watches; the
// store returns each user's together.
func groupByUser(claimed []store.DueWatch) [][]store.DueWatch {
	var groups [][]store.DueWatch
	for i := 0; i < len(claimed); {
		j := i + 1
		for j < len(claimed) && claimed[j].TelegramUserID == claimed[i].TelegramUserID {
			j++
		}
		groups = append(groups, claimed[i:j:j])
		i = j
	}
	return groups
}

// sleep waits for wait (if positive), a new watch, ctx, or, when onFreed is
// set, until a worker becomes idle.
func (w *Watcher) sleep(ctx context.Context, timer *time.Timer, wait time.Duration, onFreed bool) {
	if wait <= 0 && !onFreed {
		return
	}
	var timeout <-chan time.Time
	if wait > 0 {
		timer.Reset(wait)
		timeout = timer.C
		defer func() {
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}()
	}
	var freed <-chan struct{}
	if onFreed {
		freed = w.freed
	}
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-freed:
	case <-timeout:
	}
}
