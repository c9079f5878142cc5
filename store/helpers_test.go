package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Test-only views of the store: the bot never needs them.

const (
	// The earliest max(next_check_at, claimed_until) over active watches,
	// in two index-friendly halves, each stopping at its first match:
	// unclaimed rows in next_check_at order, and claimed rows in
	// claimed_until order through the partial index (not MIN over them all,
	// which would read every claimed row: hundreds while the watcher is busy).
	nextWatchDueQuery = `SELECT MIN(due) FROM (
		SELECT due FROM (
			SELECT next_check_at AS due FROM watches
			WHERE state = 'active' AND claimed_until <= next_check_at
			ORDER BY next_check_at LIMIT 1)
		UNION ALL
		SELECT due FROM (
			SELECT claimed_until AS due FROM watches INDEXED BY watches_claimed
			WHERE claimed_until > 0 AND state = 'active' AND claimed_until > next_check_at
			ORDER BY claimed_until LIMIT 1)
	)`
	countMessagesQuery = `SELECT COUNT(*) FROM outbox`
)

// ClaimDueWatches takes up to limit active watches that are due at now and
// not claimed by a check still running, oldest next_check_at first, and
// claims them until now+lease so that they are not taken twice. Each comes
// with its account, API key opened.
func (s *Store) ClaimDueWatches(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DueWatch, error) {
	return s.ClaimDueWatchesAhead(ctx, now, 0, lease, limit)
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

// PendingMessages returns how many messages wait in the outbox.
func (s *Store) PendingMessages(ctx context.Context) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, countMessagesQuery).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending messages: %w", err)
	}
	return n, nil
}
