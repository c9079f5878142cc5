package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// t0 is the tests' "now": an order from the SMSOnline documentation was
// placed at this moment.
var t0 = time.Date(2025, 5, 17, 5, 47, 13, 0, time.UTC)

func testKey(b byte) []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = b
	}
	return k
}

// openAt opens the store at path and closes it when the test ends.
func openAt(t testing.TB, path string, key []byte) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, key)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTest opens a fresh store in a temp folder.
func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bot.db")
	return openAt(t, path, testKey(1)), path
}

// rawDB opens the file without the store, for inspecting or tampering.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func schemaVersion(t testing.TB, path string) int {
	t.Helper()
	var v int
	if err := rawDB(t, path).QueryRow(selectSchemaVersionQuery).Scan(&v); err != nil {
		t.Fatalf("read schema version: %v", err)
	}
	return v
}

// addAccount links an account for user with a key derived from the id.
func addAccount(t testing.TB, s *Store, user int64) {
	t.Helper()
	if _, err := s.SaveAccount(context.Background(), Account{TelegramUserID: user, SMSUserID: "sms-user", APIKey: "key-of-user"}, t0); err != nil {
		t.Fatalf("SaveAccount(%d): %v", user, err)
	}
}

func addWatch(t testing.TB, s *Store, w Watch) {
	t.Helper()
	if w.ChatID == 0 {
		w.ChatID = w.TelegramUserID
	}
	if _, err := s.AddWatch(context.Background(), w, 0, time.Now()); err != nil {
		t.Fatalf("AddWatch(%d/%s): %v", w.TelegramUserID, w.OrderID, err)
	}
}

func TestOpenMigratesFreshFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, "bot.db")
	openAt(t, path, testKey(1))

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("folder mode = %04o, want 0700", perm)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode = %04o, want 0600", filepath.Base(f), perm)
		}
	}
	if v := schemaVersion(t, path); v != latestSchemaVersion {
		t.Errorf("schema version = %d, want %d", v, latestSchemaVersion)
	}
	db := rawDB(t, path)
	for _, table := range []string{"meta", "accounts", "telegram_offset", "watches", "outbox", "delivered_sms"} {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: count %d, err %v", table, n, err)
		}
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
}

func TestReopenKeepsVersionAndData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	s := openAt(t, path, testKey(1))
	addAccount(t, s, 7)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, testKey(1))
	if v := schemaVersion(t, path); v != latestSchemaVersion {
		t.Errorf("schema version after reopen = %d, want %d", v, latestSchemaVersion)
	}
	if _, err := s.Account(ctx, 7); err != nil {
		t.Errorf("account after reopen: %v", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s := openAt(t, path, testKey(1))
	s.Close()
	if _, err := rawDB(t, path).Exec(`UPDATE schema_version SET version = ?`, latestSchemaVersion+1); err != nil {
		t.Fatal(err)
	}

	_, err := Open(context.Background(), path, testKey(1))
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path", err)
	}
	if v := schemaVersion(t, path); v != latestSchemaVersion+1 {
		t.Errorf("schema version changed to %d", v)
	}
}

func TestOpenErrorNamesPath(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "plainfile")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(tmp, "readonly")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(readOnly, 0o700) })

	tests := []struct {
		name string
		path string
		root bool // whether the case still fails when running as root
	}{
		{"folder is a file", filepath.Join(file, "sub", "bot.db"), true},
		{"read-only folder", filepath.Join(readOnly, "bot.db"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.root && os.Geteuid() == 0 {
				t.Skip("root ignores folder permissions")
			}
			_, err := Open(context.Background(), tt.path, testKey(1))
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
		})
	}
}

