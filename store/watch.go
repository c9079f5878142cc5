package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// WatchState says whether the watcher checks a watch.
type WatchState string

// Watch states. A paused watch waits for the user to link a working API
// key again (SaveAccount resumes it).
const (
	WatchActive WatchState = "active"
	WatchPaused WatchState = "paused"
)

// Watch is one order the bot checks for a user. There is at most one per
// (TelegramUserID, OrderID).
type Watch struct {
	TelegramUserID int64
	OrderID        string
	// ChatID is where pushes go: the owner's private chat, whose id is the
	// user's id, even when the watch started in a group (a code seen by a
	// group can take over the account it was meant for). It is set when the
	// watch is created and moves only with MigrateChat.
	ChatID int64
	State  WatchState

	// Last known snapshot of the order, for listings.
	Service     string
	PhoneNumber string
	Status      string

	ExpiresAt     time.Time // zero = unknown
	NextCheckAt   time.Time // zero = check at once
	LastCheckedAt time.Time // zero = never
	CreatedAt     time.Time
	Failures      int // consecutive failed checks, for backoff
	// FastUntil keeps the waiting pace until then even after an SMS arrived:
	// another SMS was asked for. Zero = no such request.
	FastUntil time.Time

	// The rule for numbers that get no SMS (see rule.go). OrderedAt is when
	// the order was made: SMSOnline's orderedAt, else when the bot bought or
	// first saw it (zero: CreatedAt). RuleAt is when the rule acts on it,
	// zero for never; Kept is true once the user pressed "Keep this number".
	OrderedAt time.Time
	RuleAt    time.Time
	Kept      bool
}

const watchColumns = `w.telegram_user_id, w.order_id, w.chat_id, w.state, w.service, w.phone_number, w.status,
	w.expires_at, w.next_check_at, w.last_checked_at, w.created_at, w.failures, w.fast_until,
	w.ordered_at, w.rule_at, w.rule_kept`

// watchScan holds the scan targets of watchColumns.
type watchScan struct {
	w                                       Watch
	state                                   string
	expires, next, lastChecked, createdAtMs int64
	fastUntil, orderedAt, ruleAt            int64
}

func (ws *watchScan) dest() []any {
	return []any{&ws.w.TelegramUserID, &ws.w.OrderID, &ws.w.ChatID, &ws.state, &ws.w.Service,
		&ws.w.PhoneNumber, &ws.w.Status, &ws.expires, &ws.next, &ws.lastChecked, &ws.createdAtMs, &ws.w.Failures, &ws.fastUntil,
		&ws.orderedAt, &ws.ruleAt, &ws.w.Kept}
}

func (ws *watchScan) watch() Watch {
	w := ws.w
	w.State = WatchState(ws.state)
	w.ExpiresAt = fromMillis(ws.expires)
	w.NextCheckAt = fromMillis(ws.next)
	w.LastCheckedAt = fromMillis(ws.lastChecked)
	w.CreatedAt = fromMillis(ws.createdAtMs)
	w.FastUntil = fromMillis(ws.fastUntil)
	w.OrderedAt = fromMillis(ws.orderedAt)
	w.RuleAt = fromMillis(ws.ruleAt)
	return w
}

