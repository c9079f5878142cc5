// Package store keeps the bot's state in one SQLite file: linked accounts
// (API keys sealed with AES-256-GCM), watched orders, the Telegram update
// offset and the outbox of messages that must still reach Telegram.
//
// Writes are serialized through a single connection so that a write never
// waits on SQLite's sleeping busy handler inside this process; reads go
// through a separate pool and run concurrently thanks to WAL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	// also registers the "sqlite3" driver
)

// DefaultPath is the database file a deployment uses unless told otherwise,
// relative to the working directory.
const DefaultPath = "data/bot.db"

// Errors that callers branch on with errors.Is.
var (
	// ErrNotFound means the requested account or watch does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrWrongKey means sealed data does not open with the configured
	// encryption key: the key changed since the data was written, or the
	// row was tampered with.
	ErrWrongKey = errors.New("store: wrong encryption key (the data was sealed with a different BOT_ENCRYPTION_KEY or key file)")
	// ErrSchemaTooNew means the database was written by a newer version of
	// the bot; this version refuses to touch it rather than corrupt it.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this program")
	// ErrWatchLimit means the user already has the maximum number of watches.
	ErrWatchLimit = errors.New("store: too many watches")
	// ErrLocked means another process held the database's write lock for
	// longer than the busy timeout (5 s): another smsbot, a backup, an
	// sqlite3 shell with an open transaction. Waiting and retrying may help.
	ErrLocked = errors.New("store: the database is locked by another process")
	// ErrInUse means the database's lock file (LockFilePath) is held in a way
	// that excludes this use: OpenExclusive while another process (a running
	// bot) has the database open, Open while a bot or RotateKey holds it
	// exclusively, or RotateKey while another Store has it open.
	ErrInUse = errors.New("store: the database is in use by another process")
	// ErrKeyMissing means LoadKey found no key file beside a database that
	// already holds data sealed with a key: a new key would not open it.
	ErrKeyMissing = errors.New("store: the key file of an existing database is missing")
)

// Store is the bot's database. It is safe for concurrent use.
type Store struct {
	write  *sql.DB // one connection: every write transaction queues here
	read   *sql.DB // several read-only connections; WAL lets them run beside a writer
	sealer *sealer
	lock   *instanceLock // held until Close: shared, or exclusive (OpenExclusive, RotateKey)
}

// Open opens (creating if needed) the database at path, migrates its schema
// and checks that key is the key its data was sealed with (ErrWrongKey if
// not). It holds a shared lock on LockFilePath(path) until Close, and fails
// with ErrInUse while a bot (OpenExclusive) or RotateKey holds that lock
// elsewhere.
//
// Errors are one line for an operator: they name the path, say what is
// wrong (folder not writable, disk full, locked by another process, ...)
// and what to do; errors.Is still finds ErrWrongKey, ErrLocked, ErrInUse,
// ErrSchemaTooNew and the underlying cause.
func Open(ctx context.Context, path string, key []byte) (*Store, error) {
	s, err := open(ctx, path, key, false)
	if err != nil {
		return nil, describeOpenError(path, err)
	}
	return s, nil
}

// OpenExclusive is Open for the bot: it holds LockFilePath(path)
// exclusively until Close, so it fails at once with ErrInUse while any
// other process has the database open (a second bot, `smsbot rotate-key`),
// and while it is open no other process can open the database.
func OpenExclusive(ctx context.Context, path string, key []byte) (*Store, error) {
	s, err := open(ctx, path, key, true)
	if err != nil {
		return nil, describeOpenError(path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string, key []byte, exclusive bool) (*Store, error) {
	sl, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	// Writer and readers are separate pools, so they must share a file:
	// an in-memory database would give each connection its own.
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, errors.New("need the path of a database file")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, &folderError{dir: dir, err: err}
		}
	}
	lock, err := lockInstance(path, exclusive)
	if err != nil {
		return nil, err
	}
	s, err := openLocked(ctx, path, sl)
	if err != nil {
		lock.release()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// openLocked is open once the instance lock is held.
func openLocked(ctx context.Context, path string, sl *sealer) (*Store, error) {
	// SQLite would create the file (and copy its mode to -wal and -shm) as
	// 0644 under the usual umask; the outbox holds SMS codes, so make it 0600.
	// A file made by someone else (a backup restored by litestream, a
	// copy) is tightened to 0600 too, before SQLite copies its mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, err
	} else if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		os.Chmod(path, 0o600) // best effort: a file we may not chmod still opens
	}

	write, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		return nil, err
	}
	// A single writer connection: _txlock=immediate takes the write lock at
	// BEGIN, so a second writer connection would only spin in the busy
	// handler. Queueing in database/sql is cheaper and fair.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	s := &Store{write: write, sealer: sl}
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	if err := s.checkCanary(ctx); err != nil {
		write.Close()
		return nil, err
	}
	if err := s.loadFingerprintKey(ctx); err != nil {
		write.Close()
		return nil, err
	}

	// The reader pool opens after the migration so that it never sees a
	// half-built schema; query_only guards against a write sneaking in here.
	read, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxLifetime(0)
	read.SetConnMaxIdleTime(0)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, err
	}
	s.read = read
	return s, nil
}

// dsn builds a go-sqlite3 data source name. The path is written as a SQLite
// URI so that '?', '#' and '%' in folder names cannot be read as parameters.
func dsn(path string, readOnly bool) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	params := "_foreign_keys=on&_journal_mode=WAL&_busy_timeout=5000&_synchronous=NORMAL&_txlock=immediate"
	if readOnly {
		params += "&_query_only=on"
	}
	return "file:" + esc + "?" + params
}

// Close closes the database and then releases the instance lock. The last
// connection to close checkpoints the WAL into the main file.
func (s *Store) Close() error {
	var errRead error
	if s.read != nil {
		errRead = s.read.Close()
	}
	errWrite := s.write.Close()
	errLock := s.lock.release()
	return errors.Join(errRead, errWrite, errLock)
}

// inTx runs fn inside one write transaction (BEGIN IMMEDIATE) and commits
// it when fn returns nil. When another process holds the write lock past
// the busy timeout the error is also ErrLocked, so that callers can tell
// "try again shortly" from a real failure.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return lockedOr(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return lockedOr(err)
	}
	if err := tx.Commit(); err != nil {
		return lockedOr(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// lockedOr adds ErrLocked to err when SQLite reported the database busy or
// locked.
func lockedOr(err error) error {
	if isLocked(err) && !errors.Is(err, ErrLocked) {
		return &describedError{msg: err.Error(), kind: ErrLocked, cause: err}
	}
	return err
}

// rowsAffected returns how many rows res touched.
func rowsAffected(res sql.Result) (int, error) {
	n, err := res.RowsAffected()
	return int(n), err
}

// millis turns a time into what the database stores: unix milliseconds,
// with the zero time as 0.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is the inverse of millis; times come back in UTC.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
