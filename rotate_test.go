package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// rotateFixture is a database with two linked accounts, sealed under oldKey.
type rotateFixture struct {
	dbPath string
	oldKey []byte
}

// newRotateFixture creates the database; keyFile says whether its key is
// the generated key file (as when BOT_ENCRYPTION_KEY is unset) or not.
func newRotateFixture(t *testing.T, keyFile bool) rotateFixture {
	t.Helper()
	f := rotateFixture{dbPath: filepath.Join(t.TempDir(), "data", "bot.db")}
	var err error
	if keyFile {
		f.oldKey, _, err = store.LoadKey(f.dbPath, "")
	} else {
		f.oldKey, err = store.GenerateKey()
	}
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), f.dbPath, f.oldKey)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, a := range []store.Account{{TelegramUserID: 1, SMSUserID: "777", APIKey: "sk-one"}, {TelegramUserID: 2, SMSUserID: "888", APIKey: "sk-two"}} {
		if _, err := st.SaveAccount(context.Background(), a, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// assertRotationFinished runs rotate-key again after a cut run that had
// re-sealed the database with newKey, and checks that it finishes the job:
// newKey in the key file, the old key kept, no .key.new left.
func (f rotateFixture) assertRotationFinished(ctx context.Context, t *testing.T, newKey []byte) {
	t.Helper()
	var out bytes.Buffer
	if err := rotateKey(ctx, rotateConfig{DatabasePath: f.dbPath}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Finished") {
		t.Errorf("summary:\n%s", out.String())
	}
	if k := readKey(t, store.KeyFilePath(f.dbPath)); !bytes.Equal(k, newKey) {
		t.Error("the key file does not hold the key the database was re-sealed with")
	}
	if k := readKey(t, store.OldKeyFilePath(f.dbPath)); !bytes.Equal(k, f.oldKey) {
		t.Error("the old key was not kept")
	}
	assertMissing(t, store.NewKeyFilePath(f.dbPath))
	f.assertOpensWith(t, newKey)
}

// assertOpensWith checks that key, and only key, opens the database with
// both accounts readable.
func (f rotateFixture) assertOpensWith(t *testing.T, key []byte) {
	t.Helper()
	st, err := store.Open(context.Background(), f.dbPath, key)
	if err != nil {
		t.Fatalf("open with the expected key: %v", err)
	}
	defer st.Close()
	for user, want := range map[int64]string{1: "sk-one", 2: "sk-two"} {
		if a, err := st.Account(context.Background(), user); err != nil || a.APIKey != want {
			t.Errorf("account %d: %q, %v", user, a.APIKey, err)
		}
	}
}

func (f rotateFixture) assertRefuses(t *testing.T, key []byte) {
	t.Helper()
	if st, err := store.Open(context.Background(), f.dbPath, key); !errors.Is(err, store.ErrWrongKey) {
		if err == nil {
			st.Close()
		}
		t.Errorf("open with a key that should no longer work = %v, want ErrWrongKey", err)
	}
}

func readKey(t *testing.T, path string) []byte {
	t.Helper()
	key, err := store.ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func assertMissing(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists (%v), want it absent", filepath.Base(path), err)
	}
}

// assertNoKeyIn fails if text holds any of keys in a usual encoding.
func assertNoKeyIn(t *testing.T, text string, keys ...[]byte) {
	t.Helper()
	for _, k := range keys {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if k != nil && strings.Contains(text, enc.EncodeToString(k)) {
				t.Fatalf("a key was printed:\n%s", text)
			}
		}
	}
}

func b64(key []byte) string { return base64.StdEncoding.EncodeToString(key) }

// TestRotateKeyGeneratesKeyFile is the default set-up: the key file is the
// key. A new one is generated, the database re-sealed under it, and the old
// file kept beside it as .key.old; the summary says so and shows no key.
func TestRotateKeyGeneratesKeyFile(t *testing.T) {
	f := newRotateFixture(t, true)
	var out bytes.Buffer
	if err := rotateKey(context.Background(), rotateConfig{DatabasePath: f.dbPath}, &out); err != nil {
		t.Fatal(err)
	}
	newKey := readKey(t, store.KeyFilePath(f.dbPath))
	if bytes.Equal(newKey, f.oldKey) {
		t.Fatal("the key file still holds the old key")
	}
	if old := readKey(t, store.OldKeyFilePath(f.dbPath)); !bytes.Equal(old, f.oldKey) {
		t.Error("the old key was not kept in .key.old")
	}
	assertMissing(t, store.NewKeyFilePath(f.dbPath))
	f.assertOpensWith(t, newKey)
	f.assertRefuses(t, f.oldKey)

	summary := out.String()
	for _, want := range []string{"Re-sealed 2", store.KeyFilePath(f.dbPath), store.OldKeyFilePath(f.dbPath), "start the bot"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	assertNoKeyIn(t, summary, f.oldKey, newKey)
}

// TestRotateKeyFromEnvironment: the keys live in the environment; the
// database is re-sealed under NEW_BOT_ENCRYPTION_KEY, no file is written,
// and the summary says which variable to change.
func TestRotateKeyFromEnvironment(t *testing.T) {
	f := newRotateFixture(t, false)
	newKey, _ := store.GenerateKey()
	var out bytes.Buffer
	cfg := rotateConfig{DatabasePath: f.dbPath, EncryptionKey: b64(f.oldKey), NewEncryptionKey: b64(newKey)}
	if err := rotateKey(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	f.assertOpensWith(t, newKey)
	f.assertRefuses(t, f.oldKey)
	for _, p := range []string{store.KeyFilePath(f.dbPath), store.NewKeyFilePath(f.dbPath), store.OldKeyFilePath(f.dbPath)} {
		assertMissing(t, p)
	}
	if !strings.Contains(out.String(), "set BOT_ENCRYPTION_KEY to the value of NEW_BOT_ENCRYPTION_KEY") {
		t.Errorf("summary does not say what to set:\n%s", out.String())
	}
	assertNoKeyIn(t, out.String(), f.oldKey, newKey)
}

// TestRotateKeyFileToEnvironment: from the key file to a key in the
// environment; the key file, which no longer opens anything, moves aside.
func TestRotateKeyFileToEnvironment(t *testing.T) {
	f := newRotateFixture(t, true)
	newKey, _ := store.GenerateKey()
	var out bytes.Buffer
	if err := rotateKey(context.Background(), rotateConfig{DatabasePath: f.dbPath, NewEncryptionKey: b64(newKey)}, &out); err != nil {
		t.Fatal(err)
	}
	f.assertOpensWith(t, newKey)
	assertMissing(t, store.KeyFilePath(f.dbPath))
	if old := readKey(t, store.OldKeyFilePath(f.dbPath)); !bytes.Equal(old, f.oldKey) {
		t.Error("the old key file was not kept as .key.old")
	}
	if !strings.Contains(out.String(), "BOT_ENCRYPTION_KEY") {
		t.Errorf("summary does not say what to set:\n%s", out.String())
	}
	assertNoKeyIn(t, out.String(), f.oldKey, newKey)
}

// TestRotateKeyRefusals: every refusal is one clear line, and leaves the
// database and the key files exactly as they were.
func TestRotateKeyRefusals(t *testing.T) {
	other, _ := store.GenerateKey()
	tests := []struct {
		name    string
		keyFile bool
		cfg     func(f rotateFixture) rotateConfig
		want    string
	}{
		{"no database", true, func(f rotateFixture) rotateConfig {
			return rotateConfig{DatabasePath: filepath.Join(filepath.Dir(f.dbPath), "other.db")}
		}, "no database"},
		{"no key file and no BOT_ENCRYPTION_KEY", false, func(f rotateFixture) rotateConfig {
			return rotateConfig{DatabasePath: f.dbPath}
		}, "no key file"},
		{"wrong current key", false, func(f rotateFixture) rotateConfig {
			return rotateConfig{DatabasePath: f.dbPath, EncryptionKey: b64(other), NewEncryptionKey: b64(f.oldKey)}
		}, "does not open"},
		{"key in the environment but no new one", false, func(f rotateFixture) rotateConfig {
			return rotateConfig{DatabasePath: f.dbPath, EncryptionKey: b64(f.oldKey)}
		}, "NEW_BOT_ENCRYPTION_KEY"},
		{"new key is the current key", false, func(f rotateFixture) rotateConfig {
			return rotateConfig{DatabasePath: f.dbPath, EncryptionKey: b64(f.oldKey), NewEncryptionKey: b64(f.oldKey)}
		}, "in use now"},
		{"malformed new key", true, func(f rotateFixture) rotateConfig {
			return rotateConfig{DatabasePath: f.dbPath, NewEncryptionKey: "c2hvcnQ="}
		}, "NEW_BOT_ENCRYPTION_KEY must be 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRotateFixture(t, tt.keyFile)
			dir := filepath.Dir(f.dbPath)
			before := folderState(t, dir, keyFiles)
			var out bytes.Buffer
			err := rotateKey(context.Background(), tt.cfg(f), &out)
			if err == nil {
				t.Fatalf("rotateKey succeeded:\n%s", out.String())
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line containing %q", msg, tt.want)
			}
			assertNoKeyIn(t, err.Error()+out.String(), f.oldKey, other)
			if after := folderState(t, dir, keyFiles); after != before {
				t.Errorf("the data folder changed:\nbefore %s\nafter  %s", before, after)
			}
			f.assertOpensWith(t, f.oldKey)
		})
	}
}

// folderState lists the files of dir that match with their contents, so a
// test can tell that a refusal touched none of them.
func folderState(t *testing.T, dir string, match func(name string) bool) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if match(e.Name()) {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			b.WriteString(e.Name() + "=" + b64(data) + " ")
		}
	}
	return b.String()
}

