package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// /logout forgets the API key, but not while a money action of the user is
// unsettled: the key is what reads SMSOnline to find out what happened. Such
// a logout is recorded (accounts.logout_at) and finished by the reconciler
// once the last action is settled, or once it waited long enough.

const (
	logoutAtQuery       = `SELECT logout_at FROM accounts WHERE telegram_user_id = ?`
	stopStockTriesQuery = `UPDATE stock_tries SET state = 'stopped', updated_at = ?
	WHERE telegram_user_id = ? AND state = 'trying'`
	clearRuleQuery     = `UPDATE watches SET rule_at = 0 WHERE telegram_user_id = ? AND rule_at > 0`
	requestLogoutQuery = `UPDATE accounts SET logout_at = ? WHERE telegram_user_id = ? AND logout_at = 0`
	dueLogoutsQuery    = `SELECT a.telegram_user_id, a.logout_at,
		(SELECT COUNT(*) FROM money_actions m WHERE m.telegram_user_id = a.telegram_user_id
			AND m.state IN ('intent', 'sent', 'unknown')) AS unsettled,
		(SELECT COUNT(*) FROM watches w WHERE w.telegram_user_id = a.telegram_user_id) AS watches,
		` + joinedLanguageColumns + `
	FROM accounts a LEFT JOIN users u ON u.telegram_user_id = a.telegram_user_id
	WHERE a.logout_at > 0 AND (unsettled = 0 OR a.logout_at <= ?)
	ORDER BY a.logout_at LIMIT ?`
)

// Logout is what /logout did.
type Logout struct {
	Existed bool // the user had an account
	// Unsettled is how many money actions keep the account until they are
	// settled; 0 means the account is gone now.
	Unsettled int
	Watches   int       // watches ended (when gone now) or that end with the account
	Since     time.Time // when the waiting logout was first asked for (Unsettled > 0)
}

// LogoutAccount unlinks the user's account at once, with its watches and
// its confirmations not pressed yet, unless a money action of theirs is
// unsettled: then the account stays, marked as logging out (a second
// /logout keeps the first time), for FinishLogout.
func (s *Store) LogoutAccount(ctx context.Context, telegramUserID int64, now time.Time) (Logout, error) {
	var out Logout
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var since int64
		err := tx.QueryRowContext(ctx, logoutAtQuery, telegramUserID).Scan(&since)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		out.Existed = true
		// The rule and "Keep trying" stop at once: nothing more is bought
		// or refunded by them.
		if _, err := tx.ExecContext(ctx, stopChainsQuery, millis(now), telegramUserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, clearRuleQuery, telegramUserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, stopStockTriesQuery, millis(now), telegramUserID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, unsettledActionsQuery, telegramUserID).Scan(&out.Unsettled); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, countWatchesQuery, telegramUserID).Scan(&out.Watches); err != nil {
			return err
		}
		if out.Unsettled == 0 {
			return deleteAccountTx(ctx, tx, telegramUserID)
		}
		if since == 0 {
			since = millis(now)
			if _, err := tx.ExecContext(ctx, requestLogoutQuery, since, telegramUserID); err != nil {
				return err
			}
		}
		out.Since = fromMillis(since)
		return nil
	})
	if err != nil {
		return Logout{}, fmt.Errorf("log out %d: %w", telegramUserID, err)
	}
	return out, nil
}

// deleteAccountTx removes an account, its watches (cascade) and its
// confirmations nobody pressed; money actions that were pressed stay.
func deleteAccountTx(ctx context.Context, tx *sql.Tx, telegramUserID int64) error {
	if _, err := tx.ExecContext(ctx, deleteOffersQuery, telegramUserID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, deleteAccountQuery, telegramUserID)
	return err
}

// DueLogout is a logout that can be finished: its money actions are
// settled, or it waited since before the cut-off.
type DueLogout struct {
	TelegramUserID int64
	Since          time.Time
	Unsettled      int // still unsettled (given up waiting for them)
	Watches        int
	Language       UserLanguage // the user's, for the notice that the account is unlinked
}

// DueLogouts returns up to limit waiting logouts that can be finished now:
// those with nothing unsettled, and those asked for at or before giveUp.
func (s *Store) DueLogouts(ctx context.Context, giveUp time.Time, limit int) ([]DueLogout, error) {
	rows, err := s.read.QueryContext(ctx, dueLogoutsQuery, millis(giveUp), limit)
	if err != nil {
		return nil, fmt.Errorf("load due logouts: %w", err)
	}
	defer rows.Close()
	var out []DueLogout
	for rows.Next() {
		var d DueLogout
		var since int64
		if err := rows.Scan(&d.TelegramUserID, &since, &d.Unsettled, &d.Watches, &d.Language.Chosen, &d.Language.Seen); err != nil {
			return nil, fmt.Errorf("load due logouts: %w", err)
		}
		d.Since = fromMillis(since)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load due logouts: %w", err)
	}
	return out, nil
}

// FinishLogout deletes the account of a due logout (see DueLogouts, with the
// same giveUp) and enqueues notice in the same transaction, so the user is
// told once. It reports false when the logout is no longer due: the user
// logged in again, or an action was pressed meanwhile.
func (s *Store) FinishLogout(ctx context.Context, telegramUserID int64, giveUp time.Time, notice *Message, now time.Time) (bool, error) {
	done := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var since int64
		err := tx.QueryRowContext(ctx, logoutAtQuery, telegramUserID).Scan(&since)
		if errors.Is(err, sql.ErrNoRows) || err == nil && since == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		var unsettled int
		if err := tx.QueryRowContext(ctx, unsettledActionsQuery, telegramUserID).Scan(&unsettled); err != nil {
			return err
		}
		if unsettled > 0 && since > millis(giveUp) {
			return nil
		}
		if err := deleteAccountTx(ctx, tx, telegramUserID); err != nil {
			return err
		}
		done = true
		if notice == nil {
			return nil
		}
		_, err = enqueue(ctx, tx, notice, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("finish logout of %d: %w", telegramUserID, err)
	}
	return done, nil
}
