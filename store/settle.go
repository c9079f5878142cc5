package store

// Settling money actions: what a done action changes with it, failures
// told by the reconciler, recovery at start-up and the reconciler's queue.

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Settlement is what a done money action changes besides its own row, all
// in the action's transaction.
type Settlement struct {
	OrderID string // refund: the order refunded; buy: the order bought
	Price   int64  // cents back (refund) or paid (buy); 0 = unknown
	// Watch is the bought order's watch, added without the per-user cap
	// (a number paid for is always watched); nil for none.
	Watch *Watch
	// Notice is enqueued with the settlement (the reconciler's answer to the
	// user); nil for none.
	Notice *Message
}

// SettleAction marks a sent or unknown action done, in one transaction
// with what follows from it: a refund ends the order's watch and raises the
// balance watch's baseline by the refund; a purchase links the order bought
// (each order settles one purchase only), starts its watch and lowers the
// baseline by the price. ErrActionState means it was settled already.
func (s *Store) SettleAction(ctx context.Context, a Action, set Settlement, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := movedOne(tx.ExecContext(ctx, settleActionQuery, set.OrderID, set.Price, millis(now), a.ID)); err != nil {
			return err
		}
		delta := set.Price
		switch a.Kind {
		case ActionRefund:
			if _, err := tx.ExecContext(ctx, deleteWatchOfActionQuery, a.TelegramUserID, set.OrderID); err != nil {
				return err
			}
		case ActionBuy:
			delta = -delta
			if set.Watch != nil {
				if _, err := addWatchTx(ctx, tx, set.Watch, 0, now); err != nil {
					return err
				}
			}
		}
		if err := shiftBaseline(ctx, tx, a.TelegramUserID, delta); err != nil {
			return err
		}
		if set.Notice == nil {
			return nil
		}
		_, err := enqueue(ctx, tx, set.Notice, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("settle %s %d: %w", a.Kind, a.ID, err)
	}
	return nil
}

// FailActionWithNotice is FailAction with a notice enqueued in the same
// transaction, for the reconciler: the user is told exactly once.
func (s *Store) FailActionWithNotice(ctx context.Context, id int64, f Failure, detail string, notice *Message, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := failAction(ctx, tx, id, f, detail, 0, now, ActionUnknown); err != nil {
			return err
		}
		if notice == nil {
			return nil
		}
		_, err := enqueue(ctx, tx, notice, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("fail money action %d: %w", id, err)
	}
	return nil
}

// RecoverActions is for start-up, before anything else runs: an intent
// left by the last run was never sent, so it failed; a sent one may have
// been carried out, so its outcome is unknown and due to be read at once.
// A batch left running is cut: its numbers not begun are not bought.
// A chain's purchase left as an intent is offered again instead: its key
// is its step, which the rule then makes rather than ending the chain on a
// purchase nobody refused. notices (see CutChainSteps) are enqueued in the
// same transaction, so they are written once however often the start is
// cut. notSent counts the intents of both kinds.
func (s *Store) RecoverActions(ctx context.Context, now time.Time, notices ...Message) (notSent, unknown int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, recoverChainIntentsQuery, millis(now))
		if err != nil {
			return err
		}
		reoffered, err := rowsAffected(res)
		if err != nil {
			return err
		}
		if res, err = tx.ExecContext(ctx, recoverIntentsQuery, RestartedDetail, millis(now)); err != nil {
			return err
		}
		failed, err := rowsAffected(res)
		if err != nil {
			return err
		}
		notSent = reoffered + failed
		if res, err = tx.ExecContext(ctx, recoverSentQuery, millis(now)); err != nil {
			return err
		}
		if unknown, err = rowsAffected(res); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, cutBatchesQuery, millis(now)); err != nil {
			return err
		}
		for i := range notices {
			if _, err := enqueue(ctx, tx, &notices[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("recover money actions: %w", err)
	}
	return notSent, unknown, nil
}

// DueAction is an action of unknown outcome that is due to be read, with
// the account to read it with.
type DueAction struct {
	Action
	Account Account
	// KeyErr is ErrWrongKey when the sealed API key does not open, and
	// ErrNotFound when the user has no account (they logged out): the action
	// waits for the next /login.
	KeyErr error
	// Language is the user's, for the notice of the settlement.
	Language UserLanguage
}

// DueActions returns up to limit actions of unknown outcome due at now,
// oldest first, each with its account.
func (s *Store) DueActions(ctx context.Context, now time.Time, limit int) ([]DueAction, error) {
	rows, err := s.read.QueryContext(ctx, dueActionsQuery, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("load due money actions: %w", err)
	}
	defer rows.Close()
	return s.scanDueActions(rows)
}

// scanDueActions reads rows of actionColumns, the account and the language.
func (s *Store) scanDueActions(rows *sql.Rows) ([]DueAction, error) {
	var out []DueAction
	for rows.Next() {
		var as actionScan
		var ja joinedAccount
		var linked bool
		var sms sql.NullString
		var created, updated sql.NullInt64
		var lang UserLanguage
		if err := rows.Scan(append(as.dest(), &linked, &sms, &ja.sealed, &created, &updated, &lang.Chosen, &lang.Seen)...); err != nil {
			return nil, fmt.Errorf("load due money actions: %w", err)
		}
		d := DueAction{Action: as.action(), KeyErr: ErrNotFound, Language: lang}
		if linked {
			ja.a.SMSUserID, ja.created, ja.updated = sms.String, created.Int64, updated.Int64
			d.Account, d.KeyErr = ja.account(d.TelegramUserID, s.sealer)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load due money actions: %w", err)
	}
	return out, nil
}

// BoughtOrders returns the ids of the orders that settled the user's
// purchases: reconciliation must not take one of them for a new one.
func (s *Store) BoughtOrders(ctx context.Context, telegramUserID int64) (map[string]bool, error) {
	rows, err := s.read.QueryContext(ctx, boughtOrdersQuery, telegramUserID)
	if err != nil {
		return nil, fmt.Errorf("load bought orders of %d: %w", telegramUserID, err)
	}
	defer rows.Close()
	out := make(map[string]bool)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("load bought orders of %d: %w", telegramUserID, err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load bought orders of %d: %w", telegramUserID, err)
	}
	return out, nil
}