// keyFiles matches the key files (.key, .key.new, .key.old, temporary ones).
func keyFiles(name string) bool { return strings.Contains(name, ".key") }

// allFiles matches every file.
func allFiles(string) bool { return true }

// TestRotateKeyWhileBotRuns: a store held open (as the running bot holds
// it) makes rotate-key fail with "stop the bot first" and change nothing.
func TestRotateKeyWhileBotRuns(t *testing.T) {
	f := newRotateFixture(t, true)
	bot, err := store.Open(context.Background(), f.dbPath, f.oldKey)
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()

	var out bytes.Buffer
	err = rotateKey(context.Background(), rotateConfig{DatabasePath: f.dbPath}, &out)
	if err == nil || !strings.Contains(err.Error(), "stop the bot first") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("rotateKey beside a running bot = %v", err)
	}
	if k := readKey(t, store.KeyFilePath(f.dbPath)); !bytes.Equal(k, f.oldKey) {
		t.Error("the key file changed")
	}
	assertMissing(t, store.NewKeyFilePath(f.dbPath))
	assertMissing(t, store.OldKeyFilePath(f.dbPath))
	if a, err := bot.Account(context.Background(), 1); err != nil || a.APIKey != "sk-one" {
		t.Errorf("the running bot's account: %q, %v", a.APIKey, err)
	}
}

