package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The rule for numbers that get no SMS: per user, off (the default), refund
// a number still without an SMS N minutes after it was ordered, or retry:
// refund it and buy the same again, as a chain within the user's limits.
// Each watch carries when the rule acts on it (rule_at), so due steps come
// from one indexed query and nothing waits per number.

// RuleKind is what the rule does with a number that got no SMS in time.
type RuleKind string

// The kinds of rule.
const (
	RuleOff    RuleKind = "off"
	RuleRefund RuleKind = "refund"
	RuleRetry  RuleKind = "retry"
)

// The rule's limits.
const (
	MinRuleMinutes  = 2
	MaxRuleMinutes  = 19
	MinChainNumbers = 2
	MaxChainNumbers = 10
	MaxChainSpend   = 100_00 // cents
)

// Rule is a user's rule for numbers that get no SMS.
type Rule struct {
	Kind    RuleKind
	Minutes int // refund, retry: minutes from the order to the step
	// Retry: at most MaxNumbers numbers in a chain, the first included, and
	// at most MaxSpend cents charged for its replacements together.
	MaxNumbers int
	MaxSpend   int64
}

// ErrBadRule means a rule is outside its limits.
var ErrBadRule = errors.New("store: rule outside its limits")

// Check reports whether r is within its limits.
func (r Rule) Check() error {
	switch r.Kind {
	case RuleOff:
		if r != (Rule{Kind: RuleOff}) {
			return ErrBadRule
		}
		return nil
	case RuleRefund:
		if r.MaxNumbers != 0 || r.MaxSpend != 0 {
			return ErrBadRule
		}
	case RuleRetry:
		if r.MaxNumbers < MinChainNumbers || r.MaxNumbers > MaxChainNumbers || r.MaxSpend <= 0 || r.MaxSpend > MaxChainSpend {
			return ErrBadRule
		}
	default:
		return ErrBadRule
	}
	if r.Minutes < MinRuleMinutes || r.Minutes > MaxRuleMinutes {
		return ErrBadRule
	}
	return nil
}

// On reports whether the rule acts on numbers at all.
func (r Rule) On() bool { return r.Kind == RuleRefund || r.Kind == RuleRetry }

// ActsAt is when the rule acts on a number ordered at orderedAt; zero when
// it is off.
func (r Rule) ActsAt(orderedAt time.Time) time.Time {
	if !r.On() {
		return time.Time{}
	}
	return orderedAt.Add(time.Duration(r.Minutes) * time.Minute)
}

