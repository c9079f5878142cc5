package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// litestreamInstall is how README's Backups section installs the tested
// Litestream.
const litestreamInstall = "go install github.com/benbjohnson/litestream/cmd/litestream@v0.5.18"

// s3Bucket is the bucket of the S3-compatible replica in litestream.yml,
// which SMSBOT_LITESTREAM_S3 must serve.
const s3Bucket = "smsbot-backups"

// TestLitestreamRestore proves README's backup recipe with the real
// litestream binary and the shipped litestream.yml: the bot runs with
// watched orders and SMS codes waiting in its outbox (Telegram refuses every
// sendMessage), Litestream replicates the database to the file replica of
// litestream.yml (or, with SMSBOT_LITESTREAM_S3=<endpoint URL>, to its
// S3-compatible replica in that server's bucket smsbot-backups), the
// host is lost but for the replica and the separately kept key file, and
// the database restored into a new folder starts a bot that delivers the
// waiting codes once and still watches the orders. Without the key file the
// restored database refuses to start, with one line, and nothing changes.
func TestLitestreamRestore(t *testing.T) {
	if os.Getenv("SMSBOT_LITESTREAM") != "1" {
		t.Skip("set SMSBOT_LITESTREAM=1 to replicate and restore with the real litestream binary")
	}
	ls := newLitestream(t)
	out, err := ls.run("version")
	if err != nil {
		t.Fatalf("litestream version: %v\n%s", err, out)
	}
	t.Logf("litestream %s (%s)", bytes.TrimSpace(out), ls.bin)

	bin := smsbotBinary(t)
	tg := telegramtest.New(t)
	sms := smsapitest.New(t)
	const key = "sk-backup-test-8642"
	sms.AddAccount("777", key, 1500)
	orders := []string{"555", "556", "557"}
	for _, id := range orders {
		sms.AddOrder("777", smsapitest.NewOrder(id))
	}
	codes := map[string]string{"555": "864209", "556": "310577"} // 557 gets none
	user := telegramtest.User{ID: 1001, FirstName: "Alice"}
	chat := telegramtest.PrivateChat(user)

	root := t.TempDir()
	host := filepath.Join(root, "host") // the machine that will be lost
	liveDB := filepath.Join(host, "data", "bot.db")
	replica := filepath.Join(root, "replica") // a folder, or the path in the bucket
	if ls.s3Endpoint != "" {
		replica = fmt.Sprintf("smsbot-test-%d/bot.db", time.Now().UnixNano())
		t.Logf("S3-compatible replica s3://%s/%s at %s", s3Bucket, replica, ls.s3Endpoint)
	}
	keyBackup := filepath.Join(root, "key-backup", "bot.db.key")
	config := ls.config(t, filepath.Join(root, "litestream.yml"), liveDB, replica) // kept apart from the host, like the replica
	env := func(dbPath string) []string {
		return fakesEnv(tg, sms.URL, dbPath, "POLL_INTERVAL=1s",
			"LOG_LEVEL=debug",
		)
	}

	// The bot runs, an account is linked and three orders are watched.
	first := startBinary(t, bin, env(liveDB))
	tg.SendText(user, chat, "/login 777 "+key)
	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.Sent(), loginOK("777", 1500)) == 1 })
	for _, id := range orders {
		tg.SendText(user, chat, "/order "+id)
	}
	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.Sent(), en.T(message.Watching)) == len(orders) })
	// The operator's one-time backup of the key file, as README says.
	copyFile(t, store.KeyFilePath(liveDB), keyBackup)

	// Telegram refuses every sendMessage; two codes arrive and wait.
	tg.InjectFault(telegramtest.Fault{Method: "sendMessage", Code: 502})
	for id, code := range codes {
		sms.DeliverSMS("777", id, "Your code is "+code)
	}
	tg.WaitFor(t, 30*time.Second, func() bool {
		for _, code := range codes {
			if !refused(tg, "<code>"+code+"</code>") {
				return false
			}
		}
		return true
	})
	first.waitOutput(t, `msg="send failed, will retry"`, 10*time.Second)
	t.Log("both codes refused by Telegram and waiting in the outbox")

	// Litestream replicates until the replica holds them and the watches.
	stream := ls.start(t, "replicate", "-config", config)
	rc := &replicaCheck{ls: ls, scratch: filepath.Join(root, "scratch"), keyFile: keyBackup, userID: user.ID}
	stream.waitOutput(t, `msg="replicating to"`, 10*time.Second)
	for line := range strings.Lines(stream.out.String()) {
		if strings.Contains(line, `msg="replicating to"`) {
			t.Logf("litestream: %s", strings.TrimSpace(line))
		}
	}
	rc.waitFor(t, config, liveDB, "the 3 watches and the 2 waiting codes", func(watched []string, waiting []store.Message) bool {
		return holdsAll(watched, orders) && holdsCodes(waiting, codes)
	})

	// The host is lost: the bot and Litestream die, and so does the disk.
	for _, p := range []*binaryRun{first, stream} {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
	if err := os.RemoveAll(host); err != nil {
		t.Fatal(err)
	}

	// Restore into a new folder from the replica alone.
	newDB := filepath.Join(root, "new", "data", "bot.db")
	out, err = ls.run("restore", "-config", config, "-o", newDB, liveDB)
	if err != nil {
		t.Fatalf("litestream restore: %v\n%s", err, out)
	}
	fi, err := os.Stat(newDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("litestream restore -o %s: ok, %d bytes, mode %v", newDB, fi.Size(), fi.Mode())

	// Without the key file the bot refuses, in one line, and writes nothing.
	before := folderState(t, filepath.Dir(newDB), allFiles)
	keyless := startBinary(t, bin, env(newDB))
	if err := keyless.wait(t, 20*time.Second); err == nil {
		t.Fatalf("the bot started on a restored database without its key file; output:\n%s", keyless.out.String())
	}
	var errLines []string
	for line := range strings.Lines(keyless.out.String()) {
		if strings.Contains(line, "level=ERROR") {
			errLines = append(errLines, strings.TrimSpace(line))
		}
	}
	want := "database " + newDB + " exists but its key file " + store.KeyFilePath(newDB) + " is missing"
	if len(errLines) != 1 || !strings.Contains(errLines[0], want) || !strings.Contains(errLines[0], "nothing was changed") {
		t.Errorf("without the key file: want one error line saying %q; output:\n%s", want, keyless.out.String())
	} else {
		t.Logf("without the key file: %s", errLines[0])
	}
	if after := folderState(t, filepath.Dir(newDB), allFiles); after != before {
		t.Errorf("the refused start changed the restored folder:\nbefore %v\nafter  %v", before, after)
	}

	// The key file put back and Telegram healed, the restored bot delivers
	// the waiting codes once and still watches every order.
	copyFile(t, keyBackup, store.KeyFilePath(newDB))
	if err := os.Chmod(newDB, 0o600); err != nil { // the outbox holds SMS codes
		t.Fatal(err)
	}
	tg.ClearFaults()
	restored := startBinary(t, bin, env(newDB))
	started := time.Now()
	tg.WaitFor(t, 60*time.Second, func() bool {
		for _, code := range codes {
			if countSent(tg.Sent(), "<code>"+code+"</code>") == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("restored bot delivered both waiting codes %v after its start", time.Since(started).Round(100*time.Millisecond))
	tg.SendText(user, chat, "/orders")
	watching3 := firstLine(en.WatchList(make([]message.Watch, len(orders)), time.Time{}))
	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.Sent(), watching3) == 1 })
	for _, m := range tg.SentTo(chat.ID) {
		if strings.Contains(m.Text, watching3) {
			for _, id := range orders {
				if !strings.Contains(m.Text, "<code>"+id+"</code>") {
					t.Errorf("/orders after the restore does not list order %s:\n%s", id, m.Text)
				}
			}
			t.Logf("/orders after the restore: %q", m.Text)
		}
	}

	// Litestream on the restored database goes on into the same replica:
	// a watch stopped now is gone from the next restore.
	newConfig := ls.config(t, filepath.Join(root, "litestream-new.yml"), newDB, replica)
	ls.start(t, "replicate", "-config", newConfig)
	tg.SendText(user, chat, "/stop 557")
	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.Sent(), en.StoppedWatching("557")) == 1 })
	rc.waitFor(t, newConfig, newDB, "the /stop 557 made after the restore", func(watched []string, _ []store.Message) bool {
		return holdsAll(watched, []string{"555", "556"}) && !slices.Contains(watched, "557")
	})

	// One more check of each order with a code: no second push.
	for id := range codes {
		waitChecks(t, tg, sms, "777", id, checksOf(sms, "777", id), 1)
	}
	restored.terminate(t)
	for id, code := range codes {
		if n := countSent(tg.Sent(), "<code>"+code+"</code>"); n != 1 {
			t.Errorf("order %s: code pushed %d times after the restore, want 1", id, n)
		}
	}
	assertNoSecretsLogged(t, []*binaryRun{first, restored, stream}, key, tg.Token)
}

