package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addAccounts links users 1..n, each with its own API key.
func addAccounts(t *testing.T, s *Store, n int) {
	t.Helper()
	for u := int64(1); u <= int64(n); u++ {
		if _, err := s.SaveAccount(context.Background(), Account{TelegramUserID: u, SMSUserID: "sms", APIKey: apiKeyOf(u)}, t0); err != nil {
			t.Fatal(err)
		}
	}
}

func apiKeyOf(user int64) string { return fmt.Sprintf("sk-live-user-%d-0f1e2d", user) }

// sealedKeys reads every account's sealed API key straight from the file.
func sealedKeys(t *testing.T, path string) map[int64][]byte {
	t.Helper()
	rows, err := rawDB(t, path).Query(selectSealedKeysQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][]byte{}
	for rows.Next() {
		var u int64
		var sealed []byte
		if err := rows.Scan(&u, &sealed); err != nil {
			t.Fatal(err)
		}
		out[u] = sealed
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// assertAccountsOpen checks that users 1..n read back with their API keys.
func assertAccountsOpen(t *testing.T, s *Store, n int) {
	t.Helper()
	for u := int64(1); u <= int64(n); u++ {
		a, err := s.Account(context.Background(), u)
		if err != nil || a.APIKey != apiKeyOf(u) {
			t.Errorf("account %d: key %q, %v", u, a.APIKey, err)
		}
	}
}

func TestRotateKeyRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	addAccounts(t, s, 3)
	before := sealedKeys(t, path)

	resealed, skipped, err := s.RotateKey(ctx, testKey(2))
	if err != nil || resealed != 3 || skipped != 0 {
		t.Fatalf("RotateKey = %d, %d, %v; want 3, 0, nil", resealed, skipped, err)
	}
	assertAccountsOpen(t, s, 3) // the open store switched to the new key
	for u, sealed := range sealedKeys(t, path) {
		if bytes.Equal(sealed, before[u]) {
			t.Errorf("account %d: sealed key unchanged", u)
		}
	}
	// Saving works under the new key too.
	addAccounts(t, s, 4)
	s.Close()

	s = openAt(t, path, testKey(2))
	assertAccountsOpen(t, s, 4)
}

func TestRotateKeyUpdatesCanary(t *testing.T) {
	s, path := openTest(t)
	addAccounts(t, s, 1)
	if _, _, err := s.RotateKey(context.Background(), testKey(2)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// The old key is now refused at start, by the canary, with a clear error.
	_, err := Open(context.Background(), path, testKey(1))
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with the old key after rotation = %v, want ErrWrongKey", err)
	}
	openAt(t, path, testKey(2))
}

// TestRotateKeyRefusesWrongCurrentKey: only a database that opens with the
// store's key is re-sealed. Open already refuses a wrong key; RotateKey
// checks the canary again inside its transaction.
func TestRotateKeyRefusesWrongCurrentKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	openAt(t, path, testKey(1)).Close()
	if _, err := Open(ctx, path, testKey(9)); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with a wrong key = %v, want ErrWrongKey", err)
	}

	s := openAt(t, path, testKey(1))
	addAccounts(t, s, 2)
	other, err := newSealer(testKey(9))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.seal([]byte(canaryPlaintext), []byte(canaryAD))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`UPDATE meta SET value = ? WHERE name = ?`, foreign, canaryName); err != nil {
		t.Fatal(err)
	}
	before := sealedKeys(t, path)
	if _, _, err := s.RotateKey(ctx, testKey(2)); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("RotateKey over a foreign canary = %v, want ErrWrongKey", err)
	}
	if after := sealedKeys(t, path); !equalSealed(before, after) {
		t.Error("a refused rotation changed stored keys")
	}
}

func TestRotateKeyRefusesSameKey(t *testing.T) {
	s, _ := openTest(t)
	if _, _, err := s.RotateKey(context.Background(), testKey(1)); err == nil {
		t.Fatal("RotateKey to the current key succeeded")
	}
	if _, _, err := s.RotateKey(context.Background(), make([]byte, 16)); err == nil {
		t.Fatal("RotateKey to a 16-byte key succeeded")
	}
}