const (
	selectRuleQuery = `SELECT kind, minutes, max_numbers, max_spend FROM rules WHERE telegram_user_id = ?`
	upsertRuleQuery = `INSERT INTO rules (telegram_user_id, kind, minutes, max_numbers, max_spend, updated_at)
	VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (telegram_user_id) DO UPDATE SET kind = excluded.kind, minutes = excluded.minutes,
		max_numbers = excluded.max_numbers, max_spend = excluded.max_spend, updated_at = excluded.updated_at`
	// A new rule times every number of the user still under one; a kept
	// number stays kept. A watch whose SMS came has rule_at 0 and kept 0
	// too, so the engine reads it once more and finds the SMS.
	retimeWatchesQuery = `UPDATE watches SET rule_at = CASE WHEN ? > 0
		THEN COALESCE(NULLIF(ordered_at, 0), created_at) + ? ELSE 0 END
	WHERE telegram_user_id = ? AND rule_kept = 0 AND (rule_at > 0 OR ? > 0)`
	stopChainsQuery = `UPDATE chains SET state = 'stopped', updated_at = ?
	WHERE telegram_user_id = ? AND state IN ('running', 'ending')`
	stopChainQuery      = `UPDATE chains SET state = 'stopped', updated_at = ? WHERE id = ? AND state IN ('running', 'ending')`
	endChainBuyingQuery = `UPDATE chains SET state = 'ending', updated_at = ? WHERE id = ? AND state = 'running'`
	keepWatchQuery      = `UPDATE watches SET rule_kept = 1, rule_at = 0 WHERE telegram_user_id = ? AND order_id = ?`
	setRuleAtQuery      = `UPDATE watches SET rule_at = ? WHERE telegram_user_id = ? AND order_id = ? AND rule_kept = 0`
	// INDEXED BY: the planner would rather take watches_due by state and
	// sort every active watch.
	dueRulesQuery = `SELECT ` + watchColumns + `, r.kind, r.minutes, r.max_numbers, r.max_spend,
		` + joinedAccountColumns + `, ` + joinedLanguageColumns + `
	FROM watches w INDEXED BY watches_rule JOIN rules r ON r.telegram_user_id = w.telegram_user_id
	JOIN accounts a ON a.telegram_user_id = w.telegram_user_id
	LEFT JOIN users u ON u.telegram_user_id = w.telegram_user_id
	WHERE w.rule_at > 0 AND w.rule_at <= ? AND w.state = 'active'
	ORDER BY w.rule_at LIMIT ?`

	chainColumns     = `c.id, c.telegram_user_id, c.first_order, c.first_price, c.minutes, c.max_numbers, c.max_spend, c.state, c.created_at`
	insertChainQuery = `INSERT INTO chains (telegram_user_id, first_order, first_price, minutes, max_numbers, max_spend, state, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?) ON CONFLICT (telegram_user_id, first_order) DO NOTHING`
	chainByFirstQuery  = `SELECT ` + chainColumns + ` FROM chains c WHERE c.telegram_user_id = ? AND c.first_order = ?`
	chainByIDQuery     = `SELECT ` + chainColumns + ` FROM chains c WHERE c.id = ?`
	chainOfBoughtQuery = `SELECT key FROM money_actions
	WHERE telegram_user_id = ? AND kind = 'buy' AND order_id = ? AND key LIKE 'chain-%'`
	chainStepsQuery = `SELECT ` + actionColumns + ` FROM money_actions m
	WHERE m.telegram_user_id = ? AND m.kind = 'buy' AND m.key LIKE ?`
	insertKeyedActionQuery = `INSERT INTO money_actions
	(telegram_user_id, kind, key, state, order_id, source_order_id, service, country, carrier,
	 service_name, country_name, max_price, price, chat_id, created_at, updated_at, replace_order, replace_state)
	VALUES (?, ?, ?, 'offered', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (telegram_user_id, kind, key) DO NOTHING`
	selectUserActionByKeyQuery = `SELECT ` + actionColumns + ` FROM money_actions m
	WHERE m.telegram_user_id = ? AND m.kind = ? AND m.key = ?`
	refundRefusalsQuery = `SELECT COUNT(*), COALESCE(SUM(failure NOT IN ('not_sent', 'rate_limited')), 0)
	FROM money_actions
	WHERE telegram_user_id = ? AND kind = 'refund' AND order_id = ? AND state = 'failed'`
	reofferChainStepQuery = `UPDATE money_actions SET state = 'offered', failure = '', detail = '', updated_at = ?
	WHERE id = ? AND kind = 'buy' AND state = 'failed' AND failure IN ('not_sent', 'rate_limited') AND key LIKE 'chain-%'`
	replacedOrderQuery = `SELECT EXISTS (SELECT 1 FROM money_actions WHERE telegram_user_id = ? AND kind = 'buy'
		AND replace_order = ? AND state IN ('intent', 'sent', 'unknown', 'done'))`
)

// UserRule returns the user's rule; off when they never set one.
func (s *Store) UserRule(ctx context.Context, telegramUserID int64) (Rule, error) {
	r, err := ruleTx(ctx, s.read, telegramUserID)
	if err != nil {
		return Rule{}, fmt.Errorf("load rule of %d: %w", telegramUserID, err)
	}
	return r, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func ruleTx(ctx context.Context, q queryer, telegramUserID int64) (Rule, error) {
	var r Rule
	var kind string
	err := q.QueryRowContext(ctx, selectRuleQuery, telegramUserID).Scan(&kind, &r.Minutes, &r.MaxNumbers, &r.MaxSpend)
	if errors.Is(err, sql.ErrNoRows) {
		return Rule{Kind: RuleOff}, nil
	}
	r.Kind = RuleKind(kind)
	return r, err
}

// SetRule stores the user's rule (ErrBadRule outside its limits) and, in
// the same transaction, times every number of theirs the rule may act on
// by it, and stops their running chains: a chain runs under the rule it
// started with, and a new rule is the user taking the wheel.
func (s *Store) SetRule(ctx context.Context, telegramUserID int64, r Rule, now time.Time) error {
	if err := r.Check(); err != nil {
		return fmt.Errorf("set rule of %d: %w", telegramUserID, err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, upsertRuleQuery, telegramUserID, string(r.Kind), r.Minutes, r.MaxNumbers, r.MaxSpend, millis(now)); err != nil {
			return err
		}
		return retimeTx(ctx, tx, telegramUserID, r, now)
	})
	if err != nil {
		return fmt.Errorf("set rule of %d: %w", telegramUserID, err)
	}
	return nil
}

