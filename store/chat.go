package store

import (
	"context"
	"database/sql"
	"fmt"
)

const (
	dropChatWatchesQuery     = `DELETE FROM watches WHERE chat_id = ?`
	dropChatMessagesQuery    = `DELETE FROM outbox WHERE chat_id = ?`
	migrateChatWatchesQuery  = `UPDATE watches SET chat_id = ? WHERE chat_id = ?`
	migrateChatMessagesQuery = `UPDATE outbox SET chat_id = ? WHERE chat_id = ?`
)

// DropChat forgets a chat that can no longer be written to (the user
// blocked the bot): its watches end and its pending messages are dropped,
// in one transaction.
func (s *Store) DropChat(ctx context.Context, chatID int64) (watchesEnded, messagesDropped int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, dropChatWatchesQuery, chatID)
		if err != nil {
			return err
		}
		if watchesEnded, err = rowsAffected(res); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, dropChatMessagesQuery, chatID)
		if err != nil {
			return err
		}
		messagesDropped, err = rowsAffected(res)
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("drop chat %d: %w", chatID, err)
	}
	return watchesEnded, messagesDropped, nil
}

// MigrateChat moves watches and pending messages from one chat id to
// another, as Telegram does when a group becomes a supergroup.
func (s *Store) MigrateChat(ctx context.Context, fromChatID, toChatID int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, migrateChatWatchesQuery, toChatID, fromChatID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, migrateChatMessagesQuery, toChatID, fromChatID)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate chat %d to %d: %w", fromChatID, toChatID, err)
	}
	return nil
}
