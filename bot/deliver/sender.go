package deliver

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsbot/smsbot/bot/metrics"

	"golang.org/x/time/rate"

	"github.com/smsbot/smsbot/store"
)

// Store is what the sender needs from the database.
type Store interface {
	DueMessages(ctx context.Context, now time.Time, limit int) ([]store.Message, error)
	NextMessageDue(ctx context.Context) (time.Time, bool, error)
	MarkSent(ctx context.Context, now time.Time, ids ...int64) error
	RetryMessage(ctx context.Context, id int64, next time.Time, attempts int) error
	DropMessage(ctx context.Context, id int64) error
	DropChat(ctx context.Context, chatID int64) (watchesEnded, messagesDropped int, err error)
	MigrateChat(ctx context.Context, fromChatID, toChatID int64) error
}

// Messenger sends one Telegram message. A nil error means Telegram
// accepted it, whether or not its answer could be read; an *APIError means
// Telegram refused it; any other error means no answer came. *Client
// implements it.
type Messenger interface {
	SendMessage(ctx context.Context, m TextMessage) (messageID int, err error)
}

// DefaultMaxRPS is how many messages a second the whole bot sends unless
// told otherwise: Telegram allows about 30; the rest is a margin for
// answers and clock jitter.
const DefaultMaxRPS = 28

// Config tunes the sender. Zero values take the defaults noted.
type Config struct {
	ChatInterval time.Duration // least time between two messages to one chat; default 1.1s
	Workers      int           // sends in flight at once; default 8
	MaxAge       time.Duration // a message failing this long is given up; default 24h
	SendTimeout  time.Duration // one sendMessage call; default 15s
	Grace        time.Duration // how long sends in flight at a stop may finish; default 5s
	Now          func() time.Time
	Logger       *slog.Logger
	Redact       func(string) string // strips the bot token from error text
	Metrics      *metrics.Metrics    // nil for none
}

// Sender drains the outbox to Telegram under Telegram's limits. A message
// leaves the outbox only once Telegram accepted it (answered "ok":true or
// HTTP 200), or can never accept it.
type Sender struct {
	cfg   Config
	store Store
	tg    Messenger
	pace  *rate.Limiter // shared with interactive answers: one budget per bot
	log   *slog.Logger
	wake  chan struct{}

	tick atomic.Int64 // unix nanoseconds of the dispatcher's last round, for the health check

	mu       sync.Mutex
	inflight map[int64]bool      // message ids being sent
	chatNext map[int64]time.Time // earliest next send per chat
}