// TestRotateKeyFinishesInterruptedRun: a run killed after its transaction
// committed but before it moved the key files leaves the new key in
// .key.new. The bot then refuses to start and says to run rotate-key
// again, which finishes the job.
func TestRotateKeyFinishesInterruptedRun(t *testing.T) {
	ctx := context.Background()
	f := newRotateFixture(t, true)
	newKey, _ := store.GenerateKey()
	if err := store.WriteKeyFile(store.NewKeyFilePath(f.dbPath), newKey); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, f.dbPath, f.oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.RotateKey(ctx, newKey); err != nil {
		t.Fatal(err)
	}
	st.Close() // the crash: the key files were not moved

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err = openStore(ctx, f.dbPath, f.oldKey, logger, 0)
	if !errors.Is(err, store.ErrWrongKey) || !strings.Contains(err.Error(), "rotate-key") {
		t.Fatalf("bot start after an interrupted rotation = %v; want ErrWrongKey saying to run rotate-key", err)
	}

	f.assertRotationFinished(ctx, t, newKey)
}

// TestRotateKeyFinishesRunCutBetweenRenames: a run killed after it moved
// the old key file to .key.old but before .key.new took its place leaves no
// key file. The bot refuses to start without creating one (which would
// later push the real old key out of .key.old) and says to run rotate-key
// again, which finishes the job.
func TestRotateKeyFinishesRunCutBetweenRenames(t *testing.T) {
	ctx := context.Background()
	f := newRotateFixture(t, true)
	newKey, _ := store.GenerateKey()
	if err := store.WriteKeyFile(store.NewKeyFilePath(f.dbPath), newKey); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, f.dbPath, f.oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.RotateKey(ctx, newKey); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := store.RetireKeyFile(f.dbPath); err != nil { // the first rename; then the crash
		t.Fatal(err)
	}
	dir := filepath.Dir(f.dbPath)
	before := folderState(t, dir, allFiles)

	cfg := config{DatabasePath: f.dbPath, TelegramAPIURL: "http://127.0.0.1:9", SMSOnlineAPIURL: "http://127.0.0.1:9"}
	err = run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !errors.Is(err, store.ErrKeyMissing) || !strings.Contains(err.Error(), "run it again") {
		t.Errorf("bot start = %v; want ErrKeyMissing saying to run rotate-key again", err)
	}
	if after := folderState(t, dir, allFiles); after != before {
		t.Errorf("the refused start changed the data folder:\nbefore %s\nafter  %s", before, after)
	}

	f.assertRotationFinished(ctx, t, newKey)
}

