package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSealRoundTrip(t *testing.T) {
	s, err := newSealer(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.sealAPIKey(1, "secret")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.sealAPIKey(1, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two seals of the same key are equal: the nonce is not random")
	}
	if len(a) != 12+len("secret")+16 {
		t.Errorf("sealed length %d, want nonce(12)+text+tag(16)", len(a))
	}
	for _, sealed := range [][]byte{a, b} {
		if got, err := s.openAPIKey(1, sealed); err != nil || got != "secret" {
			t.Errorf("open = %q, %v", got, err)
		}
	}
}

func TestSealOpenFailures(t *testing.T) {
	s, _ := newSealer(testKey(1))
	other, _ := newSealer(testKey(2))
	sealed, err := s.sealAPIKey(1, "secret")
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1

	tests := []struct {
		name   string
		sealer *sealer
		user   int64
		sealed []byte
	}{
		{"other user", s, 2, sealed},
		{"other key", other, 1, sealed},
		{"tampered", s, 1, flipped},
		{"truncated", s, 1, sealed[:10]},
		{"empty", s, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.openAPIKey(tt.user, tt.sealed)
			if !errors.Is(err, ErrWrongKey) || got != "" {
				t.Errorf("open = %q, %v; want ErrWrongKey", got, err)
			}
		})
	}
}

func TestOpenWithWrongKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s := openAt(t, path, testKey(1))
	addAccount(t, s, 1)
	s.Close()

	_, err := Open(context.Background(), path, testKey(2))
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with another key = %v, want ErrWrongKey", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path", err)
	}
	openAt(t, path, testKey(1)) // the right key still works
}

