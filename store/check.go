package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// This file holds the watcher's cycle: claim due watches, check them
// outside the database, apply the outcomes in one transaction.

// DueWatch is a claimed watch together with the account to check it with.
type DueWatch struct {
	Watch
	Account Account
	// KeyErr is ErrWrongKey when the account's sealed API key does not open
	// (Account.APIKey is then empty). The watch is claimed all the same so
	// that one damaged row cannot stall the queue; the caller should treat it
	// like rejected credentials.
	KeyErr error
}

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

	// SMS is the SMS text seen, if any. Push is enqueued only the first time
	// this text is seen for this user's order (a Push without SMS is always
	// enqueued).
	SMS  string
	Push *Message // the push for SMS (Priority PriorityPush)
	// Notice is enqueued unconditionally (e.g. "order expired").
	Notice *Message
}

const (
	claimDueQuery = `SELECT w.rowid, ` + watchColumns + `,
		a.sms_user_id, a.sealed_api_key, a.created_at, a.updated_at
	FROM watches w JOIN accounts a ON a.telegram_user_id = w.telegram_user_id
	WHERE w.state = 'active' AND w.next_check_at <= ? AND w.claimed_until <= ?
	ORDER BY w.next_check_at, w.rowid
	LIMIT ?`
	// The same user's other unclaimed watches due by a time, through the
	// primary key: the unary + keeps SQLite from walking watches_due over
	// every user's watches in that time range instead.
	claimSiblingsQuery = `SELECT w.rowid, ` + watchColumns + `,
		a.sms_user_id, a.sealed_api_key, a.created_at, a.updated_at
	FROM watches w JOIN accounts a ON a.telegram_user_id = w.telegram_user_id
	WHERE w.telegram_user_id = ? AND +w.state = 'active'
		AND +w.next_check_at <= ? AND w.claimed_until <= ?
	ORDER BY w.next_check_at, w.rowid`
	claimWatchQuery    = `UPDATE watches SET claimed_until = ? WHERE rowid = ?`
	releaseClaimsQuery = `UPDATE watches SET claimed_until = 0 WHERE claimed_until > 0`

	// The first active watch due after a time, claimed or not: one index seek.
	nextWatchDueAfterQuery = `SELECT next_check_at FROM watches
	WHERE state = 'active' AND next_check_at > ? ORDER BY next_check_at LIMIT 1`

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
	endOutcomeQuery = `DELETE FROM watches
	WHERE telegram_user_id = ? AND order_id = ? AND state = 'active'`
	markDeliveredQuery = `INSERT INTO delivered_sms (hash, created_at) VALUES (?, ?)
	ON CONFLICT (hash) DO NOTHING`
	pruneDeliveredQuery = `DELETE FROM delivered_sms WHERE created_at < ?`
)

// ClaimDueWatchesAhead takes up to limit active watches that are due at now
// and not claimed by a check still running, oldest next_check_at first, and
// claims them until now+lease so that they are not taken twice. Each comes
// with its account, API key opened. It also claims, for every user with a
// due watch, all that user's other unclaimed active watches due by
// now+ahead, so that one request for the account's inventory can answer
// them together. A user's watches come together, in next-check order; limit
// counts the due watches the users are picked by, not the ones that come
// along (which may be due too: the limit does not split a user's watches).
func (s *Store) ClaimDueWatchesAhead(ctx context.Context, now time.Time, ahead, lease time.Duration, limit int) ([]DueWatch, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []DueWatch
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		c := claim{s: s, tx: tx, keys: make(map[int64]openedKey)}
		if err := c.selectDue(ctx, now, limit); err != nil {
			return err
		}
		if len(c.due) == 0 {
			return nil
		}
		if ahead > 0 {
			if err := c.selectSiblings(ctx, now, now.Add(ahead)); err != nil {
				return err
			}
		}
		stmt, err := tx.PrepareContext(ctx, claimWatchQuery)
		if err != nil {
			return err
		}
		defer stmt.Close()
		until := millis(now.Add(lease))
		for _, rowid := range c.rowids {
			if _, err := stmt.ExecContext(ctx, until, rowid); err != nil {
				return err
			}
		}
		out = c.due
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim due watches: %w", err)
	}
	return out, nil
}

// claim collects the watches of one ClaimDueWatchesAhead.
type claim struct {
	s      *Store
	tx     *sql.Tx
	keys   map[int64]openedKey // a key is opened once per account
	rowids []int64
	due    []DueWatch
}

type openedKey struct {
	key string
	err error
}

// selectDue reads the due watches with their accounts.
func (c *claim) selectDue(ctx context.Context, now time.Time, limit int) error {
	rows, err := c.tx.QueryContext(ctx, claimDueQuery, millis(now), millis(now), limit)
	if err != nil {
		return err
	}
	n := min(limit, 1024) // limit may be "everything"; do not allocate for it up front
	c.rowids = make([]int64, 0, n)
	c.due = make([]DueWatch, 0, n)
	return c.scan(rows)
}

