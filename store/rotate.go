package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
)

// This file holds key rotation: RotateKey re-seals the database under a new
// encryption key, and the key-file helpers let `smsbot rotate-key` replace
// the key file so that a crash at any moment leaves a recoverable state.

const (
	// fingerprintKeyName holds the key of the delivered-SMS fingerprints,
	// sealed under the encryption key. It is written by the first rotation:
	// the fingerprints in delivered_sms cannot be recomputed (the SMS texts are
	// not kept), so their key must survive a change of the encryption key, or
	// every SMS still being watched would be pushed a second time.
	// Databases never rotated have no such row and derive the key as before.
	fingerprintKeyName = "sms_fingerprint_key"
	fingerprintKeyAD   = "smsbot/meta/sms_fingerprint_key"

	selectSealedKeysQuery = `SELECT telegram_user_id, sealed_api_key FROM accounts ORDER BY telegram_user_id`
	updateSealedKeyQuery  = `UPDATE accounts SET sealed_api_key = ? WHERE telegram_user_id = ?`
	upsertMetaQuery       = `INSERT INTO meta (name, value) VALUES (?, ?)
	ON CONFLICT (name) DO UPDATE SET value = excluded.value`
)

// RotateKey re-seals every stored API key under newKey, together with the
// key canary and the key of the delivered-SMS fingerprints, in one
// transaction: on any error nothing has changed and every row still opens
// with the current key. From then on s uses newKey.
//
// A stored API key that does not open with the current key (a damaged or
// foreign row, see ErrWrongKey) cannot be re-sealed; it is left as it is
// and counted in skipped. Its user has to /login again, as before.
//
// RotateKey first takes the database's lock file exclusively, and keeps it
// until Close so that no bot starts on the file before the caller has put
// the new key in place; it fails with ErrInUse while another process (or
// another Store in this one) has the database open. s must not be in use by
// other goroutines meanwhile.
func (s *Store) RotateKey(ctx context.Context, newKey []byte) (resealed, skipped int, err error) {
	next, err := newSealer(newKey)
	if err != nil {
		return 0, 0, fmt.Errorf("rotate key: %w", err)
	}
	if err := s.lock.exclusive(); err != nil {
		return 0, 0, fmt.Errorf("rotate key: %w", err)
	}
	// The fingerprints stay valid only with the same fingerprint key.
	next.smsKey = s.sealer.smsKey

	// One connection for the pragma and the transaction: secure_delete makes
	// SQLite overwrite the old sealed values instead of leaving them in free
	// space, where the old key would still open them.
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("rotate key: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return 0, 0, fmt.Errorf("rotate key: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA secure_delete = OFF`)

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("rotate key: begin: %w", err)
	}
	defer tx.Rollback()
	if resealed, skipped, err = s.reseal(ctx, tx, next); err != nil {
		return 0, 0, fmt.Errorf("rotate key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("rotate key: commit: %w", err)
	}
	s.sealer = next

	// Move the committed pages into the main file and empty the WAL, which
	// still holds the old sealed values. Best effort: the rotation is done.
	conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return resealed, skipped, nil
}

// reseal does RotateKey's work inside tx.
func (s *Store) reseal(ctx context.Context, tx *sql.Tx, next *sealer) (resealed, skipped int, err error) {
	// Check the canary again inside the transaction: only a database that
	// opens with the current key may be re-sealed.
	var canary []byte
	if err := tx.QueryRowContext(ctx, selectMetaQuery, canaryName).Scan(&canary); err != nil {
		return 0, 0, fmt.Errorf("read key canary: %w", err)
	}
	plain, err := s.sealer.open(canary, []byte(canaryAD))
	if err != nil || subtle.ConstantTimeCompare(plain, []byte(canaryPlaintext)) != 1 {
		return 0, 0, ErrWrongKey
	}
	if _, err := next.open(canary, []byte(canaryAD)); err == nil {
		return 0, 0, errors.New("the new key is the current key")
	}

	type row struct {
		user   int64
		sealed []byte
	}
	var rows []row
	rs, err := tx.QueryContext(ctx, selectSealedKeysQuery)
	if err != nil {
		return 0, 0, fmt.Errorf("read accounts: %w", err)
	}
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.user, &r.sealed); err != nil {
			rs.Close()
			return 0, 0, fmt.Errorf("read accounts: %w", err)
		}
		rows = append(rows, r)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return 0, 0, fmt.Errorf("read accounts: %w", err)
	}

	update, err := tx.PrepareContext(ctx, updateSealedKeyQuery)
	if err != nil {
		return 0, 0, err
	}
	defer update.Close()
	for _, r := range rows {
		apiKey, err := s.sealer.openAPIKey(r.user, r.sealed)
		if err != nil {
			skipped++
			continue
		}
		sealed, err := next.sealAPIKey(r.user, apiKey)
		if err != nil {
			return 0, 0, fmt.Errorf("seal api key of account %d: %w", r.user, err)
		}
		if _, err := update.ExecContext(ctx, sealed, r.user); err != nil {
			return 0, 0, fmt.Errorf("re-seal api key of account %d: %w", r.user, err)
		}
		resealed++
	}

	canary, err = next.seal([]byte(canaryPlaintext), []byte(canaryAD))
	if err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, upsertMetaQuery, canaryName, canary); err != nil {
		return 0, 0, fmt.Errorf("update key canary: %w", err)
	}
	fpKey, err := next.seal(next.smsKey, []byte(fingerprintKeyAD))
	if err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, upsertMetaQuery, fingerprintKeyName, fpKey); err != nil {
		return 0, 0, fmt.Errorf("store fingerprint key: %w", err)
	}
	return resealed, skipped, nil
}

// loadFingerprintKey makes s use the fingerprint key a rotation stored, if
// any; otherwise the one derived from the encryption key stays.
func (s *Store) loadFingerprintKey(ctx context.Context) error {
	var sealed []byte
	err := s.write.QueryRowContext(ctx, selectMetaQuery, fingerprintKeyName).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read fingerprint key: %w", err)
	}
	key, err := s.sealer.open(sealed, []byte(fingerprintKeyAD))
	if err != nil {
		return err
	}
	s.sealer.smsKey = key
	return nil
}
