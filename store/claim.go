package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The watcher's cycle, first half: claim due watches so that each is
// checked once, outside the database.

// DueWatch is a claimed watch together with the account to check it with.
type DueWatch struct {
	Watch
	Account Account
	// KeyErr is ErrWrongKey when the account's sealed API key does not open
	// (Account.APIKey is then empty). The watch is claimed all the same so
	// that one damaged row cannot stall the queue; the caller should treat it
	// like rejected credentials.
	KeyErr error
	// Language is the user's, for the push or notice the check may call for.
	Language UserLanguage
}

const (
	claimDueQuery = `SELECT w.rowid, ` + watchColumns + `,
		` + joinedAccountColumns + `, ` + joinedLanguageColumns + `
	FROM watches w JOIN accounts a ON a.telegram_user_id = w.telegram_user_id
	LEFT JOIN users u ON u.telegram_user_id = w.telegram_user_id
	WHERE w.state = 'active' AND w.next_check_at <= ? AND w.claimed_until <= ?
	ORDER BY w.next_check_at, w.rowid
	LIMIT ?`
	// The same user's other unclaimed watches due by a time, through the
	// primary key: the unary + keeps SQLite from walking watches_due over
	// every user's watches in that time range instead.
	claimSiblingsQuery = `SELECT w.rowid, ` + watchColumns + `,
		` + joinedAccountColumns + `, ` + joinedLanguageColumns + `
	FROM watches w JOIN accounts a ON a.telegram_user_id = w.telegram_user_id
	LEFT JOIN users u ON u.telegram_user_id = w.telegram_user_id
	WHERE w.telegram_user_id = ? AND +w.state = 'active'
		AND +w.next_check_at <= ? AND w.claimed_until <= ?
	ORDER BY w.next_check_at, w.rowid`
	claimWatchQuery    = `UPDATE watches SET claimed_until = ? WHERE rowid = ?`
	releaseClaimsQuery = `UPDATE watches SET claimed_until = 0 WHERE claimed_until > 0`
	// The first active watch due after a time, claimed or not: one index seek.
	nextWatchDueAfterQuery = `SELECT next_check_at FROM watches
	WHERE state = 'active' AND next_check_at > ? ORDER BY next_check_at LIMIT 1`
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
			lang             UserLanguage
		)
		dest := append([]any{&rowid}, ws.dest()...)
		dest = append(dest, &a.SMSUserID, &sealed, &created, &updated)
		dest = append(dest, lang.dest()...)
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
		c.due = append(c.due, DueWatch{Watch: w, Account: a, KeyErr: k.err, Language: lang})
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