// selectSiblings replaces the due watches by all the unclaimed watches due
// by until of their users, each user's together, users in the order of
// their first due watch.
func (c *claim) selectSiblings(ctx context.Context, now, until time.Time) error {
	stmt, err := c.tx.PrepareContext(ctx, claimSiblingsQuery)
	if err != nil {
		return err
	}
	defer stmt.Close()
	var users []int64
	seen := make(map[int64]bool)
	for _, d := range c.due {
		if !seen[d.TelegramUserID] {
			seen[d.TelegramUserID] = true
			users = append(users, d.TelegramUserID)
		}
	}
	// The rows are read again, the due ones with the others, so that each
	// user's come out in next-check order.
	c.rowids, c.due = c.rowids[:0], c.due[:0]
	for _, u := range users {
		rows, err := stmt.QueryContext(ctx, u, millis(until), millis(now))
		if err != nil {
			return err
		}
		if err := c.scan(rows); err != nil {
			return err
		}
	}
	return nil
}

// scan reads rows of claimDueQuery's shape, appending to c.rowids and c.due,
// and closes rows.
func (c *claim) scan(rows *sql.Rows) error {
	defer rows.Close()
	for rows.Next() {
		var (
			rowid            int64
			ws               watchScan
			a                Account
			sealed           []byte
			created, updated int64
		)
		dest := append([]any{&rowid}, ws.dest()...)
		dest = append(dest, &a.SMSUserID, &sealed, &created, &updated)
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		w := ws.watch()
		k, ok := c.keys[w.TelegramUserID]
		if !ok {
			k.key, k.err = c.s.sealer.openAPIKey(w.TelegramUserID, sealed)
			c.keys[w.TelegramUserID] = k
		}
		a.TelegramUserID = w.TelegramUserID
		a.APIKey = k.key
		a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
		c.rowids = append(c.rowids, rowid)
		c.due = append(c.due, DueWatch{Watch: w, Account: a, KeyErr: k.err})
	}
	return rows.Err()
}

// ReleaseClaims clears every claim. Call it at start-up: claims left by a
// crashed run would otherwise hold their watches until the lease ran out.
func (s *Store) ReleaseClaims(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, releaseClaimsQuery); err != nil {
		return fmt.Errorf("release claims: %w", err)
	}
	return nil
}

// NextWatchDueAfter returns the earliest next check after t of an active
// watch; false when there is none. It ignores claims,
// which makes it one index seek: a caller that has just claimed everything
// due by t learns when to look again (a claim that lapses is only found by
// looking again within the poll interval).
func (s *Store) NextWatchDueAfter(ctx context.Context, t time.Time) (time.Time, bool, error) {
	var due int64
	err := s.read.QueryRowContext(ctx, nextWatchDueAfterQuery, millis(t)).Scan(&due)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("load next watch time: %w", err)
	}
	return time.UnixMilli(due).UTC(), true, nil
}

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
	update, end, deliver, enqueue *sql.Stmt
}

func prepareOutcomeStmts(ctx context.Context, tx *sql.Tx) (*outcomeStmts, error) {
	st := &outcomeStmts{}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.update, applyOutcomeQuery},
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
	for _, stmt := range []*sql.Stmt{st.update, st.end, st.deliver, st.enqueue} {
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

// deliver adds a fingerprint to the delivered set and reports whether it
// was new.
func deliver(ctx context.Context, stmt *sql.Stmt, fingerprint []byte, now time.Time) (bool, error) {
	res, err := stmt.ExecContext(ctx, fingerprint, millis(now))
	if err != nil {
		return false, err
	}
	n, err := rowsAffected(res)
	return n > 0, err
}

// MarkDelivered records that the user has seen sms for the order (the
// order card showed it), so the watcher never pushes it again. isNew is
// false when it was already recorded.
func (s *Store) MarkDelivered(ctx context.Context, telegramUserID int64, orderID, sms string, now time.Time) (isNew bool, err error) {
	fp := s.sealer.smsFingerprint(telegramUserID, orderID, sms)
	res, err := s.write.ExecContext(ctx, markDeliveredQuery, fp, millis(now))
	if err != nil {
		return false, fmt.Errorf("mark sms delivered for %d/%s: %w", telegramUserID, orderID, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return false, fmt.Errorf("mark sms delivered for %d/%s: %w", telegramUserID, orderID, err)
	}
	return n > 0, nil
}

// PushOnce records that the user has had sms for m's order and, only if
// that is new, enqueues m, its push, in the same transaction: the SMS is
// pushed once whoever sees it first, this call or the watcher. isNew says
// whether m was enqueued.
func (s *Store) PushOnce(ctx context.Context, m Message, sms string, now time.Time) (isNew bool, err error) {
	fp := s.sealer.smsFingerprint(m.TelegramUserID, m.OrderID, sms)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, markDeliveredQuery, fp, millis(now))
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if isNew = n > 0; err != nil || !isNew {
			return err
		}
		_, err = enqueue(ctx, tx, &m, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("push sms once for %d/%s: %w", m.TelegramUserID, m.OrderID, err)
	}
	return isNew, nil
}

// PruneDelivered forgets delivered-SMS fingerprints recorded before
// before and returns how many. Orders live about 20 minutes, so keeping a
// few days is ample; without pruning the set grows forever.
func (s *Store) PruneDelivered(ctx context.Context, before time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, pruneDeliveredQuery, millis(before))
	if err != nil {
		return 0, fmt.Errorf("prune delivered sms: %w", err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return 0, fmt.Errorf("prune delivered sms: %w", err)
	}
	return n, nil
}
