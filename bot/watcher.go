package bot

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// WatchStore is what the watcher needs from the database.
type WatchStore interface {
	ClaimDueWatches(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.DueWatch, error)
	NextWatchDue(ctx context.Context) (time.Time, bool, error)
	ApplyOutcomes(ctx context.Context, outcomes []store.CheckOutcome) (pushed int, err error)
	PauseWatches(ctx context.Context, telegramUserID int64, notice *store.Message) (paused int, err error)
	ReleaseClaims(ctx context.Context) error
}

// OrderChecker is the SMSOnline call the watcher makes.
type OrderChecker interface {
	GetOrder(ctx context.Context, cred smsapi.Credentials, orderID string) (smsapi.Order, error)
}

// WatcherConfig tunes the watcher. Zero values take the defaults noted.
type WatcherConfig struct {
	PollInterval time.Duration // between checks of a waiting order; default 3s
	Workers      int           // checks in flight at once; default 32
	Batch        int           // watches claimed per database round; default 256
	ExpiryGrace  time.Duration // how long after expiry an order is still checked; default 1m
	Now          func() time.Time
	Logger       *slog.Logger
}

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
)

// Watcher checks due watches through SMSOnline and records each outcome (and
// the push for a new SMS) in the database. It keeps no watch in memory between
// checks: the database is the schedule, so a restart resumes it.
type Watcher struct {
	cfg    WatcherConfig
	store  WatchStore
	api    OrderChecker
	log    *slog.Logger
	wake   chan struct{}
	onPush func() // tells the sender that new messages are due
}

// NewWatcher builds a watcher. onPush is called after outcomes that enqueued
// messages were written; it must not block.
func NewWatcher(cfg WatcherConfig, st WatchStore, api OrderChecker, onPush func()) *Watcher {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 3 * time.Second
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
	return &Watcher{cfg: cfg, store: st, api: api, log: cfg.Logger, wake: make(chan struct{}, 1), onPush: onPush}
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
}

// Run checks watches until ctx is cancelled. Checks in flight at cancel are
// abandoned; their watches stay claimed until the next start releases them.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.store.ReleaseClaims(ctx); err != nil {
		return err
	}
	jobs := make(chan store.DueWatch)
	results := make(chan checkResult, w.cfg.Workers)
	slots := make(chan struct{}, w.cfg.Batch) // watches claimed and not yet written

	var workers sync.WaitGroup
	for range w.cfg.Workers {
		workers.Go(func() {
			for dw := range jobs {
				results <- w.check(ctx, dw)
			}
		})
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		w.write(ctx, results, slots)
	}()

	w.schedule(ctx, jobs, slots)
	close(jobs)
	workers.Wait()
	close(results)
	<-writerDone
	return nil
}

// schedule claims due watches and hands them to the workers until ctx is
// cancelled. The request cap applies inside the workers' API calls.
func (w *Watcher) schedule(ctx context.Context, jobs chan<- store.DueWatch, slots chan struct{}) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for ctx.Err() == nil {
		free := cap(slots) - len(slots)
		var due []store.DueWatch
		if free > 0 {
			var err error
			due, err = w.store.ClaimDueWatches(ctx, w.cfg.Now(), claimLease, free)
			if err != nil && ctx.Err() == nil {
				w.log.Error("can't claim due watches", "err", err)
			}
		}
		for _, dw := range due {
			slots <- struct{}{}
			select {
			case jobs <- dw:
			case <-ctx.Done():
				return // the claims are released at the next start
			}
		}
		if len(due) > 0 && len(due) == free {
			continue // there may be more due right now
		}
		w.sleep(ctx, timer, slots)
	}
}

