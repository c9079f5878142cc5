package bot

import (
	"context"
	"log/slog"
	"sync"

	"github.com/go-telegram/bot/models"
)

// maxWaiting is how many updates of one user may wait behind their running
// handler. Updates within the budget come far slower than that (the burst,
// then one every two seconds); the cap only bounds memory.
const maxWaiting = 100

// userQueue runs update handlers concurrently across users but one at a time,
// in arrival order, for each user: "/login ..." then "/order 1" sent in quick
// succession must not be answered "link your account first". A user's backlog
// waits in their own line and holds no slot: a slot is taken only by a
// handler about to run, so one user's presses cannot occupy the handlers
// everyone else needs.
type userQueue struct {
	slots   chan struct{} // handlers running, across users
	aside   chan struct{} // handlers running outside every line (answers over budget)
	waiting int           // most updates one user may have waiting
	log     *slog.Logger

	mu    sync.Mutex
	lines map[int64]*line // users with a handler running or about to

	running sync.WaitGroup
}

// line is one user's updates: one handler running, the rest waiting.
type line struct {
	waiting []func() // oldest first
	dropped int      // updates refused because waiting was full
}

func newUserQueue(concurrency, waiting int, log *slog.Logger) *userQueue {
	return &userQueue{
		slots:   make(chan struct{}, concurrency),
		aside:   make(chan struct{}, concurrency),
		waiting: waiting,
		log:     log,
		lines:   make(map[int64]*line),
	}
}

// add runs h after every handler of user added before it. It returns at once
// when the user has a handler running: h joins their line, or is dropped when
// the line is full. Otherwise it waits for a free slot, which are all taken
// only when that many other users' handlers run, and gives up when ctx ends
// (h does not run). It reports whether h was taken: run, queued, or dropped
// for a full line; false only when ctx ended first.
func (q *userQueue) add(ctx context.Context, user int64, h func()) bool {
	q.mu.Lock()
	if l := q.lines[user]; l != nil {
		if len(l.waiting) >= q.waiting {
			l.dropped++
		} else {
			l.waiting = append(l.waiting, h)
		}
		q.mu.Unlock()
		return true
	}
	l := &line{}
	q.lines[user] = l
	q.mu.Unlock()

	select {
	case q.slots <- struct{}{}:
	case <-ctx.Done():
		q.mu.Lock()
		delete(q.lines, user)
		q.mu.Unlock()
		return false
	}
	q.running.Go(func() { q.serve(user, l, h) })
	return true
}

// serve runs h and then the user's waiting handlers, one at a time. It
// frees the slot after each and takes one again for the next, in turn with
// every other user.
func (q *userQueue) serve(user int64, l *line, h func()) {
	for {
		h()
		<-q.slots
		q.mu.Lock()
		if len(l.waiting) == 0 {
			delete(q.lines, user)
			dropped := l.dropped
			q.mu.Unlock()
			if dropped > 0 {
				q.log.Warn("dropped updates of a user with too many waiting", "user", user, "dropped", dropped, "cap", q.waiting)
			}
			return
		}
		h = l.waiting[0]
		l.waiting[0] = nil
		l.waiting = l.waiting[1:]
		q.mu.Unlock()
		q.slots <- struct{}{}
	}
}

// runAside runs h outside every user's line, as soon as one of its own
// slots is free: for an update that only needs a quick answer, which must not
// wait behind its sender's backlog. It gives up when ctx ends (h does not
// run) and reports whether h was taken.
func (q *userQueue) runAside(ctx context.Context, h func()) bool {
	select {
	case q.aside <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	q.running.Go(func() {
		defer func() { <-q.aside }()
		h()
	})
	return true
}

// idle reports whether no handler runs or waits.
func (q *userQueue) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.lines) == 0 && len(q.aside) == 0
}

// wait blocks until every started handler and every handler waiting in a
// line has finished. Call it once nothing is added any more.
func (q *userQueue) wait() { q.running.Wait() }

// updateUser is the Telegram user an update comes from (0 when none).
func updateUser(u *models.Update) int64 {
	switch {
	case u.Message != nil && u.Message.From != nil:
		return u.Message.From.ID
	case u.CallbackQuery != nil:
		return u.CallbackQuery.From.ID
	}
	return 0
}
