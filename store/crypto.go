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
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// KeySize is the length in bytes of the encryption key (AES-256).
const KeySize = 32

// KeyFilePath is where LoadKey keeps the generated key for the database at
// dbPath: beside it, so that a backup of the folder restores both.
func KeyFilePath(dbPath string) string {
	return dbPath + ".key"
}

// LoadKey returns the key that seals API keys. A non-empty envValue (the
// BOT_ENCRYPTION_KEY variable) must be base64 of exactly KeySize bytes.
// Otherwise the key file KeyFilePath(dbPath) is read, or created with a
// random key (mode 0600) when missing; created reports the latter.
//
// A key file is created only for a new database: when the database file
// already holds data (sealed under a key that is now missing), LoadKey
// fails with ErrKeyMissing and writes nothing, since a new key would not
// open that data and the file would only mislead whoever restores a backup.
// Errors never contain the key or envValue.
func LoadKey(dbPath, envValue string) (key []byte, created bool, err error) {
	if envValue != "" {
		key, err := decodeKey(envValue)
		if err != nil {
			return nil, false, fmt.Errorf("BOT_ENCRYPTION_KEY must be %d bytes, base64-encoded (%s)", KeySize, err)
		}
		return key, false, nil
	}

	path := KeyFilePath(dbPath)
	key, err = readKeyFile(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, describeKeyFileError(path, err)
	}
	if hasData(dbPath) {
		return nil, false, &describedError{kind: ErrKeyMissing, cause: err, msg: fmt.Sprintf("database %s exists but its key file %s is missing "+
			"and BOT_ENCRYPTION_KEY is not set, so its stored API keys cannot be opened: restore %s from your backup, "+
			"or set BOT_ENCRYPTION_KEY to the key the database was written with; nothing was changed", dbPath, path, path)}
	}
	key, created, err = createKeyFile(path)
	if err != nil {
		return nil, false, describeKeyFileError(path, err)
	}
	return key, created, nil
}

// hasData reports whether a database file with content exists at dbPath.
// Every database the bot has opened holds its key canary, sealed with the
// key; an empty file is what a start cut short before the schema leaves.
// Only the file's size is looked at, so deciding changes nothing on disk.
func hasData(dbPath string) bool {
	fi, err := os.Stat(dbPath)
	return err == nil && fi.Mode().IsRegular() && fi.Size() > 0
}

// describeKeyFileError turns a failure to read or create the key file at
// path into one line that says what to do. Errors that already say it
// (wrong mode, bad content) pass through.
func describeKeyFileError(path string, err error) error {
	switch {
	case errno(err) == 0:
		return err
	case isDiskFull(err):
		return &describedError{cause: err, msg: fmt.Sprintf("can't write key file %s: %s; free some space on that disk, "+
			"or set BOT_ENCRYPTION_KEY", path, reason(err))}
	}
	return &describedError{cause: err, msg: fmt.Sprintf("can't use key file %s: %s; set DATABASE_PATH to a file in a writable folder "+
		"(the key file is kept beside it), or set BOT_ENCRYPTION_KEY", path, reason(err))}
}

// decodeKey accepts the standard and the URL-safe base64 alphabets, padded
// or not, because people paste keys from either `openssl rand -base64` or a
// URL-safe generator. The returned error says what is wrong without
// repeating any of the input.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	key, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("got %d bytes", len(key))
	}
	return key, nil
}

// readKeyFile reads an existing key file, refusing one that other users
// could read: a leaked key opens every stored API key.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // fs.ErrNotExist tells the caller to create it
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is accessible by group or others (mode %04o); run chmod 600 on it", path, perm)
	}
	// A key file is ~45 bytes; the limit keeps a wrong path from reading a huge file.
	buf, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	key, err := decodeKey(string(buf))
	if err != nil {
		return nil, fmt.Errorf("key file %s must hold %d bytes, base64-encoded (%s)", path, KeySize, err)
	}
	return key, nil
}

// createKeyFile writes a fresh random key. The key is written to a temporary
// file and then hard-linked into place, so the key file appears complete or
// not at all, and linking fails if another process won the race (then its
// key is used). Where hard links are not supported it falls back to an
// O_EXCL create.
func createKeyFile(path string) ([]byte, bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create key folder %s: %w", dir, err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, fmt.Errorf("generate key: %w", err)
	}
	content := []byte(base64.StdEncoding.EncodeToString(key) + "\n")

	tmp, err := os.CreateTemp(dir, ".keytmp-*") // CreateTemp uses mode 0600
	if err != nil {
		return nil, false, fmt.Errorf("create key file %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := writeAndSync(tmp, content); err != nil {
		return nil, false, fmt.Errorf("write key file %s: %w", path, err)
	}

	err = os.Link(tmpName, path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		key, err := readKeyFile(path)
		return key, false, err
	default:
		if err := createExclusive(path, content); err != nil {
			if errors.Is(err, fs.ErrExist) {
				key, err := readKeyFile(path)
				return key, false, err
			}
			return nil, false, fmt.Errorf("create key file %s: %w", path, err)
		}
	}
	syncDir(dir)
	return key, true, nil
}

func createExclusive(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := writeAndSync(f, content); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

func writeAndSync(f *os.File, content []byte) error {
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes the new directory entry durable; best effort, because some
// platforms cannot fsync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

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
