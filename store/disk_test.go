package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// TestOpenErrorsSayWhatToDo: a database that cannot be used at start is
// one line that names the file and says what to do, not a chain of
// wrapped errors.
func TestOpenErrorsSayWhatToDo(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "plainfile")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(tmp, "folder.db")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(tmp, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		path  string
		wants []string
		errno syscall.Errno
	}{
		{"folder is a file", filepath.Join(file, "data", "bot.db"),
			[]string{"part of the path is a file, not a folder", "set DATABASE_PATH"}, syscall.ENOTDIR},
		{"database is a folder", folder, []string{"it is a folder, not a file", "set DATABASE_PATH"}, 0},
		{"not a database", garbage, []string{"not an SQLite database", "restore it from a backup"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.path, testKey(1))
			if err == nil {
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			for _, want := range append(tt.wants, tt.path) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") || strings.Count(msg, ": ") > 1 {
				t.Errorf("error is not one plain line: %q", msg)
			}
			if tt.errno != 0 && !errors.Is(err, tt.errno) {
				t.Errorf("errors.Is(err, %v) = false; the cause is lost", tt.errno)
			}
		})
	}
}

// TestDiskFullWording covers the causes a full disk shows up as; a real
// one is simulated for the binary in the root package (RLIMIT_FSIZE) and
// for a running store below (max_page_count).
func TestDiskFullWording(t *testing.T) {
	causes := []error{
		sqlite3.Error{Code: sqlite3.ErrFull},
		sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.ENOSPC},
		&fs.PathError{Op: "write", Path: "/data/bot.db-wal", Err: syscall.ENOSPC},
		&folderError{dir: "/data", err: &fs.PathError{Op: "mkdir", Path: "/data", Err: syscall.EDQUOT}},
		sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.EFBIG},
	}
	for _, cause := range causes {
		msg := describeOpenError("/data/bot.db", cause).Error()
		if !strings.Contains(msg, "/data/bot.db") || !strings.Contains(msg, "free some space") {
			t.Errorf("%v: %q does not name the file and say to free space", cause, msg)
		}
	}
	msg := describeKeyFileError("/data/bot.db.key", &fs.PathError{Op: "write", Path: "/data/.keytmp-1", Err: syscall.ENOSPC}).Error()
	if !strings.Contains(msg, "/data/bot.db.key") || !strings.Contains(msg, "free some space") {
		t.Errorf("key file on a full disk: %q", msg)
	}
}

// TestFullDiskWhileRunning: when the disk fills up, writes fail with an
// error and nothing else; once there is space again the same store works.
func TestFullDiskWhileRunning(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	// The store writes through one connection, so a per-connection page
	// limit on it is a disk that cannot grow.
	var pages int
	if err := s.write.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(ctx, `PRAGMA max_page_count = `+strconv.Itoa(pages)); err != nil {
		t.Fatal(err)
	}
	var full error
	for u := int64(2); u < 200 && full == nil; u++ {
		_, full = s.SaveAccount(ctx, Account{TelegramUserID: u, SMSUserID: "sms", APIKey: strings.Repeat("k", 2000)}, t0)
	}
	var se sqlite3.Error
	if !errors.As(full, &se) || se.Code != sqlite3.ErrFull {
		t.Fatalf("writes on a full disk: %v, want SQLITE_FULL", full)
	}
	if _, err := s.Account(ctx, 1); err != nil {
		t.Errorf("reads on a full disk: %v", err)
	}

	if _, err := s.write.ExecContext(ctx, `PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAccount(ctx, Account{TelegramUserID: 500, SMSUserID: "sms", APIKey: "k"}, t0); err != nil {
		t.Errorf("write once there is space again: %v", err)
	}
}

// TestWriteWhileLockedIsErrLocked: a write that finds the database locked by
// another process past the busy timeout fails with ErrLocked (callers tell
// "try again" from a real failure), reads go on, and once the lock is gone
// the same store writes again.
func TestWriteWhileLockedIsErrLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the busy timeout (5 s)")
	}
	t.Parallel()
	ctx := context.Background()
	s, path := openTest(t)
	addAccount(t, s, 1)
	conn, err := rawDB(t, path).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}

	_, err = s.SaveAccount(ctx, Account{TelegramUserID: 2, SMSUserID: "sms", APIKey: "k"}, t0)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("write while locked = %v, want ErrLocked", err)
	}
	if _, err := s.Account(ctx, 1); err != nil {
		t.Errorf("read while locked: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAccount(ctx, Account{TelegramUserID: 2, SMSUserID: "sms", APIKey: "k"}, t0); err != nil {
		t.Errorf("write after the lock was released: %v", err)
	}
}
