package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The set of SMS each user has seen (as keyed fingerprints, never the
// text), so that one SMS is pushed once whoever sees it first.

const (
	markDeliveredQuery = `INSERT INTO delivered_sms (hash, created_at) VALUES (?, ?)
	ON CONFLICT (hash) DO NOTHING`
	pruneDeliveredQuery = `DELETE FROM delivered_sms WHERE created_at < ?`
)

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
func (s *Store) MarkDelivered(ctx context.Context, telegramUserID int64, orderID, sms string, now time.Time) (isNew bool, err error) {
	fp := s.sealer.smsFingerprint(telegramUserID, orderID, sms)
	res, err := s.write.ExecContext(ctx, markDeliveredQuery, fp, millis(now))
	if err != nil {
		return false, fmt.Errorf("mark sms delivered for %d/%s: %w", telegramUserID, orderID, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return false, fmt.Errorf("mark sms delivered for %d/%s: %w", telegramUserID, orderID, err)
	}
	return n > 0, nil
}

// PushOnce records that the user has had sms for m's order and, only if
// that is new, enqueues m, its push, in the same transaction: the SMS is
// pushed once whoever sees it first, this call or the watcher. isNew says
// whether m was enqueued.
func (s *Store) PushOnce(ctx context.Context, m Message, sms string, now time.Time) (isNew bool, err error) {
	fp := s.sealer.smsFingerprint(m.TelegramUserID, m.OrderID, sms)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, markDeliveredQuery, fp, millis(now))
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if isNew = n > 0; err != nil || !isNew {
			return err
		}
		_, err = enqueue(ctx, tx, &m, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("push sms once for %d/%s: %w", m.TelegramUserID, m.OrderID, err)
	}
	return isNew, nil
}

// PruneDelivered forgets delivered-SMS fingerprints, "another SMS" asks,
// group cards, confirmations nobody pressed, /stats' counts and
// announcements recorded before before, and
// returns how many rows went. Orders live about 20 minutes, so keeping a
// few days is ample; without pruning the tables grow forever. (A press on a
// group card older than that answers with a new message instead of editing
// it; an older confirmation has expired.)
func (s *Store) PruneDelivered(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, q := range []string{pruneDeliveredQuery, pruneSMSRequestsQuery, pruneCardsQuery, pruneOffersQuery,
		prunePushEventsQuery, pruneAPICallsQuery, pruneAnnouncementsQuery} {
		res, err := s.write.ExecContext(ctx, q, millis(before))
		if err != nil {
			return total, fmt.Errorf("prune delivered sms: %w", err)
		}
		n, err := rowsAffected(res)
		if err != nil {
			return total, fmt.Errorf("prune delivered sms: %w", err)
		}
		total += n
	}
	return total, nil
}
