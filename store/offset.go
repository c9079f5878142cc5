package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
