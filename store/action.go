package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Money actions: a refund or a purchase, each done at most once. The row is
// written when the confirmation is shown, before the request that moves
// money, and walks
//
//	offered → intent → sent → done | failed | unknown → done | failed
//
// "offered" is a confirmation on the screen: its button carries only the
// row's key (a nonce), so what is sent is what was confirmed, whatever the
// button's data says. Pressing it moves the row to "intent", once; "sent" is
// written just before the request leaves, so a crash in between (intent at
// start-up) means nothing was sent. "unknown" means the request went out and
// no answer said what happened: the outcome is found out by reading
// SMSOnline (the reconciler), never by sending it again. A failed action
// stays failed: "try again" is a new confirmation. Rows outlive the account,
// so a used confirmation stays used across /logout and /login.

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
	ActionOffered ActionState = "offered"
	ActionIntent  ActionState = "intent"
	ActionSent    ActionState = "sent"
	ActionDone    ActionState = "done"
	ActionFailed  ActionState = "failed"
	ActionUnknown ActionState = "unknown"
)

// Unsettled reports whether an action was pressed and its outcome is not
// known yet.
func (s ActionState) Unsettled() bool {
	return s == ActionIntent || s == ActionSent || s == ActionUnknown
}

// Failure is why a failed action did nothing, as a class the bot words for
// the user (the Detail is for the log).
type Failure string

// The classes of failure.
const (
	FailNotSent      Failure = "not_sent"      // the request never left: a restart, or the inventory could not be read first
	FailOutOfStock   Failure = "out_of_stock"  // no number for sale
	FailPriceChanged Failure = "price_changed" // the price went above the ceiling; NewPrice says to what, when known
	FailLowBalance   Failure = "low_balance"   // the balance does not cover the price
	FailRateLimited  Failure = "rate_limited"  // SMSOnline asked to slow down
	FailRefused      Failure = "refused"       // any other refusal by SMSOnline
	FailNoSign       Failure = "no_sign"       // unknown outcome, settled: SMSOnline shows no sign of it
	FailUnconfirmed  Failure = "unconfirmed"   // unknown refund whose order SMSOnline no longer shows
)

// ErrActionState means a money action was not in the state a transition
// needs: someone else (a double tap, the reconciler) moved it first.
var ErrActionState = errors.New("store: money action is in another state")

// Action is one money action.
type Action struct {
	ID             int64
	TelegramUserID int64
	Kind           ActionKind
	// Key is the nonce of the confirmation the action was offered with; a
	// pressed button names it and nothing else. (Refunds of older versions
	// have the order id.)
	Key   string
	State ActionState

	OrderID       string // refund: the order refunded; buy: the order bought, once known
	SourceOrderID string // buy: the order bought again

	// A purchase's request: the codes sent (sShort, cShort, carrier) and the
	// names to show.
	Service, Country, Carrier string
	ServiceName, CountryName  string
	MaxPrice                  int64 // buy: the ceiling, in cents

	Price    int64   // cents: what goes back (refund: the price shown) or was paid (buy); 0 = unknown
	ChatID   int64   // where the outcome is told
	Detail   string  // why it failed, for the log and for support
	Failure  Failure // failed: why, as a class
	NewPrice int64   // FailPriceChanged: the price SMSOnline named, in cents; 0 = not said

	// Known holds the ids of the orders of the same service and country the
	// inventory showed just before a purchase's request; HasKnown is false
	// for a purchase whose inventory was never read (older versions).
	Known    []string
	HasKnown bool

	// ReplaceOrder is, on a purchase made by "New number", the order whose
	// number it replaces: refunded once the purchase is done.
	// ReplaceState says how far that refund got: ReplacePending, then
	// ReplaceBegun, or ReplaceKept when the old number got an SMS meanwhile.
	ReplaceOrder, ReplaceState string

	// Quantity is, on a purchase's confirmation, how many numbers it buys
	// (1 to 10): this action is the first, BatchItemKey names the others.
	// BatchState says how far such a batch got: BatchRunning, BatchDone, or
	// BatchCut (a restart stopped it); "" for one number.
	Quantity   int
	BatchState string

	Checks      int       // reads made to settle an unknown outcome
	NextCheckAt time.Time // unknown: when to read SMSOnline next
	CreatedAt   time.Time // when the confirmation was offered
	UpdatedAt   time.Time
}

const actionColumns = `m.id, m.telegram_user_id, m.kind, m.key, m.state, m.order_id, m.source_order_id,
	m.service, m.country, m.carrier, m.service_name, m.country_name, m.max_price, m.price, m.chat_id,
	m.detail, m.failure, m.new_price, m.known_orders, m.checks, m.next_check_at, m.created_at, m.updated_at,
	m.replace_order, m.replace_state, m.quantity, m.batch_state`

type actionScan struct {
	a                        Action
	kind, state, failure     string
	known                    sql.NullString
	next, created, updatedAt int64
}