// sleep waits until the next watch is due, a new watch wakes the loop, or a
// slot frees up while watches wait for one.
func (w *Watcher) sleep(ctx context.Context, timer *time.Timer, slots chan struct{}) {
	wait := w.cfg.PollInterval
	if next, ok, err := w.store.NextWatchDue(ctx); err == nil && ok {
		wait = min(max(next.Sub(w.cfg.Now()), 0), wait)
	}
	if len(slots) == cap(slots) {
		wait = min(wait, flushEvery) // busy: look again once outcomes were written
	}
	if wait <= 0 {
		return
	}
	timer.Reset(wait)
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-timer.C:
		return
	}
	if !timer.Stop() {
		select {
		case <-timer.C:
		default:
		}
	}
}

// write records finished checks in batches: one transaction for all the
// outcomes that finished within flushEvery of each other.
func (w *Watcher) write(ctx context.Context, results <-chan checkResult, slots chan struct{}) {
	var batch []checkResult
	ticker := time.NewTicker(flushEvery)
	defer ticker.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		w.flush(context.WithoutCancel(ctx), batch)
		for range batch {
			<-slots
		}
		batch = batch[:0]
	}
	for {
		select {
		case r, ok := <-results:
			if !ok {
				flush()
				return
			}
			batch = append(batch, r)
			if len(batch) >= w.cfg.Workers {
				flush()
			}
		case <-ticker.C:
			flush()
		}
	}
}

// flush writes one batch of outcomes and the pauses it calls for.
func (w *Watcher) flush(ctx context.Context, batch []checkResult) {
	outcomes := make([]store.CheckOutcome, 0, len(batch))
	for _, r := range batch {
		if !r.skip && r.pause == nil {
			outcomes = append(outcomes, r.outcome)
		}
	}
	notify := false
	if len(outcomes) > 0 {
		pushed, err := w.store.ApplyOutcomes(ctx, outcomes)
		if err != nil {
			// The claims lapse after claimLease and the checks run again: nothing is lost.
			w.log.Error("can't record checks", "count", len(outcomes), "err", err)
		}
		notify = pushed > 0 || hasNotice(outcomes)
	}
	for _, r := range batch {
		if r.pause == nil {
			continue
		}
		paused, err := w.store.PauseWatches(ctx, r.outcome.TelegramUserID, r.pause)
		if err != nil {
			w.log.Error("can't pause watches", "user", r.outcome.TelegramUserID, "err", err)
			continue
		}
		if paused > 0 {
			w.log.Info("api key refused: watches paused", "user", r.outcome.TelegramUserID, "watches", paused)
			notify = true
		}
	}
	if notify {
		w.onPush()
	}
}

func hasNotice(outcomes []store.CheckOutcome) bool {
	for _, o := range outcomes {
		if o.Notice != nil {
			return true
		}
	}
	return false
}

// check asks SMSOnline about one watched order and decides what follows.
func (w *Watcher) check(ctx context.Context, dw store.DueWatch) checkResult {
	if dw.KeyErr != nil {
		// The stored key does not open (BOT_ENCRYPTION_KEY changed): asking
		// SMSOnline is pointless until the user links the account again.
		w.log.Error("stored api key does not open: was BOT_ENCRYPTION_KEY changed?", "user", dw.TelegramUserID)
		return checkResult{
			outcome: store.CheckOutcome{TelegramUserID: dw.TelegramUserID, OrderID: dw.OrderID},
			pause:   noticeMessage(dw.Watch, textKeyUnreadable),
		}
	}
	order, err := w.api.GetOrder(ctx, credentials(dw.Account), dw.OrderID)
	if ctx.Err() != nil {
		return checkResult{skip: true}
	}
	now := w.cfg.Now()
	if err != nil {
		return w.failed(dw, err, now)
	}
	return checkResult{outcome: w.observed(dw, order, now)}
}