// retimeTx times the user's numbers by r and stops their running chains.
func retimeTx(ctx context.Context, tx *sql.Tx, telegramUserID int64, r Rule, now time.Time) error {
	var after int64
	if r.On() {
		after = int64(r.Minutes) * int64(time.Minute/time.Millisecond)
	}
	if _, err := tx.ExecContext(ctx, retimeWatchesQuery, after, after, telegramUserID, after); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, stopChainsQuery, millis(now), telegramUserID)
	return err
}

// KeepNumber exempts one watched order from the rule ("Keep this number")
// and stops the chain it is the current number of, in one transaction.
// False when the order is not watched.
func (s *Store) KeepNumber(ctx context.Context, telegramUserID int64, orderID string, now time.Time) (bool, error) {
	var kept bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, keepWatchQuery, telegramUserID, orderID)
		if err != nil {
			return err
		}
		if n, err := rowsAffected(res); err != nil || n == 0 {
			return err
		}
		kept = true
		return stopChainOfTx(ctx, tx, telegramUserID, orderID, now)
	})
	if err != nil {
		return false, fmt.Errorf("keep number %d/%s: %w", telegramUserID, orderID, err)
	}
	return kept, nil
}

// SetRuleAt moves when the rule acts on a watched order next; zero for
// never (it acted, or gave up). A kept order stays kept.
func (s *Store) SetRuleAt(ctx context.Context, telegramUserID int64, orderID string, at time.Time) error {
	if _, err := s.write.ExecContext(ctx, setRuleAtQuery, millis(at), telegramUserID, orderID); err != nil {
		return fmt.Errorf("time rule of %d/%s: %w", telegramUserID, orderID, err)
	}
	return nil
}

// DueRule is a watched order the rule acts on now, with its owner's rule,
// account and language.
type DueRule struct {
	Watch    Watch
	Rule     Rule
	Account  Account
	KeyErr   error // ErrWrongKey when the sealed key does not open: the step waits
	Language UserLanguage
}

// DueRules returns up to limit watched orders the rule acts on at now,
// the longest due first.
func (s *Store) DueRules(ctx context.Context, now time.Time, limit int) ([]DueRule, error) {
	rows, err := s.read.QueryContext(ctx, dueRulesQuery, millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("load due rule steps: %w", err)
	}
	defer rows.Close()
	var out []DueRule
	for rows.Next() {
		var ws watchScan
		var d DueRule
		var kind string
		var ja joinedAccount
		dest := append(ws.dest(), &kind, &d.Rule.Minutes, &d.Rule.MaxNumbers, &d.Rule.MaxSpend,
			&ja.a.SMSUserID, &ja.sealed, &ja.created, &ja.updated, &d.Language.Chosen, &d.Language.Seen)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("load due rule steps: %w", err)
		}
		d.Watch, d.Rule.Kind = ws.watch(), RuleKind(kind)
		d.Account, d.KeyErr = ja.account(d.Watch.TelegramUserID, s.sealer)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load due rule steps: %w", err)
	}
	return out, nil
}

// ChainState says whether a chain may still buy.
type ChainState string

// The states of a chain. A chain also ends, without a state of its own,
// when an SMS comes on its current number or its last number is refunded.
const (
	ChainRunning ChainState = "running"
	ChainEnding  ChainState = "ending"  // buys no more; its current number is still refunded when its time comes
	ChainStopped ChainState = "stopped" // Stop, Keep this number, New number, a new rule, /logout, a second refused refund
)

// Chain replaces a number that got no SMS, step by step, under the limits
// of the rule it started with. Its first number is number 1; the purchase
// of number n is the money action keyed ChainKey(id, n).
type Chain struct {
	ID             int64
	TelegramUserID int64
	FirstOrder     string
	FirstPrice     int64 // cents
	Minutes        int
	MaxNumbers     int
	MaxSpend       int64 // cents
	State          ChainState
	CreatedAt      time.Time
}

// ChainKey is the key of the purchase of number step of chain id.
func ChainKey(id int64, step int) string {
	return "chain-" + strconv.FormatInt(id, 10) + "-" + strconv.Itoa(step)
}

// ParseChainKey reads a ChainKey; ok is false for any other key.
func ParseChainKey(key string) (id int64, step int, ok bool) {
	rest, found := strings.CutPrefix(key, "chain-")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, "-")
	if !found {
		return 0, 0, false
	}
	id, err1 := strconv.ParseInt(a, 10, 64)
	step, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || id <= 0 || step < 2 {
		return 0, 0, false
	}
	return id, step, true
}

