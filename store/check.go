package store

import (
	"context"
	"database/sql"
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
	claimWatchQuery    = `UPDATE watches SET claimed_until = ? WHERE rowid = ?`
	releaseClaimsQuery = `UPDATE watches SET claimed_until = 0 WHERE claimed_until > 0`
	// The earliest max(next_check_at, claimed_until) over active watches,
	// in two index-friendly halves: unclaimed rows in next_check_at order
	// (the first one wins), and the few claimed rows through the partial
	// index on claimed_until.
	nextWatchDueQuery = `SELECT MIN(due) FROM (
		SELECT due FROM (
			SELECT next_check_at AS due FROM watches
			WHERE state = 'active' AND claimed_until <= next_check_at
			ORDER BY next_check_at LIMIT 1)
		UNION ALL
		SELECT MIN(claimed_until) FROM watches INDEXED BY watches_claimed
		WHERE claimed_until > 0 AND state = 'active' AND claimed_until > next_check_at
	)`

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

// ClaimDueWatches takes up to limit active watches that are due at now and
// not claimed by a check still running, oldest next_check_at first, and
// claims them until now+lease so that they are not taken twice. Each comes
// with its account, API key opened.
func (s *Store) ClaimDueWatches(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DueWatch, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []DueWatch
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rowids, due, err := s.selectDue(ctx, tx, now, limit)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, claimWatchQuery)
		if err != nil {
			return err
		}
		defer stmt.Close()
		until := millis(now.Add(lease))
		for _, rowid := range rowids {
			if _, err := stmt.ExecContext(ctx, until, rowid); err != nil {
				return err
			}
		}
		out = due
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim due watches: %w", err)
	}
	return out, nil
}

// selectDue reads the due watches with their accounts. A key is opened
// once per distinct account in the batch.
func (s *Store) selectDue(ctx context.Context, tx *sql.Tx, now time.Time, limit int) ([]int64, []DueWatch, error) {
	rows, err := tx.QueryContext(ctx, claimDueQuery, millis(now), millis(now), limit)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()

	type opened struct {
		key string
		err error
	}
	keys := make(map[int64]opened)
	n := min(limit, 1024) // limit may be "everything"; do not allocate for it up front
	rowids := make([]int64, 0, n)
	due := make([]DueWatch, 0, n)
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
			return nil, nil, err
		}
		w := ws.watch()
		k, ok := keys[w.TelegramUserID]
		if !ok {
			k.key, k.err = s.sealer.openAPIKey(w.TelegramUserID, sealed)
			keys[w.TelegramUserID] = k
		}
		a.TelegramUserID = w.TelegramUserID
		a.APIKey = k.key
		a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
		rowids = append(rowids, rowid)
		due = append(due, DueWatch{Watch: w, Account: a, KeyErr: k.err})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return rowids, due, nil
}

// ReleaseClaims clears every claim. Call it at start-up: claims left by a
// crashed run would otherwise hold their watches until the lease ran out.
func (s *Store) ReleaseClaims(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, releaseClaimsQuery); err != nil {
		return fmt.Errorf("release claims: %w", err)
	}
	return nil
}

// NextWatchDue returns the earliest moment an active watch becomes
// claimable (the later of its next check and its claim); false when no
// watch is active. The time may be in the past (the Unix epoch for a watch
// added with a zero NextCheckAt): then a watch is due now.
func (s *Store) NextWatchDue(ctx context.Context) (time.Time, bool, error) {
	var due sql.NullInt64
	if err := s.read.QueryRowContext(ctx, nextWatchDueQuery).Scan(&due); err != nil {
		return time.Time{}, false, fmt.Errorf("load next watch time: %w", err)
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(due.Int64).UTC(), true, nil
}

// ApplyOutcomes writes a batch of check results in one transaction. An
// outcome whose watch is gone or no longer active is skipped entirely. It
// returns how many pushes were enqueued (an SMS already delivered is not
// pushed again and not counted).
func (s *Store) ApplyOutcomes(ctx context.Context, outcomes []CheckOutcome) (pushed int, err error) {
	if len(outcomes) == 0 {
		return 0, nil
	}
	now := time.Now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		st, err := prepareOutcomeStmts(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		pushed = 0
		for i := range outcomes {
			p, err := s.applyOutcome(ctx, st, &outcomes[i], now)
			if err != nil {
				return fmt.Errorf("watch %d/%s: %w", outcomes[i].TelegramUserID, outcomes[i].OrderID, err)
			}
			pushed += p
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

// applyOutcome applies one outcome and returns 1 if it enqueued a push.
func (s *Store) applyOutcome(ctx context.Context, st *outcomeStmts, o *CheckOutcome, now time.Time) (int, error) {
	var res sql.Result
	var err error
	if o.End {
		res, err = st.end.ExecContext(ctx, o.TelegramUserID, o.OrderID)
	} else {
		res, err = st.update.ExecContext(ctx, millis(o.NextCheckAt), o.Failures, millis(o.LastCheckedAt),
			o.Status, o.Service, o.PhoneNumber, millis(o.ExpiresAt), o.TelegramUserID, o.OrderID)
	}
	if err != nil {
		return 0, err
	}
	if n, err := rowsAffected(res); err != nil || n == 0 {
		return 0, err // the watch was stopped, removed or paused meanwhile
	}

	pushed := 0
	if o.Push != nil {
		fresh := true
		if o.SMS != "" {
			fresh, err = deliver(ctx, st.deliver, s.sealer.smsFingerprint(o.TelegramUserID, o.OrderID, o.SMS), now)
			if err != nil {
				return 0, err
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
			if _, err := st.enqueue.ExecContext(ctx, messageArgs(&m, now)...); err != nil {
				return 0, err
			}
			pushed = 1
		}
	}
	if o.Notice != nil {
		if _, err := st.enqueue.ExecContext(ctx, messageArgs(o.Notice, now)...); err != nil {
			return 0, err
		}
	}
	return pushed, nil
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
func (s *Store) MarkDelivered(ctx context.Context, telegramUserID int64, orderID, sms string) (isNew bool, err error) {
	fp := s.sealer.smsFingerprint(telegramUserID, orderID, sms)
	res, err := s.write.ExecContext(ctx, markDeliveredQuery, fp, millis(time.Now()))
	if err != nil {
		return false, fmt.Errorf("mark sms delivered for %d/%s: %w", telegramUserID, orderID, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return false, fmt.Errorf("mark sms delivered for %d/%s: %w", telegramUserID, orderID, err)
	}
	return n > 0, nil
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
