package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const (
	watchCountsQuery = `SELECT state, COUNT(*) FROM watches GROUP BY state`
	outboxStatsQuery = `SELECT COUNT(*), MIN(created_at) FROM outbox`
	healthWriteQuery = `INSERT INTO meta (name, value) VALUES ('health', ?)
	ON CONFLICT (name) DO UPDATE SET value = excluded.value`
)

// WatchCounts returns how many watches are in each state, for metrics.
func (s *Store) WatchCounts(ctx context.Context) (map[WatchState]int, error) {
	rows, err := s.read.QueryContext(ctx, watchCountsQuery)
	if err != nil {
		return nil, fmt.Errorf("count watches: %w", err)
	}
	defer rows.Close()
	out := map[WatchState]int{WatchActive: 0, WatchPaused: 0}
	for rows.Next() {
		var state WatchState
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count watches: %w", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count watches: %w", err)
	}
	return out, nil
}

// OutboxStats returns how many messages wait in the outbox and when the
// oldest was written (zero when none), for metrics.
func (s *Store) OutboxStats(ctx context.Context) (n int, oldest time.Time, err error) {
	var first sql.NullInt64
	if err := s.read.QueryRowContext(ctx, outboxStatsQuery).Scan(&n, &first); err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox stats: %w", err)
	}
	if first.Valid {
		oldest = fromMillis(first.Int64)
	}
	return n, oldest, nil
}

// Ping proves the database takes a write, for the health check.
func (s *Store) Ping(ctx context.Context, now time.Time) error {
	if _, err := s.write.ExecContext(ctx, healthWriteQuery, millis(now)); err != nil {
		return fmt.Errorf("write to the database: %w", err)
	}
	return nil
}
