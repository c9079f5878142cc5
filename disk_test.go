package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/store/storetest"

	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// TestStartOnUnusableDisk starts the binary on a database folder it cannot
// use. Running as root ignores permissions, so an unwritable folder is a
// path under a regular file; a full disk is a file size limit
// (RLIMIT_FSIZE, set by the shell's ulimit), under which every write past
// a few KiB fails as it does on a full disk. Each must end the process with
// exit code 1 and one error line that names the file and says what to do:
// no chain of wrapped errors, no panic.
func TestStartOnUnusableDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := smsbotBinary(t)
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file.txt")
	if err := os.WriteFile(file, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, _ := store.GenerateKey()
	sh, shErr := exec.LookPath("sh")

	tests := []struct {
		name      string
		db        string
		envKey    bool   // BOT_ENCRYPTION_KEY set, so no key file is needed
		fileLimit string // ulimit -f for the process; "" for none
		wants     []string
	}{
		{"folder is a file, key file", filepath.Join(file, "bot.db"), false, "",
			[]string{filepath.Join(file, "bot.db.key"), "not a folder", "set DATABASE_PATH"}},
		{"folder is a file, key in the environment", filepath.Join(file, "bot.db"), true, "",
			[]string{filepath.Join(file, "bot.db"), "not a folder", "set DATABASE_PATH"}},
		{"folder below a file", filepath.Join(file, "data", "bot.db"), true, "",
			[]string{filepath.Join(file, "data", "bot.db"), "not a folder", "set DATABASE_PATH"}},
		{"disk full", filepath.Join(tmp, "full", "bot.db"), false, "4",
			[]string{filepath.Join(tmp, "full", "bot.db"), "free some space"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := botEnv("TELEGRAM_BOT_TOKEN=123:secret-token", "DATABASE_PATH="+tt.db,
				"TELEGRAM_API_URL=http://127.0.0.1:9", "SMSONLINE_API_URL=http://127.0.0.1:9")
			if tt.envKey {
				env = append(env, "BOT_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key))
			}
			cmd := exec.Command(bin)
			if tt.fileLimit != "" {
				if shErr != nil {
					t.Skip("no sh to set a file size limit")
				}
				cmd = exec.Command(sh, "-c", `ulimit -f "$1" && exec "$0"`, bin, tt.fileLimit)
			}
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running after 10s; it should have stopped at once:\n%s", stderr.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Errorf("exit: %v, want exit code 1", err)
			}
			assertOneErrorLine(t, stderr.String(), tt.wants...)
			if stdout.Len() > 0 {
				t.Errorf("wrote to stdout: %q", stdout.String())
			}
		})
	}
}

// assertOneErrorLine checks that output holds exactly one error line,
// with every want in it, and nothing that looks like a crash.
func assertOneErrorLine(t *testing.T, output string, wants ...string) {
	t.Helper()
	var errorLines []string
	for line := range strings.Lines(output) {
		if strings.Contains(line, "level=ERROR") {
			errorLines = append(errorLines, line)
		}
	}
	if len(errorLines) != 1 {
		t.Fatalf("%d error lines, want 1:\n%s", len(errorLines), output)
	}
	line := errorLines[0]
	for _, want := range wants {
		if !strings.Contains(line, want) {
			t.Errorf("error line lacks %q:\n%s", want, line)
		}
	}
	for _, bad := range []string{"panic", "goroutine ", "open database: open database", "secret-token"} {
		if strings.Contains(output, bad) {
			t.Errorf("output contains %q:\n%s", bad, output)
		}
	}
}

// newDatabase creates a database at a fresh path, sealed with a new key,
// and returns the path and the key as BOT_ENCRYPTION_KEY takes it.
func newDatabase(t *testing.T) (path string, key []byte) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "bot.db")
	key, _ = store.GenerateKey()
	st, err := store.Open(context.Background(), path, key)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return path, key
}

// TestStartWaitsForLockedDatabase: another process holds the database's
// write lock when the bot starts. The bot says in the log that it waits,
// and starts serving as soon as the lock is released.
func TestStartWaitsForLockedDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; holds a lock for 5 s")
	}
	t.Parallel()
	bin := smsbotBinary(t)
	path, key := newDatabase(t)
	tg := telegramtest.New(t)
	release := storetest.LockWrites(t, path)

	p := startBinary(t, bin, botEnv("TELEGRAM_BOT_TOKEN="+tg.Token, "TELEGRAM_API_URL="+tg.URL,
		"DATABASE_PATH="+path, "BOT_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key)))
	// The first attempt gives up after SQLite's busy timeout (5 s).
	p.waitOutput(t, "database is locked by another process; waiting", 15*time.Second)
	release()

	alice := telegramtest.User{ID: 1001, FirstName: "Alice"}
	tg.SendText(alice, telegramtest.PrivateChat(alice), "/help")
	tg.WaitFor(t, 15*time.Second, func() bool { return len(tg.SentTo(alice.ID)) > 0 })
	if out := p.out.String(); strings.Contains(out, "level=ERROR") {
		t.Errorf("errors logged while waiting for the lock:\n%s", out)
	}
	p.terminate(t)
}

// TestStartGivesUpOnLockedDatabase: a lock that is not released within the
// wait ends the start with one clear line (ErrLocked, naming the file).
func TestStartGivesUpOnLockedDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out SQLite's busy timeout (5 s)")
	}
	t.Parallel()
	path, key := newDatabase(t)
	storetest.LockWrites(t, path)
	var logs bytes.Buffer
	_, err := openStore(context.Background(), path, key, slog.New(slog.NewTextHandler(&logs, nil)), 0)
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("openStore on a locked database = %v, want ErrLocked", err)
	}
	msg := err.Error()
	for _, want := range []string{path, "locked by another process", "stop that process"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
}

