package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// "Keep trying": after a purchase refused for stock, the bot tries it
// again on its own, every so often for a while, each try a money action of
// its own (a stock refusal is definite, so a new try is safe). The row
// says where its progress is shown and when the next try is due; the due
// ones come from one indexed query.

// StockTryState is how far a "Keep trying" got.
type StockTryState string

// The states of a "Keep trying".
const (
	StockTrying  StockTryState = "trying"
	StockBought  StockTryState = "bought"
	StockStopped StockTryState = "stopped" // the user pressed Stop
	StockEnded   StockTryState = "ended"   // out of time, another refusal, or an outcome to settle
)

// StockTry is one "Keep trying".
type StockTry struct {
	ID             int64
	TelegramUserID int64
	SourceAction   int64 // the purchase refused for stock it tries again
	ChatID         int64 // the message that shows its progress
	MessageID      int
	State          StockTryState
	Tries          int // tries made
	NextAt, Until  time.Time
	CreatedAt      time.Time
}

// StockTryKey is the key of try n of "Keep trying" id.
func StockTryKey(id int64, n int) string {
	return "stock-" + strconv.FormatInt(id, 10) + "-" + strconv.Itoa(n)
}

const (
	stockTryColumns     = `t.id, t.telegram_user_id, t.source_action, t.chat_id, t.message_id, t.state, t.tries, t.next_at, t.until_at, t.created_at`
	insertStockTryQuery = `INSERT INTO stock_tries (telegram_user_id, source_action, chat_id, message_id, state, tries, next_at, until_at, created_at, updated_at)
	VALUES (?, ?, ?, ?, 'trying', 0, ?, ?, ?, ?) ON CONFLICT (source_action) DO NOTHING`
	stockTryBySourceQuery = `SELECT ` + stockTryColumns + ` FROM stock_tries t WHERE t.source_action = ?`
	stockTryByIDQuery     = `SELECT ` + stockTryColumns + ` FROM stock_tries t WHERE t.id = ?`
	advanceStockTryQuery  = `UPDATE stock_tries SET tries = ?, next_at = ?, updated_at = ? WHERE id = ? AND state = 'trying'`
	endStockTryQuery      = `UPDATE stock_tries SET state = ?, tries = MAX(tries, ?), updated_at = ? WHERE id = ? AND state = 'trying'`
	dueStockTriesQuery    = `SELECT ` + stockTryColumns + `, ` + joinedAccountColumns + `, ` + joinedLanguageColumns + `
	FROM stock_tries t JOIN accounts a ON a.telegram_user_id = t.telegram_user_id
	LEFT JOIN users u ON u.telegram_user_id = t.telegram_user_id
	WHERE t.state = 'trying' AND t.next_at <= ? AND a.logout_at = 0
	ORDER BY t.next_at LIMIT ?`
)

func scanStockTry(dest func(...any) error, extra ...any) (StockTry, error) {
	var t StockTry
	var state string
	var next, until, created int64
	err := dest(append([]any{&t.ID, &t.TelegramUserID, &t.SourceAction, &t.ChatID, &t.MessageID, &state, &t.Tries, &next, &until, &created}, extra...)...)
	t.State, t.NextAt, t.Until, t.CreatedAt = StockTryState(state), fromMillis(next), fromMillis(until), fromMillis(created)
	return t, err
}

// StartStockTry starts "Keep trying" t (its first try due at t.NextAt, the
// last at t.Until), or returns the one its purchase started before with
// started false: one per refused purchase, however many taps.
func (s *Store) StartStockTry(ctx context.Context, t StockTry, now time.Time) (got StockTry, started bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertStockTryQuery, t.TelegramUserID, t.SourceAction, t.ChatID, t.MessageID,
			millis(t.NextAt), millis(t.Until), millis(now), millis(now))
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		started = n > 0
		got, err = scanStockTry(tx.QueryRowContext(ctx, stockTryBySourceQuery, t.SourceAction).Scan)
		return err
	})
	if err != nil {
		return StockTry{}, false, fmt.Errorf("start keep trying %d: %w", t.SourceAction, err)
	}
	return got, started, nil
}

// StockTryByID returns one "Keep trying", or ErrNotFound.
func (s *Store) StockTryByID(ctx context.Context, id int64) (StockTry, error) {
	t, err := scanStockTry(s.read.QueryRowContext(ctx, stockTryByIDQuery, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return StockTry{}, fmt.Errorf("keep trying %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return StockTry{}, fmt.Errorf("load keep trying %d: %w", id, err)
	}
	return t, nil
}

// AdvanceStockTry records that try tries was made and the next is due at
// next. False when it is no longer trying (stopped meanwhile).
func (s *Store) AdvanceStockTry(ctx context.Context, id int64, tries int, next, now time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, advanceStockTryQuery, tries, millis(next), millis(now), id)
	if err == nil {
		var n int
		n, err = rowsAffected(res)
		return n > 0, err
	}
	return false, fmt.Errorf("advance keep trying %d: %w", id, err)
}

// EndStockTry ends a "Keep trying" still trying, with state and the tries
// made; false when it had ended already.
func (s *Store) EndStockTry(ctx context.Context, id int64, state StockTryState, tries int, now time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, endStockTryQuery, string(state), tries, millis(now), id)
	if err == nil {
		var n int
		n, err = rowsAffected(res)
		return n > 0, err
	}
	return false, fmt.Errorf("end keep trying %d: %w", id, err)
}

// DueStockTry is a "Keep trying" whose next try is due, with the account
// and language of its user.
type DueStockTry struct {
	StockTry
	Account  Account
	KeyErr   error
	Language UserLanguage
}

// DueStockTries returns up to limit "Keep trying" due at now, the longest
// due first; a user logging out has none.
func (s *Store) DueStockTries(ctx context.Context, now time.Time, limit int) ([]DueStockTry, error) {
	rows, err := s.read.QueryContext(ctx, dueStockTriesQuery, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("load due keep trying: %w", err)
	}
	defer rows.Close()
	var out []DueStockTry
	for rows.Next() {
		var d DueStockTry
		var ja joinedAccount
		d.StockTry, err = scanStockTry(rows.Scan, &ja.a.SMSUserID, &ja.sealed, &ja.created, &ja.updated, &d.Language.Chosen, &d.Language.Seen)
		if err != nil {
			return nil, fmt.Errorf("load due keep trying: %w", err)
		}
		d.Account, d.KeyErr = ja.account(d.TelegramUserID, s.sealer)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load due keep trying: %w", err)
	}
	return out, nil
}