// TestAccountRowThatDoesNotOpen covers rows that slipped past the canary:
// sealed under another key, or copied from another user's row.
func TestAccountRowThatDoesNotOpen(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	addAccount(t, s, 3)
	addWatch(t, s, Watch{TelegramUserID: 3, OrderID: "300", NextCheckAt: t0})

	other, _ := newSealer(testKey(9))
	foreign, err := other.sealAPIKey(1, "key-of-user")
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if _, err := db.Exec(`UPDATE accounts SET sealed_api_key = ? WHERE telegram_user_id = 1`, foreign); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE accounts SET sealed_api_key = (SELECT sealed_api_key FROM accounts WHERE telegram_user_id = 2)
		WHERE telegram_user_id = 3`); err != nil {
		t.Fatal(err)
	}

	for _, user := range []int64{1, 3} {
		if a, err := s.Account(ctx, user); !errors.Is(err, ErrWrongKey) || a.APIKey != "" {
			t.Errorf("Account(%d) = %+v, %v; want ErrWrongKey", user, a, err)
		}
	}
	if _, err := s.Account(ctx, 2); err != nil {
		t.Errorf("Account(2): %v", err)
	}

	// The watcher gets the watch with KeyErr instead of stalling on it.
	due, err := s.ClaimDueWatches(ctx, t0, time.Minute, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("claim = %d, %v", len(due), err)
	}
	if !errors.Is(due[0].KeyErr, ErrWrongKey) || due[0].Account.APIKey != "" {
		t.Errorf("due watch: KeyErr %v, APIKey %q", due[0].KeyErr, due[0].Account.APIKey)
	}
}

// TestNoSecretsInDatabaseFiles reads the raw bytes of the database, its WAL
// and shared-memory files while the store is open and after it closed.
func TestNoSecretsInDatabaseFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	const apiKey = "sk-live-PLAINTEXT-0123456789abcdef"
	const sms = "Your code is 918273645"
	secrets := []string{apiKey, base64.StdEncoding.EncodeToString([]byte(apiKey)), sms}

	s := openAt(t, path, testKey(1))
	for user := int64(1); user <= 50; user++ {
		if _, err := s.SaveAccount(ctx, Account{TelegramUserID: user, SMSUserID: "u", APIKey: apiKey}, t0); err != nil {
			t.Fatal(err)
		}
	}
	// Replace some keys so old versions of the rows sit in the WAL too.
	for user := int64(1); user <= 10; user++ {
		if _, err := s.SaveAccount(ctx, Account{TelegramUserID: user, SMSUserID: "u", APIKey: apiKey}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.MarkDelivered(ctx, 1, "100", sms, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Account(ctx, 1); err != nil {
		t.Fatal(err)
	}

	check := func(when string) {
		t.Helper()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			data, err := os.ReadFile(path + suffix)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range secrets {
				if bytes.Contains(data, []byte(secret)) {
					t.Errorf("%s: %q found in %s", when, secret, filepath.Base(path+suffix))
				}
			}
		}
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("expected a WAL file while open: %v", err)
	}
	check("while open")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("after close")
}

func TestLoadKeyFromEnv(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:KeySize] // bytes whose base64 uses + / or - _
	tests := []struct {
		name  string
		value string
	}{
		{"std padded", base64.StdEncoding.EncodeToString(raw)},
		{"std raw", base64.RawStdEncoding.EncodeToString(raw)},
		{"url padded", base64.URLEncoding.EncodeToString(raw)},
		{"url raw", base64.RawURLEncoding.EncodeToString(raw)},
		{"trailing newline", base64.StdEncoding.EncodeToString(raw) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbPath := filepath.Join(t.TempDir(), "bot.db")
			key, created, err := LoadKey(dbPath, tt.value)
			if err != nil || created || !bytes.Equal(key, raw) {
				t.Fatalf("LoadKey = %x, %v, %v", key, created, err)
			}
			if _, err := os.Stat(KeyFilePath(dbPath)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a key file was written although the key came from the environment")
			}
		})
	}
}

func TestLoadKeyBadEnv(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"16 bytes", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")), "got 16 bytes"},
		{"33 bytes", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("k"), 33)), "got 33 bytes"},
		{"not base64", "this-is-not*base64!secretvalue", "not valid base64"},
		{"hex", strings.Repeat("ab", 32), "got 48 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadKey(filepath.Join(t.TempDir(), "bot.db"), tt.value)
			if err == nil {
				t.Fatal("LoadKey accepted it")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "BOT_ENCRYPTION_KEY must be 32 bytes, base64-encoded") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to mention %q", msg, tt.want)
			}
			if strings.Contains(msg, strings.TrimRight(tt.value, "=")[:8]) {
				t.Errorf("error %q echoes the value", msg)
			}
		})
	}
}

func TestLoadKeyFile(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "new", "bot.db")
	key, created, err := LoadKey(dbPath, "")
	if err != nil || !created || len(key) != KeySize {
		t.Fatalf("first LoadKey = %d bytes, created %v, %v", len(key), created, err)
	}
	fi, err := os.Stat(KeyFilePath(dbPath))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %04o, want 0600", perm)
	}
	entries, _ := os.ReadDir(filepath.Dir(dbPath))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the key file (no temp files left)", len(entries))
	}

	again, created, err := LoadKey(dbPath, "")
	if err != nil || created || !bytes.Equal(again, key) {
		t.Fatalf("second LoadKey: same key %v, created %v, %v", bytes.Equal(again, key), created, err)
	}
	// The generated key opens a store and is needed to reopen it.
	s := openAt(t, dbPath, key)
	s.Close()
	openAt(t, dbPath, again)
}

func TestLoadKeyFileConcurrentFirstStart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "bot.db")
	const n = 8
	keys := make([][]byte, n)
	createdCount := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key, created, err := LoadKey(dbPath, "")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			keys[i] = key
			if created {
				createdCount++
			}
		})
	}
	wg.Wait()
	if createdCount != 1 {
		t.Errorf("%d callers created the key, want 1", createdCount)
	}
	for i := range keys {
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got a different key", i)
		}
	}
}

func TestLoadKeyFileRefused(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(testKey(5))
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"group readable", good, 0o640, "group or others"},
		{"world readable", good, 0o604, "group or others"},
		{"short key", base64.StdEncoding.EncodeToString([]byte("short-secret-key")), 0o600, "got 16 bytes"},
		{"garbage", "not base64 at all!", 0o600, "not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbPath := filepath.Join(t.TempDir(), "bot.db")
			keyPath := KeyFilePath(dbPath)
			if err := os.WriteFile(keyPath, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(keyPath, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadKey(dbPath, "")
			if err == nil {
				t.Fatal("LoadKey accepted the file")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), keyPath) {
				t.Errorf("error %q, want it to name %s and say %q", err, keyPath, tt.want)
			}
			if strings.Contains(err.Error(), tt.content[:8]) {
				t.Errorf("error %q echoes the file content", err)
			}
			if got, _ := os.ReadFile(keyPath); string(got) != tt.content {
				t.Error("LoadKey changed the refused key file")
			}
		})
	}
}

// TestLoadKeyFileMissingBesideDatabase: a key file is generated only for a
// new database. Beside a database that holds sealed data, a missing key
// file is refused with ErrKeyMissing, and nothing is written.
func TestLoadKeyFileMissingBesideDatabase(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dbPath string) // leaves no key file
		refused bool
	}{
		{"no database yet", func(t *testing.T, dbPath string) {}, false},
		{"empty database file", func(t *testing.T, dbPath string) {
			if err := os.WriteFile(dbPath, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"database with an account, sealed under BOT_ENCRYPTION_KEY", func(t *testing.T, dbPath string) {
			s := openAt(t, dbPath, testKey(1))
			addAccount(t, s, 1)
			s.Close()
		}, true},
		{"database whose key file was lost", func(t *testing.T, dbPath string) {
			key, _, err := LoadKey(dbPath, "")
			if err != nil {
				t.Fatal(err)
			}
			s := openAt(t, dbPath, key)
			addAccount(t, s, 1)
			s.Close()
			if err := os.Remove(KeyFilePath(dbPath)); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dbPath := filepath.Join(dir, "bot.db")
			tt.prepare(t, dbPath)
			before := listFolder(t, dir)

			key, created, err := LoadKey(dbPath, "")
			if !tt.refused {
				if err != nil || !created || len(key) != KeySize {
					t.Fatalf("LoadKey for a new database = %d bytes, created %v, %v; want a generated key", len(key), created, err)
				}
				return
			}
			if !errors.Is(err, ErrKeyMissing) {
				t.Fatalf("LoadKey = created %v, %v; want ErrKeyMissing", created, err)
			}
			msg := err.Error()
			for _, want := range []string{KeyFilePath(dbPath), "restore", "BOT_ENCRYPTION_KEY", "nothing was changed"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if after := listFolder(t, dir); after != before {
				t.Errorf("the folder changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// listFolder lists the files of dir with their sizes and contents.
func listFolder(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		b.WriteString(e.Name() + "=" + base64.StdEncoding.EncodeToString(data) + " ")
	}
	return b.String()
}