func TestOpenRejectsBadKeyLength(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"), make([]byte, 16))
	if err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("Open with a 16-byte key = %v, want a key-size error", err)
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "odd?name#x%20", "bot.db")
	s := openAt(t, path, testKey(1))
	addAccount(t, s, 1)
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %s: %v", path, err)
	}
	s = openAt(t, path, testKey(1))
	if _, err := s.Account(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

// TestRestart is what the delivery promise rests on: after a restart every
// watch and every unsent message is still there, and claims of the crashed
// run are released.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	s := openAt(t, path, testKey(1))
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	for _, w := range []Watch{
		{TelegramUserID: 1, OrderID: "100", NextCheckAt: t0},
		{TelegramUserID: 1, OrderID: "101", NextCheckAt: t0},
		{TelegramUserID: 2, OrderID: "200", NextCheckAt: t0},
	} {
		addWatch(t, s, w)
	}
	for _, text := range []string{"code 1", "code 2"} {
		if _, err := s.Enqueue(ctx, Message{ChatID: 1, Text: text, NextAttemptAt: t0}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveUpdateOffset(ctx, 42); err != nil {
		t.Fatal(err)
	}
	if due, err := s.ClaimDueWatches(ctx, t0, time.Hour, 10); err != nil || len(due) != 3 {
		t.Fatalf("claim before crash: %d, %v", len(due), err)
	}
	s.Close() // a crash mid-check: the claims stay in the file

	s = openAt(t, path, testKey(1))
	if got, err := s.ClaimDueWatches(ctx, t0, time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("claims survived the restart as they should until released: got %d, %v", len(got), err)
	}
	if err := s.ReleaseClaims(ctx); err != nil {
		t.Fatal(err)
	}
	due, err := s.ClaimDueWatches(ctx, t0, time.Minute, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("watches after restart: %d, %v", len(due), err)
	}
	for _, d := range due {
		if d.Account.APIKey != "key-of-user" {
			t.Errorf("watch %s: api key %q", d.OrderID, d.Account.APIKey)
		}
	}
	msgs, err := s.DueMessages(ctx, t0, 10)
	if err != nil || len(msgs) != 2 || msgs[0].Text != "code 1" || msgs[1].Text != "code 2" {
		t.Fatalf("messages after restart: %+v, %v", msgs, err)
	}
	if off, err := s.UpdateOffset(ctx); err != nil || off != 42 {
		t.Fatalf("offset after restart = %d, %v", off, err)
	}
}

func TestUpdateOffsetOnlyIncreases(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if off, err := s.UpdateOffset(ctx); err != nil || off != 0 {
		t.Fatalf("fresh offset = %d, %v", off, err)
	}
	for _, id := range []int64{10, 12, 11, 5} {
		if err := s.SaveUpdateOffset(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if off, err := s.UpdateOffset(ctx); err != nil || off != 12 {
		t.Fatalf("offset = %d, %v; want 12", off, err)
	}
}

// TestHotQueriesUseIndexes guards the watcher's and sender's queries against
// a schema or query change that turns them into full-table scans.
func TestHotQueriesUseIndexes(t *testing.T) {
	s, _ := openTest(t)
	fullScan := regexp.MustCompile(`^SCAN (watches|w|accounts|a|delivered_sms)\b|TEMP B-TREE`)
	tests := []struct {
		name  string
		query string
		args  int
	}{
		{"claim", claimDueQuery, 3},
		{"next watch due", nextWatchDueQuery, 0},
		{"apply", applyOutcomeQuery, 10},
		{"due rule steps", dueRulesQuery, 2},
		{"retime rule", retimeWatchesQuery, 4},
		{"chain steps", chainStepsQuery, 2},
		{"end", endOutcomeQuery, 2},
		{"release", releaseClaimsQuery, 0},
		{"pause", pauseWatchesQuery, 1},
		{"resume", resumeWatchesQuery, 2},
		{"count per user", countWatchesQuery, 1},
		{"drop chat", dropChatWatchesQuery, 1},
		{"migrate chat", migrateChatWatchesQuery, 2},
		{"due messages", dueMessagesQuery, 2},
		{"drop chat messages", dropChatMessagesQuery, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := make([]any, tt.args)
			for i := range args {
				args[i] = 1
			}
			rows, err := s.write.Query("EXPLAIN QUERY PLAN "+tt.query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				if fullScan.MatchString(detail) {
					t.Errorf("plan step %q", detail)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestOpenTightensAForeignFile: a database file written by another tool (a
// restored backup is 0644) holds SMS codes; opening it makes it 0600.
func TestOpenTightensAForeignFile(t *testing.T) {
	s, path := openTest(t)
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openAt(t, path, testKey(1))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("database mode after open = %o, want 600", perm)
	}
}
