package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Money actions: a refund or a purchase, each done at most once. The row is
// written before the request that moves money and walks
//
//	intent → sent → done | failed | unknown → done | failed
//
// "intent" is written first; "sent" just before the request leaves, so a
// crash in between (intent at start-up) means nothing was sent. "unknown"
// means the request went out and no answer said what happened: the outcome
// is found out by reading SMSOnline (the reconciler), never by sending it
// again.

// ActionKind says what a money action does.
type ActionKind string

// The money actions.
const (
	ActionRefund ActionKind = "refund"
	ActionBuy    ActionKind = "buy"
)

// ActionState is how far a money action got.
type ActionState string

// The states of a money action.
const (
	ActionIntent  ActionState = "intent"
	ActionSent    ActionState = "sent"
	ActionDone    ActionState = "done"
	ActionFailed  ActionState = "failed"
	ActionUnknown ActionState = "unknown"
)

// ErrActionState means a money action was not in the state a transition
// needs: someone else (a double tap, the reconciler) moved it first.
var ErrActionState = errors.New("store: money action is in another state")

// Action is one money action.
type Action struct {
	ID             int64
	TelegramUserID int64
	Kind           ActionKind
	// Key is what makes two taps the same action: the order id of a refund,
	// the nonce of a purchase's confirmation.
	Key   string
	State ActionState

	OrderID       string // refund: the order refunded; buy: the order bought, once known
	SourceOrderID string // buy: the order bought again

	// A purchase's request: the codes sent (sShort, cShort, carrier) and the
	// names to show.
	Service, Country, Carrier string
	ServiceName, CountryName  string
	MaxPrice                  int64 // buy: the ceiling, in cents

	Price  int64  // cents: what went back (refund) or was paid (buy); 0 = unknown
	ChatID int64  // where the outcome is told
	Detail string // why it failed, for the log and for support (the user is told by the bot's own texts)

	Checks      int       // reads made to settle an unknown outcome
	NextCheckAt time.Time // unknown: when to read SMSOnline next
	CreatedAt   time.Time // when the intent was written
	UpdatedAt   time.Time
}

const actionColumns = `m.id, m.telegram_user_id, m.kind, m.key, m.state, m.order_id, m.source_order_id,
	m.service, m.country, m.carrier, m.service_name, m.country_name, m.max_price, m.price, m.chat_id,
	m.detail, m.checks, m.next_check_at, m.created_at, m.updated_at`

type actionScan struct {
	a                        Action
	kind, state              string
	next, created, updatedAt int64
}

func (as *actionScan) dest() []any {
	a := &as.a
	return []any{&a.ID, &a.TelegramUserID, &as.kind, &a.Key, &as.state, &a.OrderID, &a.SourceOrderID,
		&a.Service, &a.Country, &a.Carrier, &a.ServiceName, &a.CountryName, &a.MaxPrice, &a.Price, &a.ChatID,
		&a.Detail, &a.Checks, &as.next, &as.created, &as.updatedAt}
}

func (as *actionScan) action() Action {
	a := as.a
	a.Kind, a.State = ActionKind(as.kind), ActionState(as.state)
	a.NextCheckAt, a.CreatedAt, a.UpdatedAt = fromMillis(as.next), fromMillis(as.created), fromMillis(as.updatedAt)
	return a
}

