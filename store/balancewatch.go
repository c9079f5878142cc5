package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// BalanceWatch follows a user's balance after a top-up link was issued,
// until the balance rises above Baseline (then the user is told once) or
// Until passes.
type BalanceWatch struct {
	TelegramUserID int64
	ChatID         int64 // where "the money arrived" goes
	Baseline       int64 // cents: the balance when the link was issued, moved by the bot's own refunds and purchases
	Amount         int64 // cents: the invoice's amount
	Until          time.Time
	NextCheckAt    time.Time
	CreatedAt      time.Time
}

// DueBalanceWatch is a balance watch due for a check, with its account.
type DueBalanceWatch struct {
	BalanceWatch
	Account Account
	KeyErr  error // ErrWrongKey when the sealed API key does not open
	// Language is the user's, for the notice that the money arrived.
	Language UserLanguage
}

const (
	// A second link while one is watched keeps the first baseline (money
	// that arrived since is still news), takes the newer amount and the
	// later end.
	upsertBalanceWatchQuery = `INSERT INTO balance_watches
	(telegram_user_id, chat_id, baseline, amount, until, next_check_at, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (telegram_user_id) DO UPDATE SET
		chat_id = excluded.chat_id,
		amount = excluded.amount,
		until = MAX(until, excluded.until),
		next_check_at = MIN(next_check_at, excluded.next_check_at)`
	dueBalanceWatchesQuery = `SELECT b.telegram_user_id, b.chat_id, b.baseline, b.amount, b.until, b.next_check_at, b.created_at, ` + joinedAccountColumns + `,
		` + joinedLanguageColumns + `
	FROM balance_watches b JOIN accounts a ON a.telegram_user_id = b.telegram_user_id
	LEFT JOIN users u ON u.telegram_user_id = b.telegram_user_id
	WHERE b.next_check_at <= ? ORDER BY b.next_check_at LIMIT ?`
	selectBalanceWatchQuery = `SELECT telegram_user_id, chat_id, baseline, amount, until, next_check_at, created_at
	FROM balance_watches WHERE telegram_user_id = ?`
	rescheduleBalanceWatchQuery = `UPDATE balance_watches SET next_check_at = ? WHERE telegram_user_id = ?`
	deleteBalanceWatchQuery     = `DELETE FROM balance_watches WHERE telegram_user_id = ?`
	shiftBaselineQuery          = `UPDATE balance_watches SET baseline = baseline + ? WHERE telegram_user_id = ?`
)

// WatchBalance starts following the user's balance, or refreshes the watch
// they have (see upsertBalanceWatchQuery).
func (s *Store) WatchBalance(ctx context.Context, bw BalanceWatch, now time.Time) error {
	created := bw.CreatedAt
	if created.IsZero() {
		created = now
	}
	if _, err := s.write.ExecContext(ctx, upsertBalanceWatchQuery, bw.TelegramUserID, bw.ChatID, bw.Baseline,
		bw.Amount, millis(bw.Until), millis(bw.NextCheckAt), millis(created)); err != nil {
		return fmt.Errorf("watch balance of %d: %w", bw.TelegramUserID, err)
	}
	return nil
}

// BalanceWatchOf returns the user's balance watch, or ErrNotFound.
func (s *Store) BalanceWatchOf(ctx context.Context, telegramUserID int64) (BalanceWatch, error) {
	var bw BalanceWatch
	var until, next, created int64
	err := s.read.QueryRowContext(ctx, selectBalanceWatchQuery, telegramUserID).
		Scan(&bw.TelegramUserID, &bw.ChatID, &bw.Baseline, &bw.Amount, &until, &next, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return BalanceWatch{}, fmt.Errorf("balance watch of %d: %w", telegramUserID, ErrNotFound)
	}
	if err != nil {
		return BalanceWatch{}, fmt.Errorf("load balance watch of %d: %w", telegramUserID, err)
	}
	bw.Until, bw.NextCheckAt, bw.CreatedAt = fromMillis(until), fromMillis(next), fromMillis(created)
	return bw, nil
}

// DueBalanceWatches returns up to limit balance watches due at now, each
// with its account.
func (s *Store) DueBalanceWatches(ctx context.Context, now time.Time, limit int) ([]DueBalanceWatch, error) {
	rows, err := s.read.QueryContext(ctx, dueBalanceWatchesQuery, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("load due balance watches: %w", err)
	}
	defer rows.Close()
	var out []DueBalanceWatch
	for rows.Next() {
		var d DueBalanceWatch
		var until, next, created int64
		var ja joinedAccount
		dest := append([]any{&d.TelegramUserID, &d.ChatID, &d.Baseline, &d.Amount, &until, &next, &created}, ja.dest()...)
		dest = append(dest, d.Language.dest()...)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("load due balance watches: %w", err)
		}
		d.Until, d.NextCheckAt, d.CreatedAt = fromMillis(until), fromMillis(next), fromMillis(created)
		d.Account, d.KeyErr = ja.account(d.TelegramUserID, s.sealer)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load due balance watches: %w", err)
	}
	return out, nil
}

// RescheduleBalanceWatch sets when the user's balance is checked next.
func (s *Store) RescheduleBalanceWatch(ctx context.Context, telegramUserID int64, next time.Time) error {
	if _, err := s.write.ExecContext(ctx, rescheduleBalanceWatchQuery, millis(next), telegramUserID); err != nil {
		return fmt.Errorf("reschedule balance watch of %d: %w", telegramUserID, err)
	}
	return nil
}

// EndBalanceWatch stops following the user's balance and, only if it was
// followed, enqueues notice (nil for none) in the same transaction: the
// user hears that their money arrived exactly once. It reports whether
// there was a watch.
func (s *Store) EndBalanceWatch(ctx context.Context, telegramUserID int64, notice *Message, now time.Time) (ended bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, deleteBalanceWatchQuery, telegramUserID)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil || n == 0 {
			return err
		}
		ended = true
		if notice != nil {
			_, err = enqueue(ctx, tx, notice, now)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("end balance watch of %d: %w", telegramUserID, err)
	}
	return ended, nil
}

// shiftBaseline moves the user's balance watch baseline by delta cents: the
// bot's own refunds and purchases change the balance too, and must not be
// taken for a top-up (or hide one).
func shiftBaseline(ctx context.Context, ex execer, telegramUserID, delta int64) error {
	if delta == 0 {
		return nil
	}
	_, err := ex.ExecContext(ctx, shiftBaselineQuery, delta, telegramUserID)
	return err
}
