package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// "New number" buys a number and then refunds the one it replaces. The
// refund is a money action of its own whose key is derived from the
// purchase, begun in one transaction with the purchase's step, so it is
// begun at most once whoever gets there first: the tap's handler right
// after the purchase, or the reconciler for a purchase it settled (or one
// a crash interrupted).

// ErrReplacementKept means the number a purchase replaces was kept (it got
// an SMS meanwhile): it is not refunded.
var ErrReplacementKept = errors.New("store: the replaced number was kept")

const (
	selectReplacingQuery = `SELECT replace_state FROM money_actions
	WHERE id = ? AND kind = 'buy' AND state = 'done' AND replace_order != ''`
	replaceStepQuery   = `UPDATE money_actions SET replace_state = ?, updated_at = ? WHERE id = ? AND replace_state = 'pending'`
	insertRefundIntent = `INSERT INTO money_actions
	(telegram_user_id, kind, key, state, order_id, service_name, country_name, price, chat_id, created_at, updated_at)
	VALUES (?, 'refund', ?, 'intent', ?, ?, ?, ?, ?, ?, ?)`
	// A chain's step whose old number's refund was begun and is neither
	// done nor failed: at start-up, that refund was cut by the crash.
	cutChainStepsQuery = dueActionsSelect + `
	WHERE m.kind = 'buy' AND m.state = 'done' AND m.key LIKE 'chain-%' AND m.replace_state = 'begun'
		AND EXISTS (SELECT 1 FROM money_actions r WHERE r.telegram_user_id = m.telegram_user_id
			AND r.kind = 'refund' AND r.key = 'replace-' || m.id AND r.state IN ('intent', 'sent'))
	ORDER BY m.id`
	dueReplacementsQuery = dueActionsSelect + `
	WHERE m.kind = 'buy' AND m.state = 'done' AND m.replace_state = 'pending' AND m.updated_at <= ?
	ORDER BY m.updated_at, m.id LIMIT ?`
)

// ReplacementKey is the key of the refund that follows purchase buyID.
func ReplacementKey(buyID int64) string { return "replace-" + strconv.FormatInt(buyID, 10) }

// BeginReplacementRefund begins the refund of the number that the done
// purchase buy replaces: the refund action refund (its order, names,
// price) is written as an intent under ReplacementKey, and the purchase's
// step becomes ReplaceBegun, in one transaction. When the step was taken
// before, the refund begun then is returned with begun false, and nothing
// may be sent; ErrReplacementKept when the number was kept instead.
func (s *Store) BeginReplacementRefund(ctx context.Context, buy Action, refund Action, now time.Time) (got Action, begun bool, err error) {
	key := ReplacementKey(buy.ID)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRowContext(ctx, selectReplacingQuery, buy.ID).Scan(&state); err != nil {
			return err
		}
		switch state {
		case ReplaceKept:
			return ErrReplacementKept
		case ReplaceBegun:
			var as actionScan
			err := tx.QueryRowContext(ctx, selectActionByKeyQuery, string(ActionRefund), key).Scan(as.dest()...)
			got = as.action()
			return err
		}
		// The old number's refund pressed on its own card meanwhile is the
		// one: an order is refunded once.
		var other actionScan
		err := tx.QueryRowContext(ctx, otherRefundQuery, buy.TelegramUserID, buy.ReplaceOrder, int64(0)).Scan(other.dest()...)
		switch {
		case err == nil:
			got = other.action()
			_, err = tx.ExecContext(ctx, replaceStepQuery, ReplaceBegun, millis(now), buy.ID)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		res, err := tx.ExecContext(ctx, insertRefundIntent, buy.TelegramUserID, key, buy.ReplaceOrder,
			refund.ServiceName, refund.CountryName, refund.Price, buy.ChatID, millis(now), millis(now))
		if err != nil {
			return err
		}
		if refund.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, replaceStepQuery, ReplaceBegun, millis(now), buy.ID); err != nil {
			return err
		}
		refund.TelegramUserID, refund.Kind, refund.Key, refund.State = buy.TelegramUserID, ActionRefund, key, ActionIntent
		refund.OrderID, refund.ChatID, refund.CreatedAt, refund.UpdatedAt = buy.ReplaceOrder, buy.ChatID, now, now
		got, begun = refund, true
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrActionState // not a done replacing purchase
	}
	if err != nil {
		return Action{}, false, fmt.Errorf("begin refund replaced by %d: %w", buy.ID, err)
	}
	return got, begun, nil
}

// KeepReplaced records that the number purchase buyID replaces got an SMS
// meanwhile: it is kept, not refunded. False when its step was taken
// already.
func (s *Store) KeepReplaced(ctx context.Context, buyID int64, now time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, replaceStepQuery, ReplaceKept, millis(now), buyID)
	if err != nil {
		return false, fmt.Errorf("keep number replaced by %d: %w", buyID, err)
	}
	n, err := rowsAffected(res)
	return n > 0, err
}

// DueReplacements returns up to limit done purchases, settled at or before
// settledBy, whose replaced number's refund is still to begin, each with
// its account and language.
func (s *Store) DueReplacements(ctx context.Context, settledBy time.Time, limit int) ([]DueAction, error) {
	rows, err := s.read.QueryContext(ctx, dueReplacementsQuery, millis(settledBy), limit)
	if err != nil {
		return nil, fmt.Errorf("load due replacements: %w", err)
	}
	defer rows.Close()
	return s.scanDueActions(rows)
}

// CutChainSteps is for start-up, before RecoverActions: the chains' done
// purchases whose old number's refund the last run began (ReplaceBegun)
// and left as an intent or sent. Their step's message is written after
// that refund, so the crash cut it: the caller words it for RecoverActions,
// and the user learns the number bought.
func (s *Store) CutChainSteps(ctx context.Context) ([]DueAction, error) {
	rows, err := s.read.QueryContext(ctx, cutChainStepsQuery)
	if err != nil {
		return nil, fmt.Errorf("load cut chain steps: %w", err)
	}
	defer rows.Close()
	return s.scanDueActions(rows)
}