// New builds a sender that spends the given pace (messages per second
// for the whole bot).
func New(cfg Config, st Store, tg Messenger, pace *rate.Limiter) *Sender {
	if cfg.ChatInterval <= 0 {
		cfg.ChatInterval = 1100 * time.Millisecond
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 15 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Redact == nil {
		cfg.Redact = func(s string) string { return s }
	}
	return &Sender{
		cfg: cfg, store: st, tg: tg, pace: pace, log: cfg.Logger,
		wake:     make(chan struct{}, 1),
		inflight: make(map[int64]bool),
		chatNext: make(map[int64]time.Time),
	}
}

// Wake makes the sender look at the outbox now.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx is cancelled. Sends already in flight then have
// Config.Grace to finish before they are cut off; a send cut off stays in
// the outbox for the next start.
func (s *Sender) Run(ctx context.Context) {
	drain, cutOff := context.WithCancel(context.WithoutCancel(ctx))
	defer cutOff()
	jobs := make(chan batch)
	var workers sync.WaitGroup
	for range s.cfg.Workers {
		workers.Go(func() {
			for b := range jobs {
				s.deliver(drain, b)
			}
		})
	}
	s.dispatch(ctx, jobs)
	close(jobs)
	done := make(chan struct{})
	go func() {
		workers.Wait()
		close(done)
	}()
	grace := time.NewTimer(s.cfg.Grace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		cutOff()
		<-done
	}
}

// LastRound is when the dispatcher last looked at the outbox; zero before
// it started. It looks at least every 5 s.
func (s *Sender) LastRound() time.Time {
	if n := s.tick.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// batch is one Telegram message and the outbox rows it delivers: one row,
// or a chat's due pushes joined.
type batch struct {
	msg  store.Message
	rows []store.Message
}

func (b batch) ids() []int64 {
	ids := make([]int64, len(b.rows))
	for i, m := range b.rows {
		ids[i] = m.ID
	}
	return ids
}

// dispatch hands due messages to the workers: pushes first, a chat's due
// pushes joined into one message, at most one message per chat per
// ChatInterval, and no faster than the bot-wide pace.
func (s *Sender) dispatch(ctx context.Context, jobs chan<- batch) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for ctx.Err() == nil {
		now := s.cfg.Now()
		s.tick.Store(time.Now().UnixNano())
		due, err := s.store.DueMessages(ctx, now, 256)
		if err != nil && ctx.Err() == nil {
			s.log.Error("can't read outbox", "err", err)
		}
		sent := 0
		var wakeAt time.Time // earliest end of a chat's pause among skipped messages
		for k, m := range due {
			if until, ok := s.reserve(m, now); !ok {
				if !until.IsZero() && (wakeAt.IsZero() || until.Before(wakeAt)) {
					wakeAt = until
				}
				continue
			}
			b := s.join(m, due[k+1:])
			if err := s.pace.Wait(ctx); err != nil {
				s.release(b)
				return
			}
			s.mu.Lock()
			s.chatNext[m.ChatID] = s.cfg.Now().Add(s.cfg.ChatInterval)
			s.mu.Unlock()
			select {
			case jobs <- b:
				sent++
			case <-ctx.Done():
				s.release(b)
				return
			}
		}
		if sent > 0 {
			continue
		}
		s.sleep(ctx, timer, wakeAt)
	}
}

// reserve marks m as in flight when its chat may receive a message now. When it
// may not, it returns when the chat's pause ends (zero if m is in flight).
func (s *Sender) reserve(m store.Message, now time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[m.ID] {
		return time.Time{}, false
	}
	if next := s.chatNext[m.ChatID]; next.After(now) {
		return next, false
	}
	s.inflight[m.ID] = true
	// Hold the chat until the real send time is known, so a second message to it
	// in this round waits.
	s.chatNext[m.ChatID] = now.Add(time.Hour)
	if len(s.chatNext) > 10000 {
		for chat, next := range s.chatNext {
			if next.Before(now) {
				delete(s.chatNext, chat)
			}
		}
	}
	return time.Time{}, true
}

// join makes the batch for m, which reserve let through: a push takes along
// the later due pushes to its chat (rest is the rest of the round's due
// rows) that are not in flight, as many as one message holds.
func (s *Sender) join(m store.Message, rest []store.Message) batch {
	if m.Priority != store.PriorityPush {
		return batch{msg: m, rows: []store.Message{m}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pushes := []store.Message{m}
	for _, o := range rest {
		if o.ChatID == m.ChatID && o.Priority == store.PriorityPush && !s.inflight[o.ID] {
			pushes = append(pushes, o)
		}
	}
	joined, n := joinFirst(pushes)
	for _, o := range pushes[1:n] {
		s.inflight[o.ID] = true
	}
	return batch{msg: joined, rows: pushes[:n]}
}

func (s *Sender) release(b batch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range b.rows {
		delete(s.inflight, m.ID)
	}
}

// sleep waits for the next due message, a chat's pause to end, or a wake-up.
func (s *Sender) sleep(ctx context.Context, timer *time.Timer, wakeAt time.Time) {
	now := s.cfg.Now()
	wait := 5 * time.Second // a safety net; wake-ups normally come first
	if next, ok, err := s.store.NextMessageDue(ctx); err == nil && ok {
		wait = min(wait, next.Sub(now))
	}
	if !wakeAt.IsZero() {
		wait = min(wait, wakeAt.Sub(now))
	}
	wait = max(wait, 10*time.Millisecond) // in-flight rows are still due: don't spin on them
	timer.Reset(wait)
	select {
	case <-ctx.Done():
	case <-s.wake:
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

// deliver sends one message and records what became of its rows.
func (s *Sender) deliver(drain context.Context, b batch) {
	defer s.release(b)
	m := b.msg
	ctx, cancel := context.WithTimeout(drain, s.cfg.SendTimeout)
	_, err := s.tg.SendMessage(ctx, TextMessage{ChatID: m.ChatID, Text: m.Text, Markup: m.Markup})
	cancel()
	if err != nil && drain.Err() != nil {
		return // shutting down: the row stays and is sent after the restart
	}
	// Bookkeeping must happen even during shutdown, or a sent push is sent again.
	db := context.WithoutCancel(drain)
	if err == nil {
		if err := s.store.MarkSent(db, s.cfg.Now(), b.ids()...); err != nil {
			s.log.Error("can't mark message sent", "ids", b.ids(), "err", err)
		}
		now := s.cfg.Now()
		for _, row := range b.rows {
			if row.Priority == store.PriorityPush {
				s.cfg.Metrics.PushDelivered(row.CreatedAt, now)
			}
		}
		return
	}
	s.failed(db, b, err)
}
