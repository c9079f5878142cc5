package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Message priorities: lower goes first, so an SMS code is never stuck
// behind a queue of notices.
const (
	PriorityPush   = 0
	PriorityNotice = 1
	PriorityBulk   = 2 // an announcement to every user: after everything else
)

// Message is an outbox row: a message that must reach Telegram and stays
// here until Telegram accepted it.
type Message struct {
	ID             int64
	ChatID         int64
	TelegramUserID int64  // whom it concerns; 0 = nobody in particular
	OrderID        string // the order it is about; "" = none
	Priority       int
	Text           string // ready-to-send HTML text
	Markup         string // reply_markup JSON, "" = none
	Attempts       int
	NextAttemptAt  time.Time // zero = at once
	CreatedAt      time.Time
}

const (
	insertMessageQuery = `INSERT INTO outbox
	(chat_id, telegram_user_id, order_id, priority, text, markup, attempts, next_attempt_at, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	dueMessagesQuery = `SELECT id, chat_id, telegram_user_id, order_id, priority, text, markup, attempts, next_attempt_at, created_at
	FROM outbox WHERE next_attempt_at <= ?
	ORDER BY priority, next_attempt_at, id LIMIT ?`
	nextMessageDueQuery = `SELECT MIN(next_attempt_at) FROM outbox`
	deleteMessageQuery  = `DELETE FROM outbox WHERE id = ?`
	retryMessageQuery   = `UPDATE outbox SET next_attempt_at = ?, attempts = ? WHERE id = ?`
)

// messageArgs are the insertMessageQuery arguments for m. A zero
// NextAttemptAt is stored as 0, "due at once", rather than as the wall
// clock: it is then due for any clock the caller uses (tests run the bot on
// a fake one), and fresh messages go out in id order. A zero CreatedAt
// becomes now.
func messageArgs(m *Message, now time.Time) []any {
	created := m.CreatedAt
	if created.IsZero() {
		created = now
	}
	return []any{m.ChatID, m.TelegramUserID, m.OrderID, m.Priority, m.Text, m.Markup,
		m.Attempts, millis(m.NextAttemptAt), millis(created)}
}

// execer is satisfied by *sql.DB and *sql.Tx, so a message can be enqueued
// alone or as part of a larger transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func enqueue(ctx context.Context, ex execer, m *Message, now time.Time) (int64, error) {
	res, err := ex.ExecContext(ctx, insertMessageQuery, messageArgs(m, now)...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Enqueue adds m to the outbox, created at now, and returns its id. A zero
// NextAttemptAt means now: the message is due at once.
func (s *Store) Enqueue(ctx context.Context, m Message, now time.Time) (int64, error) {
	id, err := enqueue(ctx, s.write, &m, now)
	if err != nil {
		return 0, fmt.Errorf("enqueue message for chat %d: %w", m.ChatID, err)
	}
	return id, nil
}

// DueMessages returns up to limit messages whose next attempt is due at
// now: pushes before notices, then the longest waiting, then by id.
func (s *Store) DueMessages(ctx context.Context, now time.Time, limit int) ([]Message, error) {
	rows, err := s.read.QueryContext(ctx, dueMessagesQuery, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("load due messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var next, created int64
		if err := rows.Scan(&m.ID, &m.ChatID, &m.TelegramUserID, &m.OrderID, &m.Priority,
			&m.Text, &m.Markup, &m.Attempts, &next, &created); err != nil {
			return nil, fmt.Errorf("load due messages: %w", err)
		}
		m.NextAttemptAt, m.CreatedAt = fromMillis(next), fromMillis(created)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load due messages: %w", err)
	}
	return out, nil
}

// NextMessageDue returns when the earliest message is due; false when the
// outbox is empty. The time may be in the past (the Unix epoch for a
// message enqueued "at once"): then a message is due now.
func (s *Store) NextMessageDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := s.read.QueryRowContext(ctx, nextMessageDueQuery).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("load next message time: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(next.Int64).UTC(), true, nil
}

// MarkSent removes messages that Telegram accepted at now (one, or the
// rows of one joined message), all or none, and records each push among
// them for /stats (push_events). A message that is already gone (dropped
// meanwhile) is not an error.
func (s *Store) MarkSent(ctx context.Context, now time.Time, ids ...int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, recordPushQuery, millis(now), millis(now), id, PriorityPush); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, deleteMessageQuery, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark messages %v sent: %w", ids, err)
	}
	return nil
}

// RetryMessage schedules another attempt of a message at next.
func (s *Store) RetryMessage(ctx context.Context, id int64, next time.Time, attempts int) error {
	if _, err := s.write.ExecContext(ctx, retryMessageQuery, millis(next), attempts, id); err != nil {
		return fmt.Errorf("reschedule message %d: %w", id, err)
	}
	return nil
}

// DropMessage removes a message that can never be delivered (Telegram
// refused it for good).
func (s *Store) DropMessage(ctx context.Context, id int64) error {
	if _, err := s.write.ExecContext(ctx, deleteMessageQuery, id); err != nil {
		return fmt.Errorf("drop message %d: %w", id, err)
	}
	return nil
}