// TestLockedDatabaseWhileRunning: another process holds the running bot's
// database for longer than SQLite's busy timeout. Commands meanwhile may
// fail with an answer, but the bot keeps running, and once the lock is gone
// the watched order's code is pushed and new commands and watches work.
func TestLockedDatabaseWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; holds a lock for 5 s")
	}
	t.Parallel()
	bin := smsbotBinary(t)
	path, key := newDatabase(t)
	tg := telegramtest.New(t)
	sms := smsapitest.New(t)
	const apiKey = "sk-locked-1357"
	sms.AddAccount("777", apiKey, 1500)
	sms.AddOrder("777", smsapitest.NewOrder("555"))
	sms.AddOrder("777", smsapitest.NewOrder("556"))
	alice := telegramtest.User{ID: 1001, FirstName: "Alice"}

	p := startBinary(t, bin, botEnv("TELEGRAM_BOT_TOKEN="+tg.Token, "TELEGRAM_API_URL="+tg.URL,
		"SMSONLINE_API_URL="+sms.URL, "DATABASE_PATH="+path, "POLL_INTERVAL=1s",
		"BOT_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key)))
	say(t, tg, alice, "/login 777 "+apiKey)
	say(t, tg, alice, "/order 555")

	release := lockBetweenChecks(t, path)
	sms.DeliverSMS("777", "555", "Your code is 864209")
	// A command that has to write waits out the busy timeout and answers
	// (most likely "try again"); it must not hang or kill the bot. The lock
	// stays until the watcher, too, gave up on a write.
	say(t, tg, alice, "/order 556")
	p.waitOutputCount(t, "database is locked", 2, 15*time.Second)
	release()

	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.SentTo(alice.ID), "864209") > 0 })
	say(t, tg, alice, "/order 556")
	sms.DeliverSMS("777", "556", "Your code is 246810")
	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.SentTo(alice.ID), "246810") > 0 })
	p.terminate(t)
}

// lockBetweenChecks takes the database's write lock at a moment when no
// watch is claimed, that is between two rounds of the watcher. (A lock
// taken between a claim and the write of its outcome delays those watches
// by the claim lease, 2 minutes: still not lost, but too slow for a test.)
func lockBetweenChecks(t *testing.T, path string) (release func()) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		release = storetest.LockWrites(t, path)
		db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var claimed int
		err = db.QueryRow(`SELECT COUNT(*) FROM watches WHERE claimed_until > 0`).Scan(&claimed)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if claimed == 0 {
			return release
		}
		release()
		if time.Now().After(deadline) {
			t.Fatal("a watch stayed claimed for 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSecondBotRefusesToStart: a second bot on the same DATABASE_PATH
// exits at once with code 1 and one error line naming the first one's lock
// file; the first keeps running alone (one answer per command), and once it
// stopped a bot starts on the database again.
func TestSecondBotRefusesToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := smsbotBinary(t)
	path, key := newDatabase(t)
	tg := telegramtest.New(t)
	env := botEnv("TELEGRAM_BOT_TOKEN="+tg.Token, "TELEGRAM_API_URL="+tg.URL, "SMSONLINE_API_URL=http://127.0.0.1:9",
		"DATABASE_PATH="+path, "BOT_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key))
	alice := telegramtest.User{ID: 1001, FirstName: "Alice"}
	chat := telegramtest.PrivateChat(alice)

	first := startBinary(t, bin, env)
	say(t, tg, alice, "/help") // the first bot is serving

	second := startBinary(t, bin, env)
	err := second.wait(t, 10*time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("second bot: exit %v, want exit code 1", err)
	}
	assertOneErrorLine(t, second.out.String(), store.LockFilePath(path), "another smsbot")

	select {
	case <-first.exited:
		t.Fatalf("the first bot stopped: %v\n%s", first.err, first.out.String())
	default:
	}
	say(t, tg, alice, "/help")
	if n := len(tg.SentTo(chat.ID)); n != 2 {
		t.Errorf("%d answers to two /help, want 2 (one bot)", n)
	}
	first.terminate(t)

	third := startBinary(t, bin, env)
	say(t, tg, alice, "/help")
	third.terminate(t)
}

// TestStartWithoutKeyFileChangesNothing: the key file of a database with
// linked accounts is gone and BOT_ENCRYPTION_KEY is unset. The bot refuses
// to start, says to restore the key file or set BOT_ENCRYPTION_KEY, and
// leaves every file in the data folder as it was: no new key file.
func TestStartWithoutKeyFileChangesNothing(t *testing.T) {
	f := newRotateFixture(t, true)
	if err := os.Remove(store.KeyFilePath(f.dbPath)); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(f.dbPath)
	before := folderState(t, dir, allFiles)

	var logs bytes.Buffer
	cfg := config{DatabasePath: f.dbPath, TelegramAPIURL: "http://127.0.0.1:9", SMSOnlineAPIURL: "http://127.0.0.1:9"}
	err := run(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err == nil {
		t.Fatal("the bot started without its key")
	}
	var serr startError
	if !errors.As(err, &serr) || !errors.Is(err, store.ErrKeyMissing) {
		t.Errorf("run = %v, want a start error with ErrKeyMissing", err)
	}
	msg := err.Error()
	for _, want := range []string{store.KeyFilePath(f.dbPath), "restore", "BOT_ENCRYPTION_KEY"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if strings.Contains(logs.String(), "back it up") {
		t.Errorf("the bot logged a new key:\n%s", logs.String())
	}
	if after := folderState(t, dir, allFiles); after != before {
		t.Errorf("the data folder changed:\nbefore %s\nafter  %s", before, after)
	}
}