const (
	// An empty snapshot field keeps what is known; the earlier check time
	// wins so that re-adding a watch never delays it. The chat stays.
	refreshWatchQuery = `UPDATE watches SET
		service = COALESCE(NULLIF(?, ''), service),
		phone_number = COALESCE(NULLIF(?, ''), phone_number),
		status = COALESCE(NULLIF(?, ''), status),
		expires_at = COALESCE(NULLIF(?, 0), expires_at),
		next_check_at = MIN(next_check_at, ?),
		fast_until = MAX(fast_until, ?)
	WHERE telegram_user_id = ? AND order_id = ?`
	accountExistsQuery = `SELECT EXISTS (SELECT 1 FROM accounts WHERE telegram_user_id = ?)`
	countWatchesQuery  = `SELECT COUNT(*) FROM watches WHERE telegram_user_id = ?`
	insertWatchQuery   = `INSERT INTO watches
	(telegram_user_id, order_id, chat_id, state, service, phone_number, status, expires_at, next_check_at, last_checked_at, failures, created_at, fast_until,
	 ordered_at, rule_at)
	VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	selectWatchQuery = `SELECT ` + watchColumns + ` FROM watches w
	WHERE w.telegram_user_id = ? AND w.order_id = ?`
	selectWatchesQuery = `SELECT ` + watchColumns + ` FROM watches w
	WHERE w.telegram_user_id = ? ORDER BY w.created_at, w.rowid`
	deleteWatchQuery = `DELETE FROM watches WHERE telegram_user_id = ? AND order_id = ?`
	// The unary + makes SQLite use the user's key, not watches_due (see resumeWatchesQuery).
	pauseWatchesQuery = `UPDATE watches SET state = 'paused', claimed_until = 0
	WHERE telegram_user_id = ? AND +state = 'active'`
)

// AddWatch starts watching w.OrderID for w.TelegramUserID, whose account
// must exist (ErrNotFound otherwise). If the pair is already watched, its
// snapshot is refreshed, its next check moves earlier if w.NextCheckAt is
// earlier, its FastUntil later if w.FastUntil is later, its chat and state
// are kept, and created is false.
// Otherwise a user who already has maxPerUser watches gets ErrWatchLimit
// (maxPerUser <= 0: no cap) and the new watch starts active.
func (s *Store) AddWatch(ctx context.Context, w Watch, maxPerUser int, now time.Time) (created bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		created, err = addWatchTx(ctx, tx, &w, maxPerUser, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("add watch %d/%s: %w", w.TelegramUserID, w.OrderID, err)
	}
	return created, nil
}

// AddWatches is AddWatch for many watches in one transaction, without a
// per-user cap: all are added or, on the first error, none. It returns how
// many were created. It is for bulk loads (imports, benchmarks), where one
// transaction per watch would dominate.
func (s *Store) AddWatches(ctx context.Context, ws []Watch, now time.Time) (created int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		created = 0
		for i := range ws {
			c, err := addWatchTx(ctx, tx, &ws[i], 0, now)
			if err != nil {
				return fmt.Errorf("watch %d/%s: %w", ws[i].TelegramUserID, ws[i].OrderID, err)
			}
			if c {
				created++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("add watches: %w", err)
	}
	return created, nil
}

// addWatchTx is AddWatch inside tx.
func addWatchTx(ctx context.Context, tx *sql.Tx, w *Watch, maxPerUser int, now time.Time) (created bool, err error) {
	next := millis(w.NextCheckAt)
	res, err := tx.ExecContext(ctx, refreshWatchQuery, w.Service, w.PhoneNumber, w.Status,
		millis(w.ExpiresAt), next, millis(w.FastUntil), w.TelegramUserID, w.OrderID)
	if err != nil {
		return false, err
	}
	if n, err := rowsAffected(res); err != nil || n > 0 {
		return false, err
	}

	var exists bool
	if err := tx.QueryRowContext(ctx, accountExistsQuery, w.TelegramUserID).Scan(&exists); err != nil {
		return false, err
	}
	if !exists {
		return false, fmt.Errorf("account %d: %w", w.TelegramUserID, ErrNotFound)
	}
	if maxPerUser > 0 {
		var n int
		if err := tx.QueryRowContext(ctx, countWatchesQuery, w.TelegramUserID).Scan(&n); err != nil {
			return false, err
		}
		if n >= maxPerUser {
			return false, fmt.Errorf("%w: %d of %d", ErrWatchLimit, n, maxPerUser)
		}
	}
	createdAt := w.createdAt(now)
	orderedAt := w.orderedAt(createdAt)
	r, err := ruleTx(ctx, tx, w.TelegramUserID)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, insertWatchQuery, w.TelegramUserID, w.OrderID, w.ChatID,
		w.Service, w.PhoneNumber, w.Status, millis(w.ExpiresAt), next, millis(w.LastCheckedAt),
		w.Failures, millis(createdAt), millis(w.FastUntil), millis(orderedAt), millis(r.ActsAt(orderedAt))); err != nil {
		return false, err
	}
	return true, nil
}

// createdAt is when a watch added at now is created: w.CreatedAt, else now.
func (w Watch) createdAt(now time.Time) time.Time {
	if w.CreatedAt.IsZero() {
		return now
	}
	return w.CreatedAt
}

// orderedAt is when w's order was made, as a watch created at createdAt
// records it: createdAt when unknown, and never later (a skewed clock).
func (w Watch) orderedAt(createdAt time.Time) time.Time {
	if w.OrderedAt.IsZero() || w.OrderedAt.After(createdAt) {
		return createdAt
	}
	return w.OrderedAt
}

// FirstRuleAt is when rule r acts on w once AddWatch (or a settled
// purchase) adds it at now: the RuleAt the new watch gets. A card made
// before the watch is written shows it; an existing watch keeps its own.
func (w Watch) FirstRuleAt(r Rule, now time.Time) time.Time {
	return r.ActsAt(w.orderedAt(w.createdAt(now)))
}

// Watch returns one watch, or ErrNotFound.
func (s *Store) Watch(ctx context.Context, telegramUserID int64, orderID string) (Watch, error) {
	var ws watchScan
	err := s.read.QueryRowContext(ctx, selectWatchQuery, telegramUserID, orderID).Scan(ws.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return Watch{}, fmt.Errorf("watch %d/%s: %w", telegramUserID, orderID, ErrNotFound)
	}
	if err != nil {
		return Watch{}, fmt.Errorf("load watch %d/%s: %w", telegramUserID, orderID, err)
	}
	return ws.watch(), nil
}

// Watches returns the user's watches, oldest first.
func (s *Store) Watches(ctx context.Context, telegramUserID int64) ([]Watch, error) {
	rows, err := s.read.QueryContext(ctx, selectWatchesQuery, telegramUserID)
	if err != nil {
		return nil, fmt.Errorf("load watches of %d: %w", telegramUserID, err)
	}
	defer rows.Close()
	var out []Watch
	for rows.Next() {
		var ws watchScan
		if err := rows.Scan(ws.dest()...); err != nil {
			return nil, fmt.Errorf("load watches of %d: %w", telegramUserID, err)
		}
		out = append(out, ws.watch())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load watches of %d: %w", telegramUserID, err)
	}
	return out, nil
}

// DeleteWatch stops watching an order.
func (s *Store) DeleteWatch(ctx context.Context, telegramUserID int64, orderID string) (existed bool, err error) {
	res, err := s.write.ExecContext(ctx, deleteWatchQuery, telegramUserID, orderID)
	if err != nil {
		return false, fmt.Errorf("delete watch %d/%s: %w", telegramUserID, orderID, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return false, fmt.Errorf("delete watch %d/%s: %w", telegramUserID, orderID, err)
	}
	return n > 0, nil
}

// PauseWatches pauses the user's active watches (their API key stopped
// working) and, only if any were paused, enqueues notice in the same
// transaction, so the user is told once however many checks fail.
func (s *Store) PauseWatches(ctx context.Context, telegramUserID int64, notice *Message, now time.Time) (paused int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, pauseWatchesQuery, telegramUserID)
		if err != nil {
			return err
		}
		if paused, err = rowsAffected(res); err != nil || paused == 0 || notice == nil {
			return err
		}
		_, err = enqueue(ctx, tx, notice, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pause watches of %d: %w", telegramUserID, err)
	}
	return paused, nil
}