func scanChain(row *sql.Row) (Chain, error) {
	var c Chain
	var state string
	var created int64
	err := row.Scan(&c.ID, &c.TelegramUserID, &c.FirstOrder, &c.FirstPrice, &c.Minutes, &c.MaxNumbers, &c.MaxSpend, &state, &created)
	c.State, c.CreatedAt = ChainState(state), fromMillis(created)
	return c, err
}

// StartChain starts a chain whose first number is c.FirstOrder, or returns
// the chain that number started before: two chains never run for one
// number.
func (s *Store) StartChain(ctx context.Context, c Chain, now time.Time) (Chain, error) {
	var got Chain
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertChainQuery, c.TelegramUserID, c.FirstOrder, c.FirstPrice,
			c.Minutes, c.MaxNumbers, c.MaxSpend, millis(now), millis(now)); err != nil {
			return err
		}
		var err error
		got, err = scanChain(tx.QueryRowContext(ctx, chainByFirstQuery, c.TelegramUserID, c.FirstOrder))
		return err
	})
	if err != nil {
		return Chain{}, fmt.Errorf("start chain of %d/%s: %w", c.TelegramUserID, c.FirstOrder, err)
	}
	return got, nil
}

// ChainOf returns the chain order belongs to and its number in it (1 for
// the number that started it), or ErrNotFound.
func (s *Store) ChainOf(ctx context.Context, telegramUserID int64, orderID string) (Chain, int, error) {
	c, step, err := chainOfTx(ctx, s.read, telegramUserID, orderID)
	if err != nil {
		return Chain{}, 0, fmt.Errorf("chain of %d/%s: %w", telegramUserID, orderID, err)
	}
	return c, step, nil
}

func chainOfTx(ctx context.Context, q queryer, telegramUserID int64, orderID string) (Chain, int, error) {
	c, err := scanChain(q.QueryRowContext(ctx, chainByFirstQuery, telegramUserID, orderID))
	if err == nil {
		return c, 1, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Chain{}, 0, err
	}
	var key string
	err = q.QueryRowContext(ctx, chainOfBoughtQuery, telegramUserID, orderID).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return Chain{}, 0, ErrNotFound
	}
	if err != nil {
		return Chain{}, 0, err
	}
	id, step, ok := ParseChainKey(key)
	if !ok {
		return Chain{}, 0, ErrNotFound
	}
	c, err = scanChain(q.QueryRowContext(ctx, chainByIDQuery, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	return c, step, err
}

// ChainSteps returns the purchases chain c made or began, oldest first.
func (s *Store) ChainSteps(ctx context.Context, c Chain) ([]Action, error) {
	steps, err := chainSteps(ctx, s.read, c)
	if err != nil {
		return nil, fmt.Errorf("load steps of chain %d: %w", c.ID, err)
	}
	return steps, nil
}

func chainSteps(ctx context.Context, q rowsQueryer, c Chain) ([]Action, error) {
	rows, err := q.QueryContext(ctx, chainStepsQuery, c.TelegramUserID, "chain-"+strconv.FormatInt(c.ID, 10)+"-%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var as actionScan
		if err := rows.Scan(as.dest()...); err != nil {
			return nil, err
		}
		a := as.action()
		if _, _, ok := ParseChainKey(a.Key); ok { // LIKE's "_" and "%" match more than the prefix
			out = append(out, a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Action) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// StopChainOf stops the running chain whose number order is, if any: it
// buys and refunds nothing more. It reports whether one was stopped.
func (s *Store) StopChainOf(ctx context.Context, telegramUserID int64, orderID string, now time.Time) (bool, error) {
	var stopped bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		c, _, err := chainOfTx(ctx, tx, telegramUserID, orderID)
		if errors.Is(err, ErrNotFound) || err == nil && c.State == ChainStopped {
			return nil
		}
		if err != nil {
			return err
		}
		stopped = true
		return stopChainTx(ctx, tx, c, now)
	})
	if err != nil {
		return false, fmt.Errorf("stop chain of %d/%s: %w", telegramUserID, orderID, err)
	}
	return stopped, nil
}

// stopChainOfTx stops the running chain order belongs to, if any.
func stopChainOfTx(ctx context.Context, tx *sql.Tx, telegramUserID int64, orderID string, now time.Time) error {
	c, _, err := chainOfTx(ctx, tx, telegramUserID, orderID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return stopChainTx(ctx, tx, c, now)
}

// stopChainTx stops chain c: its numbers still watched are left alone by
// the rule (kept), so nothing more is bought or refunded for it.
func stopChainTx(ctx context.Context, tx *sql.Tx, c Chain, now time.Time) error {
	if _, err := tx.ExecContext(ctx, stopChainQuery, millis(now), c.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, keepWatchQuery, c.TelegramUserID, c.FirstOrder); err != nil {
		return err
	}
	steps, err := chainSteps(ctx, tx, c)
	if err != nil {
		return err
	}
	for _, a := range steps {
		if a.OrderID == "" {
			continue // not bought (yet): a number bought later is left alone by its stopped chain
		}
		if _, err := tx.ExecContext(ctx, keepWatchQuery, c.TelegramUserID, a.OrderID); err != nil {
			return err
		}
	}
	return nil
}

// EndChainBuying makes a running chain buy no more: its current number is
// still refunded when its time comes (a number it replaced got an SMS).
func (s *Store) EndChainBuying(ctx context.Context, id int64, now time.Time) error {
	if _, err := s.write.ExecContext(ctx, endChainBuyingQuery, millis(now), id); err != nil {
		return fmt.Errorf("end buying of chain %d: %w", id, err)
	}
	return nil
}

// StopChain stops chain id (Stop pressed, or a second refused refund).
func (s *Store) StopChain(ctx context.Context, c Chain, now time.Time) error {
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return stopChainTx(ctx, tx, c, now) }); err != nil {
		return fmt.Errorf("stop chain %d: %w", c.ID, err)
	}
	return nil
}

// Chain returns one chain, or ErrNotFound.
func (s *Store) Chain(ctx context.Context, id int64) (Chain, error) {
	c, err := scanChain(s.read.QueryRowContext(ctx, chainByIDQuery, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Chain{}, fmt.Errorf("chain %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Chain{}, fmt.Errorf("load chain %d: %w", id, err)
	}
	return c, nil
}

// OfferKeyedAction records the action the rule is about to carry out,
// under its own deterministic key (a chain's step, a number's refund try),
// or returns the action recorded under that key before: a step cut by a
// crash is found, not made twice.
func (s *Store) OfferKeyedAction(ctx context.Context, a Action, now time.Time) (Action, error) {
	replaceState := ""
	if a.ReplaceOrder != "" {
		replaceState = ReplacePending
	}
	var got Action
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertKeyedActionQuery, a.TelegramUserID, string(a.Kind), a.Key,
			a.OrderID, a.SourceOrderID, a.Service, a.Country, a.Carrier, a.ServiceName, a.CountryName,
			a.MaxPrice, a.Price, a.ChatID, millis(now), millis(now), a.ReplaceOrder, replaceState); err != nil {
			return err
		}
		var as actionScan
		if err := tx.QueryRowContext(ctx, selectUserActionByKeyQuery, a.TelegramUserID, string(a.Kind), a.Key).Scan(as.dest()...); err != nil {
			return err
		}
		got = as.action()
		return nil
	})
	if err != nil {
		return Action{}, fmt.Errorf("offer %s %s of %d: %w", a.Kind, a.Key, a.TelegramUserID, err)
	}
	return got, nil
}

