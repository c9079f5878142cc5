package store

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The key file: where the encryption key lives beside the database, how it
// is created, read, checked, rotated into place and retired. The key itself
// never appears in an error.

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

// NewKeyFilePath is where `smsbot rotate-key` writes a generated key before
// it re-seals the database. Finding it later means a rotation was cut
// short: it holds the database's key if the transaction had committed.
func NewKeyFilePath(dbPath string) string {
	return KeyFilePath(dbPath) + ".new"
}

// OldKeyFilePath is where `smsbot rotate-key` keeps the replaced key file:
// backups of the database made before the rotation need it.
func OldKeyFilePath(dbPath string) string {
	return KeyFilePath(dbPath) + ".old"
}

// ReadKeyFile reads the key at path, which must be a key file as LoadKey
// creates it (mode 0600, base64 of KeySize bytes). Unlike LoadKey it never
// creates one; a missing file is an error satisfying errors.Is(err, fs.ErrNotExist).
func ReadKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no key file %s: %w", path, fs.ErrNotExist)
	}
	return key, err
}

// GenerateKey returns a new random encryption key.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return key, nil
}

// WriteKeyFile writes key to path (mode 0600), replacing any file there:
// through a temporary file, synced and renamed, so path holds either its
// old content or the whole new key.
func WriteKeyFile(path string, key []byte) error {
	if len(key) != KeySize {
		return fmt.Errorf("write key file %s: key must be %d bytes", path, KeySize)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".keytmp-*") // CreateTemp uses mode 0600
	if err != nil {
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeAndSync(tmp, []byte(base64.StdEncoding.EncodeToString(key)+"\n")); err != nil {
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// InstallNewKeyFile finishes a rotation that generated its key: the key
// file of dbPath moves to OldKeyFilePath (replacing an older one) and
// NewKeyFilePath takes its place. Each step is a rename, so at every moment
// the new key is in NewKeyFilePath or KeyFilePath.
func InstallNewKeyFile(dbPath string) error {
	cur, next := KeyFilePath(dbPath), NewKeyFilePath(dbPath)
	if _, err := readKeyFile(next); err != nil {
		return fmt.Errorf("install new key file: %w", err)
	}
	if err := RetireKeyFile(dbPath); err != nil {
		return err
	}
	if err := os.Rename(next, cur); err != nil {
		return fmt.Errorf("install new key file: %w", err)
	}
	syncDir(filepath.Dir(cur))
	return nil
}

// RetireKeyFile moves the key file of dbPath, if there is one, to
// OldKeyFilePath: after a rotation to a key given in the environment the
// file no longer opens the database, and leaving it where the bot looks
// for a key would only mislead.
func RetireKeyFile(dbPath string) error {
	cur, old := KeyFilePath(dbPath), OldKeyFilePath(dbPath)
	if err := os.Rename(cur, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keep old key file: %w", err)
	}
	syncDir(filepath.Dir(cur))
	return nil
}

// ParseKey decodes a key given as base64 (standard or URL-safe alphabet,
// padded or not). Its error says what is wrong without repeating the input,
// and reads well after the variable's name: "must be 32 bytes, ...".
func ParseKey(s string) ([]byte, error) {
	key, err := decodeKey(s)
	if err != nil {
		return nil, fmt.Errorf("must be %d bytes, base64-encoded (%s)", KeySize, err)
	}
	return key, nil
}