const (
	selectActionQuery = `SELECT ` + actionColumns + ` FROM money_actions m
	WHERE m.telegram_user_id = ? AND m.kind = ? AND m.key = ?`
	selectActionByIDQuery = `SELECT ` + actionColumns + ` FROM money_actions m WHERE m.id = ?`
	insertActionQuery     = `INSERT INTO money_actions
	(telegram_user_id, kind, key, state, order_id, source_order_id, service, country, carrier,
	 service_name, country_name, max_price, price, chat_id, created_at, updated_at)
	VALUES (?, ?, ?, 'intent', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// A failed action may be tried again: nothing was done the first time.
	rearmActionQuery = `UPDATE money_actions SET state = 'intent', order_id = ?, source_order_id = ?,
		service = ?, country = ?, carrier = ?, service_name = ?, country_name = ?, max_price = ?, price = ?,
		chat_id = ?, detail = '', checks = 0, next_check_at = 0, created_at = ?, updated_at = ?
	WHERE id = ? AND state = 'failed'`
	moveActionQuery = `UPDATE money_actions SET state = ?, detail = ?, next_check_at = ?, updated_at = ?
	WHERE id = ? AND state IN (?, ?, ?)`
	settleActionQuery = `UPDATE money_actions SET state = 'done', order_id = ?, price = ?, detail = '', updated_at = ?
	WHERE id = ? AND state IN ('sent', 'unknown')`
	rescheduleActionQuery = `UPDATE money_actions SET checks = checks + ?, next_check_at = ?, updated_at = ?
	WHERE id = ? AND state = 'unknown'`
	recoverIntentsQuery = `UPDATE money_actions SET state = 'failed', detail = ?, updated_at = ?
	WHERE state = 'intent'`
	recoverSentQuery = `UPDATE money_actions SET state = 'unknown', next_check_at = 0, updated_at = ?
	WHERE state = 'sent'`
	dueActionsQuery = `SELECT ` + actionColumns + `, ` + joinedAccountColumns + `
	FROM money_actions m JOIN accounts a ON a.telegram_user_id = m.telegram_user_id
	WHERE m.state = 'unknown' AND m.next_check_at <= ?
	ORDER BY m.next_check_at, m.id LIMIT ?`
	boughtOrdersQuery = `SELECT order_id FROM money_actions
	WHERE telegram_user_id = ? AND kind = 'buy' AND order_id != ''`
	deleteWatchOfActionQuery = `DELETE FROM watches WHERE telegram_user_id = ? AND order_id = ?`
)

// RestartedDetail is the Detail of an action found as an intent at start-up:
// the bot stopped before the request was sent.
const RestartedDetail = "restarted before sending"

// BeginAction records the intent of a, unless the same action (user, kind,
// key) exists already. It returns the stored action and whether this call
// wrote the intent; only then may the caller go on to send the request. An
// action that failed before is armed again (nothing was done the first
// time); one in any other state is returned as it is.
func (s *Store) BeginAction(ctx context.Context, a Action, now time.Time) (got Action, begun bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var as actionScan
		err := tx.QueryRowContext(ctx, selectActionQuery, a.TelegramUserID, string(a.Kind), a.Key).Scan(as.dest()...)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			res, err := tx.ExecContext(ctx, insertActionQuery, a.TelegramUserID, string(a.Kind), a.Key,
				a.OrderID, a.SourceOrderID, a.Service, a.Country, a.Carrier, a.ServiceName, a.CountryName,
				a.MaxPrice, a.Price, a.ChatID, millis(now), millis(now))
			if err != nil {
				return err
			}
			if a.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		case err != nil:
			return err
		case as.state != string(ActionFailed):
			got = as.action()
			return nil
		default:
			a.ID = as.a.ID
			if _, err := tx.ExecContext(ctx, rearmActionQuery, a.OrderID, a.SourceOrderID, a.Service,
				a.Country, a.Carrier, a.ServiceName, a.CountryName, a.MaxPrice, a.Price, a.ChatID,
				millis(now), millis(now), a.ID); err != nil {
				return err
			}
		}
		a.State, a.Detail, a.Checks, a.NextCheckAt = ActionIntent, "", 0, time.Time{}
		a.CreatedAt, a.UpdatedAt = now, now
		got, begun = a, true
		return nil
	})
	if err != nil {
		return Action{}, false, fmt.Errorf("begin %s %d/%s: %w", a.Kind, a.TelegramUserID, a.Key, err)
	}
	return got, begun, nil
}

// Action returns one action by id, or ErrNotFound.
func (s *Store) Action(ctx context.Context, id int64) (Action, error) {
	var as actionScan
	err := s.read.QueryRowContext(ctx, selectActionByIDQuery, id).Scan(as.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, fmt.Errorf("money action %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Action{}, fmt.Errorf("load money action %d: %w", id, err)
	}
	return as.action(), nil
}

// MarkActionSent moves an intent to sent: call it just before the request.
func (s *Store) MarkActionSent(ctx context.Context, id int64, now time.Time) error {
	return s.moveAction(ctx, id, ActionSent, "", time.Time{}, now, ActionIntent)
}

// FailAction records that an action did nothing (a definite refusal, or a
// read that settled an unknown outcome); detail says why, for the user.
func (s *Store) FailAction(ctx context.Context, id int64, detail string, now time.Time) error {
	return s.moveAction(ctx, id, ActionFailed, detail, time.Time{}, now, ActionIntent, ActionSent, ActionUnknown)
}

// MarkActionUnknown records that a sent request got no answer that says
// what happened; the reconciler reads SMSOnline from next on.
func (s *Store) MarkActionUnknown(ctx context.Context, id int64, next, now time.Time) error {
	return s.moveAction(ctx, id, ActionUnknown, "", next, now, ActionSent)
}

func (s *Store) moveAction(ctx context.Context, id int64, to ActionState, detail string, next, now time.Time, from ...ActionState) error {
	if err := moveAction(ctx, s.write, id, to, detail, next, now, from...); err != nil {
		return fmt.Errorf("money action %d to %s: %w", id, to, err)
	}
	return nil
}

// moveAction moves action id to state to if it is in one of from (one to
// three states); ErrActionState if it is not.
func moveAction(ctx context.Context, ex execer, id int64, to ActionState, detail string, next, now time.Time, from ...ActionState) error {
	args := []any{string(to), detail, millis(next), millis(now), id}
	for i := range 3 {
		args = append(args, string(from[min(i, len(from)-1)]))
	}
	return movedOne(ex.ExecContext(ctx, moveActionQuery, args...))
}

// movedOne turns the result of a state transition into ErrActionState when
// it touched no row: the action was not in a state it moves from.
func movedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := rowsAffected(res)
	if err == nil && n == 0 {
		err = ErrActionState
	}
	return err
}

// RescheduleAction sets when an unknown action is read next and, when read
// is true, counts one more answer that showed no change (a read that failed
// tells nothing and is not counted).
func (s *Store) RescheduleAction(ctx context.Context, id int64, next, now time.Time, read bool) error {
	counted := 0
	if read {
		counted = 1
	}
	if _, err := s.write.ExecContext(ctx, rescheduleActionQuery, counted, millis(next), millis(now), id); err != nil {
		return fmt.Errorf("reschedule money action %d: %w", id, err)
	}
	return nil
}

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
func (s *Store) FailActionWithNotice(ctx context.Context, id int64, detail string, notice *Message, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := moveAction(ctx, tx, id, ActionFailed, detail, time.Time{}, now, ActionUnknown); err != nil {
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
func (s *Store) RecoverActions(ctx context.Context, now time.Time) (failed, unknown int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, recoverIntentsQuery, RestartedDetail, millis(now))
		if err != nil {
			return err
		}
		if failed, err = rowsAffected(res); err != nil {
			return err
		}
		if res, err = tx.ExecContext(ctx, recoverSentQuery, millis(now)); err != nil {
			return err
		}
		unknown, err = rowsAffected(res)
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("recover money actions: %w", err)
	}
	return failed, unknown, nil
}

// DueAction is an action of unknown outcome that is due to be read, with
// the account to read it with.
type DueAction struct {
	Action
	Account Account
	KeyErr  error // ErrWrongKey when the sealed API key does not open
}

// DueActions returns up to limit actions of unknown outcome due at now,
// oldest first, each with its account.
func (s *Store) DueActions(ctx context.Context, now time.Time, limit int) ([]DueAction, error) {
	rows, err := s.read.QueryContext(ctx, dueActionsQuery, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("load due money actions: %w", err)
	}
	defer rows.Close()
	var out []DueAction
	for rows.Next() {
		var as actionScan
		var ja joinedAccount
		if err := rows.Scan(append(as.dest(), ja.dest()...)...); err != nil {
			return nil, fmt.Errorf("load due money actions: %w", err)
		}
		d := DueAction{Action: as.action()}
		d.Account, d.KeyErr = ja.account(d.TelegramUserID, s.sealer)
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