// ReofferChainStep offers a chain's purchase again when nothing went out
// (never sent, or turned away by SMSOnline's rate limit): its key is its
// step, which the rule then makes, instead of ending the chain on a
// purchase nobody refused.
func (s *Store) ReofferChainStep(ctx context.Context, id int64, now time.Time) error {
	if _, err := s.write.ExecContext(ctx, reofferChainStepQuery, millis(now), id); err != nil {
		return fmt.Errorf("offer chain purchase %d again: %w", id, err)
	}
	return nil
}

// FailedRefunds counts the user's refunds of an order that failed, and
// among them SMSOnline's refusals (a request never sent, or turned away
// by the rate limit, is not one).
func (s *Store) FailedRefunds(ctx context.Context, telegramUserID int64, orderID string) (failed, refusals int, err error) {
	if err := s.read.QueryRowContext(ctx, refundRefusalsQuery, telegramUserID, orderID).Scan(&failed, &refusals); err != nil {
		return 0, 0, fmt.Errorf("count failed refunds of %d/%s: %w", telegramUserID, orderID, err)
	}
	return failed, refusals, nil
}

// IsReplaced reports whether a purchase that replaces the order was made
// or is under way ("New number", a chain's step): the rule then only
// refunds it, and never starts a chain from it.
func (s *Store) IsReplaced(ctx context.Context, telegramUserID int64, orderID string) (bool, error) {
	var yes bool
	if err := s.read.QueryRowContext(ctx, replacedOrderQuery, telegramUserID, orderID).Scan(&yes); err != nil {
		return false, fmt.Errorf("is %d/%s replaced: %w", telegramUserID, orderID, err)
	}
	return yes, nil
}
