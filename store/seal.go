package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// sealer seals API keys with AES-256-GCM. The associated data binds a
// sealed value to its owner, so a blob copied to another user's row does
// not open.
type sealer struct {
	aead cipher.AEAD
	// smsKey keys the fingerprints in delivered_sms. A plain sha256 of a
	// six-digit code with a known user and order is reversed by trying a
	// million codes; an HMAC under a key derived from the encryption key is not.
	smsKey []byte
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	smsKey, err := hkdf.Key(sha256.New, key, nil, "smsbot delivered-sms v1", sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("derive sms key: %w", err)
	}
	return &sealer{aead: aead, smsKey: smsKey}, nil
}

// smsFingerprint identifies "this SMS text was shown for this user's order"
// without keeping the text: HMAC-SHA256 over user id, order id and text,
// NUL-separated (neither id can contain NUL, so the split is unambiguous).
func (s *sealer) smsFingerprint(telegramUserID int64, orderID, sms string) []byte {
	m := hmac.New(sha256.New, s.smsKey)
	m.Write(strconv.AppendInt(nil, telegramUserID, 10))
	m.Write([]byte{0})
	io.WriteString(m, orderID)
	m.Write([]byte{0})
	io.WriteString(m, sms)
	return m.Sum(nil)
}

// userAD is the associated data for a value owned by a Telegram user.
func userAD(telegramUserID int64) []byte {
	return strconv.AppendInt(nil, telegramUserID, 10)
}

// seal returns nonce||ciphertext.
func (s *sealer) seal(plain, ad []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	out := make([]byte, ns, ns+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	return s.aead.Seal(out, out, plain, ad), nil
}

// open reverses seal; any failure to authenticate is ErrWrongKey.
func (s *sealer) open(sealed, ad []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns+s.aead.Overhead() {
		return nil, ErrWrongKey
	}
	plain, err := s.aead.Open(nil, sealed[:ns], sealed[ns:], ad)
	if err != nil {
		return nil, ErrWrongKey
	}
	return plain, nil
}

// sealAPIKey seals an API key for its owner.
func (s *sealer) sealAPIKey(telegramUserID int64, apiKey string) ([]byte, error) {
	return s.seal([]byte(apiKey), userAD(telegramUserID))
}

// openAPIKey opens an API key sealed for telegramUserID.
func (s *sealer) openAPIKey(telegramUserID int64, sealed []byte) (string, error) {
	plain, err := s.open(sealed, userAD(telegramUserID))
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// The canary is a known value sealed on first open. Opening it on every
// later open turns "the key changed" into one clear error at start-up
// instead of every account failing later.
const (
	canaryName      = "key_canary"
	canaryAD        = "smsbot/meta/key_canary"
	canaryPlaintext = "smsbot key check v1"

	selectMetaQuery = `SELECT value FROM meta WHERE name = ?`
	insertMetaQuery = `INSERT INTO meta (name, value) VALUES (?, ?)`
)

func (s *Store) checkCanary(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var sealed []byte
		err := tx.QueryRowContext(ctx, selectMetaQuery, canaryName).Scan(&sealed)
		if errors.Is(err, sql.ErrNoRows) {
			sealed, err := s.sealer.seal([]byte(canaryPlaintext), []byte(canaryAD))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, insertMetaQuery, canaryName, sealed); err != nil {
				return fmt.Errorf("store key canary: %w", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("read key canary: %w", err)
		}
		plain, err := s.sealer.open(sealed, []byte(canaryAD))
		if err != nil || subtle.ConstantTimeCompare(plain, []byte(canaryPlaintext)) != 1 {
			return ErrWrongKey
		}
		return nil
	})
}
