package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Messages with buttons that the bot sent to a group, and whom each was made
// for. Button data is client input: a forged press could name its presser as
// the owner of someone else's card; the message itself is bound here.

const (
	saveCardQuery = `INSERT INTO cards (chat_id, message_id, telegram_user_id, created_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (chat_id, message_id) DO NOTHING`
	cardOwnerQuery  = `SELECT telegram_user_id FROM cards WHERE chat_id = ? AND message_id = ?`
	pruneCardsQuery = `DELETE FROM cards WHERE created_at < ?`
)

// SaveCard records that message messageID in chatID was made for
// telegramUserID. A message keeps its first owner.
func (s *Store) SaveCard(ctx context.Context, chatID int64, messageID int, telegramUserID int64, now time.Time) error {
	if _, err := s.write.ExecContext(ctx, saveCardQuery, chatID, messageID, telegramUserID, millis(now)); err != nil {
		return fmt.Errorf("save card %d/%d: %w", chatID, messageID, err)
	}
	return nil
}

// CardOwner returns whom a message was made for, or ErrNotFound when the
// bot did not record it.
func (s *Store) CardOwner(ctx context.Context, chatID int64, messageID int) (int64, error) {
	var owner int64
	err := s.read.QueryRowContext(ctx, cardOwnerQuery, chatID, messageID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("card %d/%d: %w", chatID, messageID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("load card %d/%d: %w", chatID, messageID, err)
	}
	return owner, nil
}
