package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Account links a Telegram user to an SMSOnline account. APIKey is plain
// text in memory only; the database holds it sealed.
type Account struct {
	TelegramUserID int64
	SMSUserID      string
	APIKey         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// LogoutAt is when the user sent /logout while a money action was
	// unsettled: the key is kept until it is (zero: no logout waits).
	LogoutAt time.Time
}

const (
	upsertAccountQuery = `INSERT INTO accounts (telegram_user_id, sms_user_id, sealed_api_key, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (telegram_user_id) DO UPDATE SET
		sms_user_id = excluded.sms_user_id,
		sealed_api_key = excluded.sealed_api_key,
		updated_at = excluded.updated_at,
		logout_at = 0`
	// Resuming clears any stale claim and the failure count (the backoff
	// was for the old key) so the watch is checked at once with the new key.
	// The unary + keeps SQLite from scanning every paused watch through
	// watches_due instead of using the user's key.
	resumeWatchesQuery = `UPDATE watches SET state = 'active', next_check_at = ?, claimed_until = 0, failures = 0
	WHERE telegram_user_id = ? AND +state = 'paused'`
	selectAccountQuery = `SELECT sms_user_id, sealed_api_key, created_at, updated_at, logout_at
	FROM accounts WHERE telegram_user_id = ?`
	deleteAccountQuery = `DELETE FROM accounts WHERE telegram_user_id = ?`
)

// SaveAccount stores a (the API key sealed), replacing the user's older
// account if any (a logout waiting for it is called off, and the rule for
// numbers that get no SMS acts on its numbers again), and in the same
// transaction resumes the user's paused
// watches so they are checked at now, with their failure count reset. It
// returns how many were resumed.
// a.CreatedAt is kept for an existing account and defaults to now.
func (s *Store) SaveAccount(ctx context.Context, a Account, now time.Time) (resumed int, err error) {
	if a.TelegramUserID == 0 {
		return 0, errors.New("save account: no telegram user id")
	}
	sealed, err := s.sealer.sealAPIKey(a.TelegramUserID, a.APIKey)
	if err != nil {
		return 0, fmt.Errorf("save account %d: %w", a.TelegramUserID, err)
	}
	created := a.CreatedAt
	if created.IsZero() {
		created = now
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var loggingOut int64
		err := tx.QueryRowContext(ctx, logoutAtQuery, a.TelegramUserID).Scan(&loggingOut)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, upsertAccountQuery,
			a.TelegramUserID, a.SMSUserID, sealed, millis(created), millis(now)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, resumeWatchesQuery, millis(now), a.TelegramUserID)
		if err != nil {
			return err
		}
		if resumed, err = rowsAffected(res); err != nil {
			return err
		}
		if loggingOut == 0 {
			return nil
		}
		// The waiting /logout had taken the rule off the numbers it kept
		// watched; calling it off puts the rule back on them.
		r, err := ruleTx(ctx, tx, a.TelegramUserID)
		if err != nil || !r.On() {
			return err
		}
		return retimeTx(ctx, tx, a.TelegramUserID, r, now)
	})
	if err != nil {
		return 0, fmt.Errorf("save account %d: %w", a.TelegramUserID, err)
	}
	return resumed, nil
}

// Account returns the user's account with its API key opened. It returns
// ErrNotFound when the user has none, ErrWrongKey when the key does not open.
func (s *Store) Account(ctx context.Context, telegramUserID int64) (Account, error) {
	a := Account{TelegramUserID: telegramUserID}
	var sealed []byte
	var created, updated, logout int64
	err := s.read.QueryRowContext(ctx, selectAccountQuery, telegramUserID).
		Scan(&a.SMSUserID, &sealed, &created, &updated, &logout)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("account %d: %w", telegramUserID, ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("load account %d: %w", telegramUserID, err)
	}
	a.APIKey, err = s.sealer.openAPIKey(telegramUserID, sealed)
	if err != nil {
		return Account{}, fmt.Errorf("open api key of account %d: %w", telegramUserID, err)
	}
	a.CreatedAt, a.UpdatedAt, a.LogoutAt = fromMillis(created), fromMillis(updated), fromMillis(logout)
	return a, nil
}

// joinedAccountColumns are the columns of the account joined (as "a") to a
// row that needs its key: watches being checked, money actions being
// settled, balances being watched.
const joinedAccountColumns = `a.sms_user_id, a.sealed_api_key, a.created_at, a.updated_at`

// joinedAccount holds the scan targets of joinedAccountColumns.
type joinedAccount struct {
	a                Account
	sealed           []byte
	created, updated int64
}

func (ja *joinedAccount) dest() []any {
	return []any{&ja.a.SMSUserID, &ja.sealed, &ja.created, &ja.updated}
}

// account is the scanned account of user with its key opened; the error is
// ErrWrongKey when the sealed key does not open (APIKey is then "").
func (ja *joinedAccount) account(user int64, sl *sealer) (Account, error) {
	a := ja.a
	a.TelegramUserID = user
	a.CreatedAt, a.UpdatedAt = fromMillis(ja.created), fromMillis(ja.updated)
	var err error
	a.APIKey, err = sl.openAPIKey(user, ja.sealed)
	return a, err
}
