package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// An announcement is an admin's text for every linked user. It is stored
// when the admin asks, and sent when they confirm: the button carries only
// its nonce.

const (
	insertAnnouncementQuery = `INSERT INTO announcements (nonce, admin_id, text, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?)`
	selectAnnouncementQuery = `SELECT admin_id, text, state, recipients, created_at FROM announcements WHERE nonce = ?`
	settleAnnouncementQuery = `UPDATE announcements SET state = ?, recipients = ?, updated_at = ?
	WHERE nonce = ? AND state = 'pending'`
	countRecipientsQuery = `SELECT COUNT(*) FROM accounts`
	// enqueueAnnouncementQuery puts one message for each linked user in the
	// outbox; a user's private chat has the user's id.
	enqueueAnnouncementQuery = `INSERT INTO outbox
	(chat_id, telegram_user_id, order_id, priority, text, markup, attempts, next_attempt_at, created_at)
	SELECT telegram_user_id, telegram_user_id, '', ?, ?, '', 0, 0, ? FROM accounts`
	pruneAnnouncementsQuery = `DELETE FROM announcements WHERE created_at < ?`
)

// AnnouncementState is how far an announcement got.
type AnnouncementState string

// The states of an announcement.
const (
	AnnouncementPending   AnnouncementState = "pending"
	AnnouncementSent      AnnouncementState = "sent"
	AnnouncementCancelled AnnouncementState = "cancelled"
)

// ErrAnnouncementSettled means an announcement was already sent or
// cancelled: a second tap changes nothing.
var ErrAnnouncementSettled = errors.New("store: announcement already sent or cancelled")

// Announcement is an admin's stored announcement.
type Announcement struct {
	Nonce      string
	AdminID    int64
	Text       string // as the admin typed it
	State      AnnouncementState
	Recipients int // the users it went to, once sent
	CreatedAt  time.Time
}

// AddAnnouncement stores an announcement waiting for its admin's
// confirmation and returns how many users it would go to now.
func (s *Store) AddAnnouncement(ctx context.Context, nonce string, adminID int64, text string, now time.Time) (recipients int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertAnnouncementQuery, nonce, adminID, text, millis(now), millis(now)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, countRecipientsQuery).Scan(&recipients)
	})
	if err != nil {
		return 0, fmt.Errorf("store announcement of %d: %w", adminID, err)
	}
	return recipients, nil
}

// Announcement loads the announcement nonce names; ErrNotFound if none.
func (s *Store) Announcement(ctx context.Context, nonce string) (Announcement, error) {
	a := Announcement{Nonce: nonce}
	var created int64
	err := s.read.QueryRowContext(ctx, selectAnnouncementQuery, nonce).Scan(&a.AdminID, &a.Text, &a.State, &a.Recipients, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("load announcement: %w", err)
	}
	a.CreatedAt = fromMillis(created)
	return a, nil
}

// SendAnnouncement marks a pending announcement sent and, in the same
// transaction, enqueues html (its rendering) for every linked user, once
// each. It returns how many it enqueued; ErrAnnouncementSettled when it was
// sent or cancelled already, so a second tap sends nothing.
func (s *Store) SendAnnouncement(ctx context.Context, nonce, html string, now time.Time) (recipients int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, enqueueAnnouncementQuery, PriorityBulk, html, millis(now))
		if err != nil {
			return err
		}
		if recipients, err = rowsAffected(res); err != nil {
			return err
		}
		return settleAnnouncement(ctx, tx, nonce, AnnouncementSent, recipients, now)
	})
	if err != nil {
		return 0, fmt.Errorf("send announcement: %w", err)
	}
	return recipients, nil
}

// CancelAnnouncement marks a pending announcement cancelled;
// ErrAnnouncementSettled when it was sent or cancelled already.
func (s *Store) CancelAnnouncement(ctx context.Context, nonce string, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return settleAnnouncement(ctx, tx, nonce, AnnouncementCancelled, 0, now)
	})
	if err != nil {
		return fmt.Errorf("cancel announcement: %w", err)
	}
	return nil
}

func settleAnnouncement(ctx context.Context, tx *sql.Tx, nonce string, to AnnouncementState, recipients int, now time.Time) error {
	res, err := tx.ExecContext(ctx, settleAnnouncementQuery, to, recipients, millis(now), nonce)
	if err != nil {
		return err
	}
	n, err := rowsAffected(res)
	if err == nil && n == 0 {
		err = ErrAnnouncementSettled
	}
	return err
}