func (as *actionScan) dest() []any {
	a := &as.a
	return []any{&a.ID, &a.TelegramUserID, &as.kind, &a.Key, &as.state, &a.OrderID, &a.SourceOrderID,
		&a.Service, &a.Country, &a.Carrier, &a.ServiceName, &a.CountryName, &a.MaxPrice, &a.Price, &a.ChatID,
		&a.Detail, &as.failure, &a.NewPrice, &as.known, &a.Checks, &as.next, &as.created, &as.updatedAt,
		&a.ReplaceOrder, &a.ReplaceState, &a.Quantity, &a.BatchState}
}

func (as *actionScan) action() Action {
	a := as.a
	a.Kind, a.State, a.Failure = ActionKind(as.kind), ActionState(as.state), Failure(as.failure)
	a.NextCheckAt, a.CreatedAt, a.UpdatedAt = fromMillis(as.next), fromMillis(as.created), fromMillis(as.updatedAt)
	if as.known.Valid {
		a.HasKnown = true
		if err := json.Unmarshal([]byte(as.known.String), &a.Known); err != nil {
			a.Known = nil // written by this package only; unreadable means nothing is known
		}
	}
	return a
}

const (
	selectActionByKeyQuery = `SELECT ` + actionColumns + ` FROM money_actions m
	WHERE m.kind = ? AND m.key = ? ORDER BY m.id DESC LIMIT 1`
	selectActionByIDQuery = `SELECT ` + actionColumns + ` FROM money_actions m WHERE m.id = ?`
	insertActionQuery     = `INSERT INTO money_actions
	(telegram_user_id, kind, key, state, order_id, source_order_id, service, country, carrier,
	 service_name, country_name, max_price, price, chat_id, created_at, updated_at, replace_order, replace_state, quantity)
	VALUES (?, ?, ?, 'offered', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// A refund of an order whose refund was pressed before, and is not known
	// to have failed, is not begun: that one is the answer.
	otherRefundQuery = `SELECT ` + actionColumns + ` FROM money_actions m
	WHERE m.telegram_user_id = ? AND m.kind = 'refund' AND m.order_id = ? AND m.id != ?
		AND m.state IN ('intent', 'sent', 'unknown', 'done')
	ORDER BY m.id DESC LIMIT 1`
	moveActionQuery = `UPDATE money_actions SET state = ?, detail = ?, next_check_at = ?, updated_at = ?
	WHERE id = ? AND state IN (?, ?, ?)`
	failActionQuery = `UPDATE money_actions SET state = 'failed', failure = ?, detail = ?, new_price = ?,
		next_check_at = 0, updated_at = ?
	WHERE id = ? AND state IN (?, ?, ?)`
	knownOrdersQuery  = `UPDATE money_actions SET known_orders = ?, updated_at = ? WHERE id = ? AND state = 'intent'`
	settleActionQuery = `UPDATE money_actions SET state = 'done', order_id = ?, price = ?, detail = '', updated_at = ?
	WHERE id = ? AND state IN ('sent', 'unknown')`
	rescheduleActionQuery = `UPDATE money_actions SET checks = checks + ?, next_check_at = ?, updated_at = ?
	WHERE id = ? AND state = 'unknown'`
	// A chain's purchase is keyed by its step: failed, the step would end
	// the chain; offered again, the rule makes it (see RecoverActions).
	recoverChainIntentsQuery = `UPDATE money_actions SET state = 'offered', updated_at = ?
	WHERE state = 'intent' AND kind = 'buy' AND key LIKE 'chain-%'`
	recoverIntentsQuery = `UPDATE money_actions SET state = 'failed', failure = 'not_sent', detail = ?, updated_at = ?
	WHERE state = 'intent'`
	recoverSentQuery = `UPDATE money_actions SET state = 'unknown', next_check_at = 0, updated_at = ?
	WHERE state = 'sent'`
	// Money rows outlive the account: an action whose user has none (a
	// logout that could not wait) is read again after the next /login.
	// dueActionsSelect reads actions with their account and language, for
	// scanDueActions.
	dueActionsSelect = `SELECT ` + actionColumns + `, a.telegram_user_id IS NOT NULL, ` + joinedAccountColumns + `,
		` + joinedLanguageColumns + `
	FROM money_actions m LEFT JOIN accounts a ON a.telegram_user_id = m.telegram_user_id
	LEFT JOIN users u ON u.telegram_user_id = m.telegram_user_id`
	dueActionsQuery = dueActionsSelect + `
	WHERE m.state = 'unknown' AND m.next_check_at <= ?
	ORDER BY m.next_check_at, m.id LIMIT ?`
	boughtOrdersQuery = `SELECT order_id FROM money_actions
	WHERE telegram_user_id = ? AND kind = 'buy' AND order_id != ''`
	unsettledActionsQuery = `SELECT COUNT(*) FROM money_actions
	WHERE telegram_user_id = ? AND state IN ('intent', 'sent', 'unknown')`
	deleteOffersQuery        = `DELETE FROM money_actions WHERE telegram_user_id = ? AND state = 'offered'`
	pruneOffersQuery         = `DELETE FROM money_actions WHERE state = 'offered' AND created_at < ?`
	deleteWatchOfActionQuery = `DELETE FROM watches WHERE telegram_user_id = ? AND order_id = ?`
)

// RestartedDetail is the Detail of an action found as an intent at start-up:
// the bot stopped before the request was sent.
const RestartedDetail = "restarted before sending"

// OfferAction records a confirmation about to be shown: the action a, whose
// Key is the confirmation's fresh nonce, in state offered. Nothing is sent
// until BeginAction.
func (s *Store) OfferAction(ctx context.Context, a Action, now time.Time) (Action, error) {
	replaceState := ""
	if a.ReplaceOrder != "" {
		replaceState = ReplacePending
	}
	res, err := s.write.ExecContext(ctx, insertActionQuery, a.TelegramUserID, string(a.Kind), a.Key,
		a.OrderID, a.SourceOrderID, a.Service, a.Country, a.Carrier, a.ServiceName, a.CountryName,
		a.MaxPrice, a.Price, a.ChatID, millis(now), millis(now), a.ReplaceOrder, replaceState, max(a.Quantity, 1))
	if err == nil {
		a.ID, err = res.LastInsertId()
	}
	if err != nil {
		return Action{}, fmt.Errorf("offer %s %d: %w", a.Kind, a.TelegramUserID, err)
	}
	a.State, a.ReplaceState, a.CreatedAt, a.UpdatedAt, a.Quantity = ActionOffered, replaceState, now, now, max(a.Quantity, 1)
	return a, nil
}

// ActionByKey returns the action a button names by its nonce, whoever owns
// it (the caller checks), or ErrNotFound.
func (s *Store) ActionByKey(ctx context.Context, kind ActionKind, key string) (Action, error) {
	var as actionScan
	err := s.read.QueryRowContext(ctx, selectActionByKeyQuery, string(kind), key).Scan(as.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, fmt.Errorf("money action %s/%s: %w", kind, key, ErrNotFound)
	}
	if err != nil {
		return Action{}, fmt.Errorf("load money action %s/%s: %w", kind, key, err)
	}
	return as.action(), nil
}

// BeginAction moves the offered action id to intent: the confirmation was
// pressed. It returns the stored action and whether this call began it;
// only then may the caller go on to send the request. An action pressed
// before is returned as it is, and so, for a refund, is an earlier refund of
// the same order that was pressed and did not fail: one order is refunded
// once, whatever the confirmation.
func (s *Store) BeginAction(ctx context.Context, id int64, now time.Time) (got Action, begun bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var as actionScan
		if err := tx.QueryRowContext(ctx, selectActionByIDQuery, id).Scan(as.dest()...); err != nil {
			return err
		}
		got = as.action()
		if got.State != ActionOffered {
			return nil
		}
		if got.Kind == ActionRefund {
			var other actionScan
			err := tx.QueryRowContext(ctx, otherRefundQuery, got.TelegramUserID, got.OrderID, got.ID).Scan(other.dest()...)
			switch {
			case err == nil:
				got = other.action()
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if err := moveAction(ctx, tx, id, ActionIntent, "", time.Time{}, now, ActionOffered); err != nil {
			return err
		}
		got.State, got.UpdatedAt, begun = ActionIntent, now, true
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Action{}, false, fmt.Errorf("begin money action %d: %w", id, err)
	}
	return got, begun, nil
}

// SetKnownOrders records, on a purchase about to be sent, the ids of the
// orders of its service and country the inventory shows now: afterwards a
// new one among them is the purchase.
func (s *Store) SetKnownOrders(ctx context.Context, id int64, known []string, now time.Time) error {
	if known == nil {
		known = []string{}
	}
	data, err := json.Marshal(known)
	if err == nil {
		err = movedOne(s.write.ExecContext(ctx, knownOrdersQuery, string(data), millis(now), id))
	}
	if err != nil {
		return fmt.Errorf("record known orders of money action %d: %w", id, err)
	}
	return nil
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

// FailAction records that a pressed action did nothing: a definite
// refusal, or a request that never left. It stays failed.
func (s *Store) FailAction(ctx context.Context, id int64, f Failure, detail string, newPrice int64, now time.Time) error {
	if err := failAction(ctx, s.write, id, f, detail, newPrice, now, ActionIntent, ActionSent, ActionUnknown); err != nil {
		return fmt.Errorf("fail money action %d: %w", id, err)
	}
	return nil
}

func failAction(ctx context.Context, ex execer, id int64, f Failure, detail string, newPrice int64, now time.Time, from ...ActionState) error {
	args := []any{string(f), detail, newPrice, millis(now), id}
	for i := range 3 {
		args = append(args, string(from[min(i, len(from)-1)]))
	}
	return movedOne(ex.ExecContext(ctx, failActionQuery, args...))
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

// The steps of the refund that follows a replacing purchase.
const (
	ReplacePending = "pending" // the old number is to be refunded once the purchase is done
	ReplaceBegun   = "begun"   // its refund was begun (a money action of its own)
	ReplaceKept    = "kept"    // it got an SMS meanwhile: kept, not refunded
)