// TestRotateKeyBinary is the smoke test of the real command line: help,
// an unknown command, rotate-key refused while the bot runs (the lock works
// across processes), and rotate-key once it stopped, after which the bot
// starts with the new key and still knows its user.
func TestRotateKeyBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := smsbotBinary(t)

	out, err := exec.Command(bin, "help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rotate-key") {
		t.Errorf("smsbot help: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "frobnicate").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "rotate-key") {
		t.Errorf("smsbot frobnicate: %v\n%s", err, out)
	}

	tg := telegramtest.New(t)
	sms := smsapitest.New(t)
	const apiKey = "sk-rotate-4321"
	sms.AddAccount("777", apiKey, 1500)
	alice := telegramtest.User{ID: 1001, FirstName: "Alice"}
	dbPath := filepath.Join(t.TempDir(), "data", "bot.db")
	env := fakesEnv(tg, sms.URL, dbPath, "LOG_LEVEL=debug")

	bot := startBinary(t, bin, env)
	if got := say(t, tg, alice, "/login 777 "+apiKey); got != loginOK("777", 1500) {
		t.Fatalf("login: %q", got)
	}
	rotate := exec.Command(bin, "rotate-key")
	rotate.Env = env
	out, err = rotate.CombinedOutput()
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "stop the bot first") {
		t.Errorf("rotate-key while the bot runs: %v\n%s", err, out)
	}
	bot.terminate(t)

	oldKey := readKey(t, store.KeyFilePath(dbPath))
	rotate = exec.Command(bin, "rotate-key")
	rotate.Env = env
	out, err = rotate.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Re-sealed 1") {
		t.Fatalf("rotate-key: %v\n%s", err, out)
	}
	assertNoKeyIn(t, string(out), oldKey, readKey(t, store.KeyFilePath(dbPath)))

	// The bot starts with the new key file and still has alice's account.
	startBinary(t, bin, env)
	if got := say(t, tg, alice, "/balance"); !strings.HasPrefix(got, en.Balance(balanceOf(1500), "777")) {
		t.Errorf("/balance after the rotation: %q", got)
	}
}
