package bot

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// WatchStore is what the watcher needs from the database.
type WatchStore interface {
	ClaimDueWatchesAhead(ctx context.Context, now time.Time, ahead, lease time.Duration, limit int) ([]store.DueWatch, error)
	NextWatchDueAfter(ctx context.Context, t time.Time) (time.Time, bool, error)
	ApplyOutcomesJoined(ctx context.Context, outcomes []store.CheckOutcome, join store.JoinFunc) (pushed int, err error)
	PauseWatches(ctx context.Context, telegramUserID int64, notice *store.Message) (paused int, err error)
	ReleaseClaims(ctx context.Context) error
}

// OrderChecker is the SMSOnline call the watcher makes.
type OrderChecker interface {
	GetOrder(ctx context.Context, cred smsapi.Credentials, orderID string) (smsapi.Order, error)
}

// OrderLister lists all of an account's orders in one request; the watcher
// uses it, when its OrderChecker has it too, to check several orders of one
// account at once. *smsapi.Client implements it. An error wrapping
// errors.ErrUnsupported means it is not available.
type OrderLister interface {
	Inventory(ctx context.Context, cred smsapi.Credentials, expiredLimit int) ([]smsapi.Order, error)
}

// WatcherConfig tunes the watcher. Zero values take the defaults noted.
type WatcherConfig struct {
	PollInterval time.Duration // between checks of a waiting order; default 3s
	Workers      int           // checks (requests) in flight at once; default 32
	Batch        int           // most due watches claimed per database round; default 256
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
	cfg    WatcherConfig
	store  WatchStore
	api    OrderChecker
	lister OrderLister // nil: every order is checked on its own
	log    *slog.Logger
	wake   chan struct{}
	freed  chan struct{} // a worker became idle
	onPush func()        // tells the sender that new messages are due

	mu          sync.Mutex
	noInventory map[int64]time.Time // user -> until when to skip the inventory call
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
	w := &Watcher{
		cfg: cfg, store: st, api: api, log: cfg.Logger, onPush: onPush,
		wake:        make(chan struct{}, 1),
		freed:       make(chan struct{}, 1),
		noInventory: make(map[int64]time.Time),
	}
	w.lister, _ = api.(OrderLister)
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

// write records finished checks in batches: one transaction for all the
// outcomes that finished within flushEvery of each other.
func (w *Watcher) write(ctx context.Context, results <-chan []checkResult) {
	var batch []checkResult
	ticker := time.NewTicker(flushEvery)
	defer ticker.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		w.flush(context.WithoutCancel(ctx), batch)
		clear(batch) // drop the references to messages and watches
		batch = batch[:0]
	}
	for {
		select {
		case rs, ok := <-results:
			if !ok {
				flush()
				return
			}
			batch = append(batch, rs...)
			if len(batch) >= flushSize {
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
	released := false
	for _, r := range batch {
		if !r.skip && r.pause == nil {
			outcomes = append(outcomes, r.outcome)
		}
		released = released || r.release
	}
	if released {
		// A released watch may be due already; the scheduler, which only
		// looks for watches due after its last claim, must look again.
		defer w.Wake()
	}
	notify := false
	if len(outcomes) > 0 {
		pushed, err := w.store.ApplyOutcomesJoined(ctx, outcomes, joinPushes)
		for tries := 1; errors.Is(err, store.ErrLocked) && tries < lockedWriteTries; tries++ {
			// Another process holds the database (a backup, a shell). Each try
			// waits out the busy timeout; without retrying, these checks would
			// stall until their claims lapse.
			w.log.Warn("database locked, retrying the write", "count", len(outcomes), "try", tries+1)
			pushed, err = w.store.ApplyOutcomesJoined(ctx, outcomes, joinPushes)
		}
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

// checkJob checks one account's claimed watches: with one inventory
// request when there are several, else (and for any order the inventory
// does not answer) one request per due order.
func (w *Watcher) checkJob(ctx context.Context, job checkJob) []checkResult {
	g := job.watches
	out := make([]checkResult, 0, len(g))
	if len(g) == 1 || w.lister == nil || g[0].KeyErr != nil || !w.inventoryUsable(g[0].TelegramUserID, job.at) {
		for _, dw := range g {
			if dw.NextCheckAt.After(job.at) {
				out = append(out, released(dw))
				continue
			}
			out = append(out, w.check(ctx, dw))
		}
		return out
	}

	orders, err := w.lister.Inventory(ctx, credentials(g[0].Account), expiredLimit(g, job.at))
	if ctx.Err() != nil {
		return append(out, checkResult{skip: true})
	}
	now := w.cfg.Now()
	byID := make(map[string]smsapi.Order, len(orders))
	switch {
	case err == nil:
		for _, o := range orders {
			if usableListing(o) {
				byID[o.ID] = o
			}
		}
	case errors.Is(err, smsapi.ErrBadCredentials), errors.Is(err, smsapi.ErrRateLimited), errors.Is(err, smsapi.ErrTransient):
		// What a request for each order would have met: the due ones fail.
		for _, dw := range g {
			if dw.NextCheckAt.After(job.at) {
				out = append(out, released(dw))
				continue
			}
			out = append(out, w.failed(dw, err, now))
		}
		return out
	default:
		// The inventory itself is unusable for this account (not offered,
		// unreadable, refused): ask for each order.
		w.log.Warn("inventory call failed, checking orders one by one", "user", g[0].TelegramUserID, "err", err)
		w.mu.Lock()
		w.noInventory[g[0].TelegramUserID] = job.at.Add(noInventoryFor)
		w.mu.Unlock()
	}
	for _, dw := range g {
		if o, ok := byID[dw.OrderID]; ok {
			if dw.NextCheckAt.After(job.at) {
				// Checked early with its account: from now on it keeps the
				// account's beat, so that it is never left a whole interval
				// behind when the watch that set the beat ends.
				dw.NextCheckAt = job.at
			}
			out = append(out, checkResult{outcome: w.observed(dw, o, now)})
			continue
		}
		if dw.NextCheckAt.After(job.at) {
			out = append(out, released(dw)) // not due yet: checked on its own schedule
			continue
		}
		out = append(out, w.check(ctx, dw))
	}
	return out
}

// inventoryUsable reports whether the inventory call may be tried for user.
func (w *Watcher) inventoryUsable(user int64, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	until, ok := w.noInventory[user]
	if !ok {
		return true
	}
	if now.Before(until) {
		return false
	}
	delete(w.noInventory, user)
	return true
}

// usableListing reports whether an inventory element says enough to stand
// for the order's own answer. An element without a status, or claiming an
// SMS arrived without its text, is not trusted: the order is asked for.
func usableListing(o smsapi.Order) bool {
	if o.ID == "" || o.Status == "" {
		return false
	}
	return o.HasSMS() || o.State() != smsapi.StateReceived
}

// expiredLimit is how many expired numbers to ask the inventory for: enough
// for the watched orders that have expired or are about to.
func expiredLimit(g []store.DueWatch, now time.Time) int {
	n := 0
	for _, dw := range g {
		if dw.ExpiresAt.IsZero() || dw.ExpiresAt.Before(now.Add(time.Minute)) {
			n++
		}
	}
	return n
}

// released is the outcome of a watch claimed along with its account's due
// ones but left unchecked: its schedule stays, its claim goes.
func released(dw store.DueWatch) checkResult {
	return checkResult{release: true, outcome: store.CheckOutcome{
		TelegramUserID: dw.TelegramUserID,
		OrderID:        dw.OrderID,
		NextCheckAt:    dw.NextCheckAt,
		Failures:       dw.Failures,
	}}
}

// check asks SMSOnline about one watched order and decides what follows.
func (w *Watcher) check(ctx context.Context, dw store.DueWatch) checkResult {
	if dw.KeyErr != nil {
		// The stored key does not open (BOT_ENCRYPTION_KEY changed): asking
		// SMSOnline is pointless until the user links the account again.
		w.log.Error("stored api key does not open: was BOT_ENCRYPTION_KEY changed?", "user", dw.TelegramUserID)
		return checkResult{
			outcome: store.CheckOutcome{TelegramUserID: dw.TelegramUserID, OrderID: dw.OrderID},
			pause:   message.Notice(dw.Watch, message.KeyUnreadable),
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
		Status:         message.Clip(o.Status), // the snapshot is capped as the card caps what it shows
		Service:        message.Clip(o.Service),
		PhoneNumber:    message.Clip(o.PhoneNumber),
		ExpiresAt:      o.ExpiresAt,
		NextCheckAt:    w.nextPoll(dw.NextCheckAt, now, w.cfg.PollInterval),
	}
	expires := o.ExpiresAt
	if expires.IsZero() {
		expires = dw.ExpiresAt
	}
	if o.HasSMS() {
		out.SMS = o.SMS
		out.Push = message.Push(dw.Watch, o, now)
		out.NextCheckAt = w.nextPoll(dw.NextCheckAt, now, smsInterval(w.cfg.PollInterval))
	}
	over := !expires.IsZero() && now.After(expires.Add(w.cfg.ExpiryGrace))
	switch {
	case o.State() == smsapi.StateFinal:
		out.End = true
		if !o.HasSMS() {
			out.Notice = message.Notice(dw.Watch, message.OrderEnded(dw.OrderID, o.Service, o.Status))
		}
	case over:
		out.End = true
		if !o.HasSMS() {
			out.Notice = message.Notice(dw.Watch, message.OrderExpired(dw.OrderID, o.Service))
		}
	case !expires.IsZero() && out.NextCheckAt.After(expires.Add(w.cfg.ExpiryGrace)):
		// One last look just after the grace period, not a full interval later.
		out.NextCheckAt = expires.Add(w.cfg.ExpiryGrace).Add(time.Second)
	}
	return out
}

// nextPoll is when an order checked at now is checked again: interval (the
// poll interval, or the slower pace after an SMS arrived) after the check
// was due rather than after it finished, so that the time a check takes and
// scheduling delays do not stretch the interval. A check more than half a
// poll interval late means the watcher fell behind (downtime, or a saturated
// request cap): then the next check is half to one poll interval away, at
// random, whatever the pace. Under a saturated cap that shares the requests
// out round robin, so a slow-paced watch does not wait its pace on top of the
// queue; and watches that were late together do not stay a herd that hits
// SMSOnline and Telegram at the same instant.
func (w *Watcher) nextPoll(due, now time.Time, interval time.Duration) time.Time {
	if due.IsZero() {
		return now.Add(interval) // the first check: its beat starts now
	}
	half := w.cfg.PollInterval / 2
	if now.Sub(due) > half {
		return now.Add(half + time.Duration(rand.Int64N(int64(half)+1)))
	}
	return due.Add(interval)
}

// failed decides what follows a failed check. Only a refused key and an
// unknown order stop checking; everything else is retried with backoff.
func (w *Watcher) failed(dw store.DueWatch, err error, now time.Time) checkResult {
	out := store.CheckOutcome{TelegramUserID: dw.TelegramUserID, OrderID: dw.OrderID, Failures: dw.Failures + 1}
	switch {
	case errors.Is(err, smsapi.ErrBadCredentials):
		return checkResult{outcome: out, pause: message.Notice(dw.Watch, message.WatchesPaused)}
	case errors.Is(err, smsapi.ErrOrderNotFound), errors.Is(err, smsapi.ErrInvalidInput):
		out.End = true
		out.Notice = message.Notice(dw.Watch, message.WatchedOrderGone(dw.OrderID))
		return checkResult{outcome: out}
	}
	w.log.Warn("order check failed, will retry", "user", dw.TelegramUserID, "order", dw.OrderID,
		"failures", out.Failures, "err", err)
	if !dw.ExpiresAt.IsZero() && now.After(dw.ExpiresAt.Add(giveUpAfterExpiry)) {
		out.End = true
		out.Notice = message.Notice(dw.Watch, message.WatchGaveUp(dw.OrderID))
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
