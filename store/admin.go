package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// What /stats reads: counts kept in the database, so that they survive a
// restart, unlike the metrics of the running process.

const (
	// recordPushQuery records a push row about to leave the outbox with how
	// long it waited since the SMS was seen (the row's created_at).
	recordPushQuery = `INSERT INTO push_events (sent_at, latency_ms)
	SELECT ?, MAX(0, ? - created_at) FROM outbox WHERE id = ? AND priority = ?`
	prunePushEventsQuery = `DELETE FROM push_events WHERE sent_at < ?`
	pruneAPICallsQuery   = `DELETE FROM api_calls WHERE minute < ?`
	countAccountsQuery   = `SELECT COUNT(*) FROM accounts`
	countPushesQuery     = `SELECT COUNT(*) FROM push_events WHERE sent_at >= ?`
	medianPushQuery      = `SELECT latency_ms FROM push_events WHERE sent_at >= ?
	ORDER BY latency_ms LIMIT 1 OFFSET (SELECT COUNT(*) FROM push_events WHERE sent_at >= ?) / 2`
	moneyOutcomesQuery = `SELECT state, COUNT(*) FROM money_actions
	WHERE updated_at >= ? AND state != 'offered' GROUP BY state`
	apiCallsSinceQuery = `SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(errors), 0) FROM api_calls WHERE minute >= ?`
	addAPICallsQuery   = `INSERT INTO api_calls (minute, requests, errors) VALUES (?, ?, ?)
	ON CONFLICT (minute) DO UPDATE SET requests = requests + excluded.requests, errors = errors + excluded.errors`
)

// AdminStats are the numbers /stats shows.
type AdminStats struct {
	Accounts       int // linked accounts
	ActiveWatches  int
	PausedWatches  int
	Pushes24h      int           // pushes Telegram accepted in the last 24 hours
	Pushes7d       int           // and in the last 7 days
	MedianPush24h  time.Duration // median time from SMS seen to push accepted, 24 hours; 0 when none
	Money24h       map[ActionState]int
	APIRequests1h  int // SMSOnline requests in the last hour
	APIErrors1h    int // of which ended in an error
	OutboxSize     int
	OutboxOldestAt time.Time // zero when the outbox is empty
}

// AdminStats reads the numbers of /stats as of now.
func (s *Store) AdminStats(ctx context.Context, now time.Time) (AdminStats, error) {
	var st AdminStats
	day, week, hour := millis(now.Add(-24*time.Hour)), millis(now.Add(-7*24*time.Hour)), millis(now.Add(-time.Hour))
	for _, q := range []struct {
		query string
		args  []any
		dest  []any
	}{
		{countAccountsQuery, nil, []any{&st.Accounts}},
		{countPushesQuery, []any{day}, []any{&st.Pushes24h}},
		{countPushesQuery, []any{week}, []any{&st.Pushes7d}},
		{apiCallsSinceQuery, []any{hour}, []any{&st.APIRequests1h, &st.APIErrors1h}},
	} {
		if err := s.read.QueryRowContext(ctx, q.query, q.args...).Scan(q.dest...); err != nil {
			return st, fmt.Errorf("read stats: %w", err)
		}
	}
	var median sql.NullInt64
	err := s.read.QueryRowContext(ctx, medianPushQuery, day, day).Scan(&median)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("read median push time: %w", err)
	}
	st.MedianPush24h = time.Duration(median.Int64) * time.Millisecond
	watches, err := s.WatchCounts(ctx)
	if err != nil {
		return st, err
	}
	st.ActiveWatches, st.PausedWatches = watches[WatchActive], watches[WatchPaused]
	if st.OutboxSize, st.OutboxOldestAt, err = s.OutboxStats(ctx); err != nil {
		return st, err
	}
	if st.Money24h, err = s.moneyOutcomes(ctx, day); err != nil {
		return st, err
	}
	return st, nil
}

func (s *Store) moneyOutcomes(ctx context.Context, since int64) (map[ActionState]int, error) {
	rows, err := s.read.QueryContext(ctx, moneyOutcomesQuery, since)
	if err != nil {
		return nil, fmt.Errorf("count money actions: %w", err)
	}
	defer rows.Close()
	out := map[ActionState]int{}
	for rows.Next() {
		var state ActionState
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count money actions: %w", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count money actions: %w", err)
	}
	return out, nil
}

// APICalls is a count of SMSOnline requests in one minute.
type APICalls struct {
	Minute   time.Time // the minute's start
	Requests int
	Errors   int
}

// AddAPICalls adds counted minutes to the stored ones, in one transaction.
func (s *Store) AddAPICalls(ctx context.Context, calls []APICalls) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, c := range calls {
			if _, err := tx.ExecContext(ctx, addAPICallsQuery, millis(c.Minute), c.Requests, c.Errors); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add smsonline request counts: %w", err)
	}
	return nil
}