// TestRotateKeyFailureChangesNothing makes the third of five updates fail:
// the rows already re-sealed must roll back, so that every row, the canary
// and the fingerprints still work with the old key and only with it.
func TestRotateKeyFailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	addAccounts(t, s, 5)
	fp := s.sealer.smsFingerprint(1, "555", "code 123")
	before := sealedKeys(t, path)
	if _, err := rawDB(t, path).Exec(`CREATE TRIGGER fail_mid_rotation BEFORE UPDATE OF sealed_api_key ON accounts
		WHEN OLD.telegram_user_id = 3 BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`); err != nil {
		t.Fatal(err)
	}

	if _, _, err := s.RotateKey(ctx, testKey(2)); err == nil {
		t.Fatal("RotateKey succeeded through a failing update")
	}
	if after := sealedKeys(t, path); !equalSealed(before, after) {
		t.Error("rows re-sealed before the failure were not rolled back")
	}
	assertAccountsOpen(t, s, 5) // the open store still uses the old key
	var n int
	if err := rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM meta WHERE name = ?`, fingerprintKeyName).Scan(&n); err != nil || n != 0 {
		t.Errorf("fingerprint key stored by a failed rotation (%d rows, %v)", n, err)
	}
	s.Close()

	if _, err := Open(ctx, path, testKey(2)); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Open with the new key after a failed rotation = %v, want ErrWrongKey", err)
	}
	s = openAt(t, path, testKey(1))
	assertAccountsOpen(t, s, 5)
	if !bytes.Equal(s.sealer.smsFingerprint(1, "555", "code 123"), fp) {
		t.Error("fingerprints changed after a failed rotation")
	}
}

func equalSealed(a, b map[int64][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for u, v := range a {
		if !bytes.Equal(v, b[u]) {
			return false
		}
	}
	return true
}

// TestRotateKeyKeepsFingerprints: the delivered-SMS fingerprints cannot be
// recomputed, so their key must survive the rotation and later ones, or an
// SMS pushed before the rotation would be pushed again after it.
func TestRotateKeyKeepsFingerprints(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	want := s.sealer.smsFingerprint(1, "555", "Your code is 864209")
	for i, key := range [][]byte{testKey(2), testKey(3)} {
		if _, _, err := s.RotateKey(ctx, key); err != nil {
			t.Fatal(err)
		}
		if got := s.sealer.smsFingerprint(1, "555", "Your code is 864209"); !bytes.Equal(got, want) {
			t.Errorf("rotation %d: fingerprint changed in the open store", i+1)
		}
		s.Close()
		s = openAt(t, path, key)
		if got := s.sealer.smsFingerprint(1, "555", "Your code is 864209"); !bytes.Equal(got, want) {
			t.Errorf("rotation %d: fingerprint changed after reopening", i+1)
		}
	}
}

// TestRotateKeySkipsUnreadableRow: a row that does not open with the old
// key cannot be re-sealed; it must not stop the rotation of the others.
func TestRotateKeySkipsUnreadableRow(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	addAccounts(t, s, 3)
	// User 2's blob copied to user 1: bound to user 2, it does not open as 1's.
	if _, err := rawDB(t, path).Exec(`UPDATE accounts SET sealed_api_key =
		(SELECT sealed_api_key FROM accounts WHERE telegram_user_id = 2) WHERE telegram_user_id = 1`); err != nil {
		t.Fatal(err)
	}
	resealed, skipped, err := s.RotateKey(ctx, testKey(2))
	if err != nil || resealed != 2 || skipped != 1 {
		t.Fatalf("RotateKey = %d, %d, %v; want 2, 1, nil", resealed, skipped, err)
	}
	if _, err := s.Account(ctx, 1); !errors.Is(err, ErrWrongKey) {
		t.Errorf("skipped account 1 = %v, want ErrWrongKey", err)
	}
	for _, u := range []int64{2, 3} {
		if a, err := s.Account(ctx, u); err != nil || a.APIKey != apiKeyOf(u) {
			t.Errorf("account %d: %q, %v", u, a.APIKey, err)
		}
	}
}

// TestRotateKeyWhileOpenElsewhere: the bot holds the database's lock file
// shared; a rotation needs it alone, and a bot cannot start during one.
func TestRotateKeyWhileOpenElsewhere(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	addAccounts(t, s, 1)
	bot := openAt(t, path, testKey(1))

	if _, _, err := s.RotateKey(ctx, testKey(2)); !errors.Is(err, ErrInUse) {
		t.Fatalf("RotateKey beside another open store = %v, want ErrInUse", err)
	}
	assertAccountsOpen(t, bot, 1)
	bot.Close()

	if _, _, err := s.RotateKey(ctx, testKey(2)); err != nil {
		t.Fatalf("RotateKey once alone: %v", err)
	}
	// Until the rotating store closes, a bot cannot start on the file.
	_, err := Open(ctx, path, testKey(2))
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("Open during a rotation = %v, want ErrInUse", err)
	}
	if !bytes.Contains([]byte(err.Error()), []byte("rotate-key")) {
		t.Errorf("error %q does not say what holds the database", err)
	}
	s.Close()
	openAt(t, path, testKey(2))
}

// TestRotateKeyLeavesNoOldCiphertext: after a rotation the files must not
// keep the old sealed values (in free pages or the WAL), which the old key
// would still open.
func TestRotateKeyLeavesNoOldCiphertext(t *testing.T) {
	s, path := openTest(t)
	addAccounts(t, s, 20)
	old := sealedKeys(t, path)
	if _, _, err := s.RotateKey(context.Background(), testKey(2)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal"} {
		data, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for u, sealed := range old {
			if bytes.Contains(data, sealed) {
				t.Errorf("%s still holds the old sealed key of account %d", filepath.Base(f), u)
			}
		}
	}
}

func TestKeyFileReplacement(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "bot.db")
	if _, err := ReadKeyFile(KeyFilePath(dbPath)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadKeyFile of a missing file = %v, want fs.ErrNotExist", err)
	}
	oldKey, created, err := LoadKey(dbPath, "")
	if err != nil || !created {
		t.Fatal(created, err)
	}
	newKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(NewKeyFilePath(dbPath), newKey); err != nil {
		t.Fatal(err)
	}
	if err := InstallNewKeyFile(dbPath); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]byte{KeyFilePath(dbPath): newKey, OldKeyFilePath(dbPath): oldKey} {
		got, err := ReadKeyFile(path) // also checks mode 0600
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: right key %v, %v", filepath.Base(path), bytes.Equal(got, want), err)
		}
	}
	if _, err := os.Stat(NewKeyFilePath(dbPath)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s left behind (%v)", NewKeyFilePath(dbPath), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d entries, want the key file and the old one (no temp files)", len(entries))
	}
}

// TestOpenExclusiveIsAlone: the bot's store (OpenExclusive) shuts out every
// other opener while it is open, each with ErrInUse naming the lock file,
// cannot start beside another open store, and can still rotate its key.
func TestOpenExclusiveIsAlone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	bot, err := OpenExclusive(ctx, path, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	addAccounts(t, bot, 1)

	for name, open := range map[string]func(context.Context, string, []byte) (*Store, error){"Open": Open, "OpenExclusive": OpenExclusive} {
		s, err := open(ctx, path, testKey(1))
		if !errors.Is(err, ErrInUse) {
			if err == nil {
				s.Close()
			}
			t.Fatalf("%s beside the bot = %v, want ErrInUse", name, err)
		}
		if msg := err.Error(); !strings.Contains(msg, LockFilePath(path)) || !strings.Contains(msg, "another smsbot") {
			t.Errorf("%s: error %q does not name the lock file and its likely holder", name, msg)
		}
	}
	assertAccountsOpen(t, bot, 1)

	if _, _, err := bot.RotateKey(ctx, testKey(2)); err != nil {
		t.Fatalf("RotateKey on the exclusive store: %v", err)
	}
	bot.Close()

	// Once it closed, the lock is free; a shared store in turn keeps a bot out.
	tool := openAt(t, path, testKey(2))
	if s, err := OpenExclusive(ctx, path, testKey(2)); !errors.Is(err, ErrInUse) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("OpenExclusive beside an open store = %v, want ErrInUse", err)
	}
	tool.Close()
	bot, err = OpenExclusive(ctx, path, testKey(2))
	if err != nil {
		t.Fatalf("OpenExclusive once alone: %v", err)
	}
	assertAccountsOpen(t, bot, 1)
	bot.Close()
}