// litestream runs the litestream binary: $LITESTREAM, else litestream
// from PATH.
type litestream struct {
	bin        string
	env        []string
	s3Endpoint string // SMSBOT_LITESTREAM_S3: replicate to S3, not a folder
}

// newLitestream finds the binary; the test is skipped without one.
func newLitestream(t *testing.T) *litestream {
	t.Helper()
	ls := &litestream{bin: os.Getenv("LITESTREAM"), env: os.Environ(), s3Endpoint: os.Getenv("SMSBOT_LITESTREAM_S3")}
	if ls.bin == "" {
		p, err := exec.LookPath("litestream")
		if err != nil {
			t.Skipf("litestream is not in PATH and $LITESTREAM is not set; install it with `%s`", litestreamInstall)
		}
		ls.bin = p
	}
	if ls.s3Endpoint != "" {
		// Litestream 0.5.18 cannot load its S3 client at all when
		// AWS_CA_BUNDLE is set ("unable to add custom RootCAs").
		ls.env = slices.DeleteFunc(ls.env, func(kv string) bool { return strings.HasPrefix(kv, "AWS_CA_BUNDLE=") })
		for _, v := range []string{"LITESTREAM_ACCESS_KEY_ID", "LITESTREAM_SECRET_ACCESS_KEY"} {
			if os.Getenv(v) == "" {
				ls.env = append(ls.env, v+"=smsbot-test") // enough for a local fake
			}
		}
	}
	return ls
}