// observed decides the outcome of a successful check.
func (w *Watcher) observed(dw store.DueWatch, o smsapi.Order, now time.Time) store.CheckOutcome {
	out := store.CheckOutcome{
		TelegramUserID: dw.TelegramUserID,
		OrderID:        dw.OrderID,
		LastCheckedAt:  now,
		Status:         o.Status,
		Service:        o.Service,
		PhoneNumber:    o.PhoneNumber,
		ExpiresAt:      o.ExpiresAt,
		NextCheckAt:    now.Add(w.cfg.PollInterval),
	}
	expires := o.ExpiresAt
	if expires.IsZero() {
		expires = dw.ExpiresAt
	}
	if o.HasSMS() {
		out.SMS = o.SMS
		out.Push = pushMessage(dw.Watch, o, now)
		out.NextCheckAt = now.Add(smsInterval(w.cfg.PollInterval))
	}
	over := !expires.IsZero() && now.After(expires.Add(w.cfg.ExpiryGrace))
	switch {
	case o.State() == smsapi.StateFinal:
		out.End = true
		if !o.HasSMS() {
			out.Notice = noticeMessage(dw.Watch, textOrderEnded(dw.OrderID, o.Service, o.Status))
		}
	case over:
		out.End = true
		if !o.HasSMS() {
			out.Notice = noticeMessage(dw.Watch, textOrderExpired(dw.OrderID, o.Service))
		}
	case !expires.IsZero() && out.NextCheckAt.After(expires.Add(w.cfg.ExpiryGrace)):
		// One last look just after the grace period, not a full interval later.
		out.NextCheckAt = expires.Add(w.cfg.ExpiryGrace).Add(time.Second)
	}
	return out
}

// failed decides what follows a failed check. Only a refused key and an
// unknown order stop checking; everything else is retried with backoff.
func (w *Watcher) failed(dw store.DueWatch, err error, now time.Time) checkResult {
	out := store.CheckOutcome{TelegramUserID: dw.TelegramUserID, OrderID: dw.OrderID, Failures: dw.Failures + 1}
	switch {
	case errors.Is(err, smsapi.ErrBadCredentials):
		return checkResult{outcome: out, pause: noticeMessage(dw.Watch, textWatchesPaused)}
	case errors.Is(err, smsapi.ErrOrderNotFound), errors.Is(err, smsapi.ErrInvalidInput):
		out.End = true
		out.Notice = noticeMessage(dw.Watch, textWatchedOrderGone(dw.OrderID))
		return checkResult{outcome: out}
	}
	w.log.Warn("order check failed, will retry", "user", dw.TelegramUserID, "order", dw.OrderID,
		"failures", out.Failures, "err", err)
	if !dw.ExpiresAt.IsZero() && now.After(dw.ExpiresAt.Add(giveUpAfterExpiry)) {
		out.End = true
		out.Notice = noticeMessage(dw.Watch, textWatchGaveUp(dw.OrderID))
		return checkResult{outcome: out}
	}
	wait := backoff(w.cfg.PollInterval, out.Failures)
	if ra := smsapi.RetryAfter(err); ra > wait {
		wait = ra
	}
	out.NextCheckAt = now.Add(wait)
	// Never sleep through the end of the order: look again right after it.
	if end := dw.ExpiresAt.Add(w.cfg.ExpiryGrace); !dw.ExpiresAt.IsZero() && now.Before(end) && out.NextCheckAt.After(end) {
		out.NextCheckAt = end.Add(time.Second)
	}
	return checkResult{outcome: out}
}

// backoff is the wait after n consecutive failures: doubling from the poll
// interval, capped at maxBackoff, with ±20% jitter so that many watches that
// failed together do not retry together.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return jitter(min(d, maxBackoff))
}

// jitter spreads d randomly by ±20%.
func jitter(d time.Duration) time.Duration {
	j := d / 5
	return d - j + time.Duration(rand.Int64N(int64(2*j)+1))
}

// smsInterval is the pace after an SMS arrived: slower than waiting, since
// only a second SMS is left to catch, but never slower than maxSMSInterval.
func smsInterval(poll time.Duration) time.Duration {
	return max(min(5*poll, maxSMSInterval), poll)
}
