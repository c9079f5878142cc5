package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const (
	selectOffsetQuery = `SELECT update_id FROM telegram_offset WHERE id = 1`
	// MAX keeps the offset from going backwards when handlers finish out of
	// order: a lower id saved late must not make Telegram replay updates.
	saveOffsetQuery = `INSERT INTO telegram_offset (id, update_id) VALUES (1, ?)
	ON CONFLICT (id) DO UPDATE SET update_id = MAX(update_id, excluded.update_id)`
)

// UpdateOffset returns the highest Telegram update id saved, or 0 when none.
func (s *Store) UpdateOffset(ctx context.Context) (int64, error) {
	var id int64
	err := s.read.QueryRowContext(ctx, selectOffsetQuery).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load update offset: %w", err)
	}
	return id, nil
}

// SaveUpdateOffset records id as handled; the stored value only ever increases.
func (s *Store) SaveUpdateOffset(ctx context.Context, id int64) error {
	if _, err := s.write.ExecContext(ctx, saveOffsetQuery, id); err != nil {
		return fmt.Errorf("save update offset %d: %w", id, err)
	}
	return nil
}

// Updates taken from a webhook are recorded one by one: a webhook delivers
// concurrently across chats, so update ids arrive out of order and a
// high-water mark alone would refuse a lower id that was never seen. The set
// stays small because an id is forgotten after Telegram stops resending it.
const (
	claimUpdateQuery = `INSERT INTO telegram_updates (update_id, seen_at) VALUES (?, ?)
	ON CONFLICT (update_id) DO NOTHING`
	releaseUpdateQuery = `DELETE FROM telegram_updates WHERE update_id = ?`
	pruneUpdatesQuery  = `DELETE FROM telegram_updates WHERE seen_at < ?`
)

// ClaimUpdate records the webhook update id as taken at now and reports
// whether it was new: false means it was taken before (Telegram sent it
// again) and must not be handled.
func (s *Store) ClaimUpdate(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, claimUpdateQuery, id, millis(now))
	if err != nil {
		return false, fmt.Errorf("claim update %d: %w", id, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return false, fmt.Errorf("claim update %d: %w", id, err)
	}
	return n == 1, nil
}

// ReleaseUpdate forgets a claim on an update that was not taken after all
// (the bot is stopping), so Telegram's next attempt is handled.
func (s *Store) ReleaseUpdate(ctx context.Context, id int64) error {
	if _, err := s.write.ExecContext(ctx, releaseUpdateQuery, id); err != nil {
		return fmt.Errorf("release update %d: %w", id, err)
	}
	return nil
}

// PruneUpdates forgets update ids claimed before before and returns how many.
func (s *Store) PruneUpdates(ctx context.Context, before time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, pruneUpdatesQuery, millis(before))
	if err != nil {
		return 0, fmt.Errorf("prune updates: %w", err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return 0, fmt.Errorf("prune updates: %w", err)
	}
	return n, nil
}