// run runs litestream with args and returns what it wrote.
func (ls *litestream) run(args ...string) ([]byte, error) {
	cmd := exec.Command(ls.bin, args...)
	cmd.Env = ls.env
	return cmd.CombinedOutput()
}

// start starts litestream with args until the test ends.
func (ls *litestream) start(t *testing.T, args ...string) *binaryRun {
	t.Helper()
	return startBinary(t, ls.bin, ls.env, args...)
}

// config writes the shipped litestream.yml to path for the database db and
// returns path. The container's database, /data/bot.db, becomes db; the
// file replica's folder, /replica, becomes replica; or, with an S3
// endpoint, the commented S3-compatible replica replaces the file replica,
// at ls.s3Endpoint, with replica as the path in the bucket.
func (ls *litestream) config(t *testing.T, path, db, replica string) string {
	t.Helper()
	shipped, err := os.ReadFile("litestream.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(shipped)
	replace := func(old, new string) {
		t.Helper()
		if !strings.Contains(cfg, old) {
			t.Fatalf("litestream.yml has no %q", old)
		}
		cfg = strings.Replace(cfg, old, new, 1)
	}
	replace("path: /data/bot.db\n", "path: "+db+"\n")
	if ls.s3Endpoint == "" {
		replace("path: /replica\n", "path: "+replica+"\n")
	} else {
		cfg = s3Replica(t, cfg)
		replace("endpoint: https://s3.example.com\n", "endpoint: "+ls.s3Endpoint+"\n")
		replace("bucket: "+s3Bucket+"\n", "bucket: "+s3Bucket+"\n") // the bucket SMSBOT_LITESTREAM_S3 serves
		replace("path: bot.db\n", "path: "+replica+"\n")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// s3Replica turns litestream.yml's active file replica into a comment and
// its commented S3-compatible replica into the active one, as README tells
// the operator to.
func s3Replica(t *testing.T, cfg string) string {
	t.Helper()
	var out []string
	state := "" // "file" inside the active file replica, "s3" inside the commented one
	for line := range strings.Lines(cfg) {
		switch {
		case line == "    replica:\n":
			state = "file"
		case state == "file" && !strings.HasPrefix(line, "      "):
			state = ""
		case line == "    # replica:\n":
			state = "s3"
		case state == "s3" && !strings.HasPrefix(line, "    #   "):
			state = ""
		}
		switch state {
		case "file":
			line = "#" + line
		case "s3":
			line = "    " + strings.TrimPrefix(line, "    # ")
		}
		out = append(out, line)
	}
	s3 := strings.Join(out, "")
	if !strings.Contains(s3, "\n    replica:\n      type: s3\n") || strings.Contains(s3, "\n      type: file\n") {
		t.Fatalf("litestream.yml: can't swap the file replica for the S3 one; got:\n%s", s3)
	}
	return s3
}

// replicaCheck restores a replica into fresh scratch folders and reads
// the copy as the bot would, with the key in keyFile.
type replicaCheck struct {
	ls               *litestream
	scratch, keyFile string
	userID           int64
	restores         int
}

// waitFor restores db's replica (as config names it) every half second
// until the copy's watches of userID and its waiting messages satisfy ok.
func (rc *replicaCheck) waitFor(t *testing.T, config, db, what string, ok func(watched []string, waiting []store.Message) bool) {
	t.Helper()
	key, err := store.ReadKeyFile(rc.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	first := rc.restores + 1
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		rc.restores++
		copyPath := filepath.Join(rc.scratch, fmt.Sprint(rc.restores), "bot.db")
		out, err := rc.ls.run("restore", "-config", config, "-o", copyPath, db)
		if err == nil && ok(readCopy(t, copyPath, key, rc.userID)) {
			t.Logf("replica holds %s (restore %d of this wait)", what, rc.restores-first+1)
			return
		}
		if err != nil {
			t.Logf("replica not ready: %v: %s", err, bytes.TrimSpace(out))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not get %s within 60s", what)
		}
	}
}

// readCopy opens a restored copy of the database and returns the orders
// userID watches and every message waiting in the outbox.
func readCopy(t *testing.T, path string, key []byte, userID int64) (watched []string, waiting []store.Message) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, key)
	if err != nil {
		t.Fatalf("open the restored copy: %v", err)
	}
	defer st.Close()
	watches, err := st.Watches(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range watches {
		watched = append(watched, w.OrderID)
	}
	if waiting, err = st.DueMessages(ctx, time.Now().Add(24*time.Hour), 100); err != nil {
		t.Fatal(err)
	}
	return watched, waiting
}

// holdsAll reports whether have has every one of want.
func holdsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// holdsCodes reports whether every code waits in one of messages.
func holdsCodes(messages []store.Message, codes map[string]string) bool {
	for _, code := range codes {
		if !slices.ContainsFunc(messages, func(m store.Message) bool { return strings.Contains(m.Text, "<code>"+code+"</code>") }) {
			return false
		}
	}
	return true
}

// refused reports whether Telegram refused a sendMessage whose text has want.
func refused(tg *telegramtest.Server, want string) bool {
	for _, c := range tg.CallsTo("sendMessage") {
		if c.Status >= 500 && strings.Contains(c.Params["text"], want) {
			return true
		}
	}
	return false
}

// copyFile copies src to dst (mode 0600), creating dst's folder.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
