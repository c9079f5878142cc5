package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The watcher's cycle, second half: apply the outcomes of its checks in
// one transaction, with the push for a new SMS and the notice for an ended
// watch.

// CheckOutcome is the result of checking one claimed watch.
type CheckOutcome struct {
	TelegramUserID int64
	OrderID        string
	End            bool // the watch ends: its row is deleted

	NextCheckAt   time.Time // zero = check again at once
	Failures      int       // consecutive failed checks so far
	LastCheckedAt time.Time // zero = keep the old value

	// Snapshot; "" / zero keeps the old value.
	Status      string
	Service     string
	PhoneNumber string
	ExpiresAt   time.Time

	// SMS is the SMS text seen, if any: the rule for numbers that get no SMS
	// no longer acts on the order. Push is enqueued only the first time
	// this text is seen for this user's order (a Push without SMS is always
	// enqueued).
	SMS  string
	Push *Message // the push for SMS (Priority PriorityPush)
	// Notice is enqueued unconditionally (e.g. "order expired").
	Notice *Message
}

const (
	// Every outcome statement requires the watch to be active: a /stop,
	// /logout or pause that happened while the check ran wins.
	applyOutcomeQuery = `UPDATE watches SET
		next_check_at = ?,
		failures = ?,
		last_checked_at = COALESCE(NULLIF(?, 0), last_checked_at),
		status = COALESCE(NULLIF(?, ''), status),
		service = COALESCE(NULLIF(?, ''), service),
		phone_number = COALESCE(NULLIF(?, ''), phone_number),
		expires_at = COALESCE(NULLIF(?, 0), expires_at),
		claimed_until = 0
	WHERE telegram_user_id = ? AND order_id = ? AND state = 'active'`
	// Apart from applyOutcomeQuery, and only for an SMS seen: an UPDATE
	// that names rule_at rewrites the watch's entry in watches_rule, which
	// every watch under a rule has, at every check.
	endRuleQuery    = `UPDATE watches SET rule_at = 0 WHERE telegram_user_id = ? AND order_id = ? AND rule_at > 0`
	endOutcomeQuery = `DELETE FROM watches
	WHERE telegram_user_id = ? AND order_id = ? AND state = 'active'`
)

// ApplyOutcomes writes a batch of check results in one transaction, stamped
// with now. An outcome whose watch is gone or no longer active is skipped
// entirely. Each fresh push becomes its own outbox row (the sender joins a
// chat's due pushes when it sends them). It returns how many pushes were
// enqueued (an SMS already delivered is not pushed again and not counted).
func (s *Store) ApplyOutcomes(ctx context.Context, outcomes []CheckOutcome, now time.Time) (pushed int, err error) {
	if len(outcomes) == 0 {
		return 0, nil
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		st, err := prepareOutcomeStmts(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		pushed = 0
		for i := range outcomes {
			fresh, err := s.applyOutcome(ctx, st, &outcomes[i], now)
			if err != nil {
				return fmt.Errorf("watch %d/%s: %w", outcomes[i].TelegramUserID, outcomes[i].OrderID, err)
			}
			if fresh == nil {
				continue
			}
			pushed++
			if err := enqueueStmt(ctx, st.enqueue, fresh, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("apply check outcomes: %w", err)
	}
	return pushed, nil
}

// outcomeStmts are ApplyOutcomes' statements, prepared once per batch.
type outcomeStmts struct {
	update, endRule, end, deliver, enqueue *sql.Stmt
}

func prepareOutcomeStmts(ctx context.Context, tx *sql.Tx) (*outcomeStmts, error) {
	st := &outcomeStmts{}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.update, applyOutcomeQuery},
		{&st.endRule, endRuleQuery},
		{&st.end, endOutcomeQuery},
		{&st.deliver, markDeliveredQuery},
		{&st.enqueue, insertMessageQuery},
	} {
		stmt, err := tx.PrepareContext(ctx, p.query)
		if err != nil {
			st.close()
			return nil, err
		}
		*p.dst = stmt
	}
	return st, nil
}

func (st *outcomeStmts) close() {
	for _, stmt := range []*sql.Stmt{st.update, st.endRule, st.end, st.deliver, st.enqueue} {
		if stmt != nil {
			stmt.Close()
		}
	}
}

// applyOutcome applies one outcome, enqueuing its notice, and returns its
// push when that is to be enqueued (the SMS was not delivered before).
func (s *Store) applyOutcome(ctx context.Context, st *outcomeStmts, o *CheckOutcome, now time.Time) (*Message, error) {
	var res sql.Result
	var err error
	if o.End {
		res, err = st.end.ExecContext(ctx, o.TelegramUserID, o.OrderID)
	} else {
		res, err = st.update.ExecContext(ctx, millis(o.NextCheckAt), o.Failures, millis(o.LastCheckedAt),
			o.Status, o.Service, o.PhoneNumber, millis(o.ExpiresAt), o.TelegramUserID, o.OrderID)
	}
	if err != nil {
		return nil, err
	}
	if n, err := rowsAffected(res); err != nil || n == 0 {
		return nil, err // the watch was stopped, removed or paused meanwhile
	}
	if o.SMS != "" && !o.End {
		if _, err := st.endRule.ExecContext(ctx, o.TelegramUserID, o.OrderID); err != nil {
			return nil, err
		}
	}

	var push *Message
	if o.Push != nil {
		fresh := true
		if o.SMS != "" {
			fresh, err = deliver(ctx, st.deliver, s.sealer.smsFingerprint(o.TelegramUserID, o.OrderID, o.SMS), now)
			if err != nil {
				return nil, err
			}
		}
		if fresh {
			m := *o.Push
			if m.TelegramUserID == 0 {
				m.TelegramUserID = o.TelegramUserID
			}
			if m.OrderID == "" {
				m.OrderID = o.OrderID
			}
			push = &m
		}
	}
	if o.Notice != nil {
		if err := enqueueStmt(ctx, st.enqueue, o.Notice, now); err != nil {
			return nil, err
		}
	}
	return push, nil
}

func enqueueStmt(ctx context.Context, stmt *sql.Stmt, m *Message, now time.Time) error {
	_, err := stmt.ExecContext(ctx, messageArgs(m, now)...)
	return err
}
