package dockertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// The uid and gid the image runs as (distroless's nonroot).
const nonroot = 65532

// The SMSOnline account the test user links.
const (
	smsUser = "777"
	smsKey  = "sk-docker-test-1357"
)

// TestDocker runs the image named by SMSBOT_DOCKER_IMAGE as an admin would,
// on the host network so that it reaches the fakes on 127.0.0.1, and prints
// one PASS or FAIL line per check for scripts/docker-test.
func TestDocker(t *testing.T) {
	if os.Getenv("SMSBOT_DOCKER_TEST") != "1" {
		t.Skip("needs Docker and an image; run scripts/docker-test")
	}
	image := os.Getenv("SMSBOT_DOCKER_IMAGE")
	if image == "" {
		t.Fatal("SMSBOT_DOCKER_IMAGE is not set")
	}
	tg := telegramtest.New(t)
	sms := smsapitest.New(t)
	sms.AddAccount(smsUser, smsKey, 1500)
	d := &dockerRun{image: image, prefix: fmt.Sprintf("smsbot-test-%d-", os.Getpid()),
		fakes: []string{"-e", "TELEGRAM_API_URL=" + tg.URL, "-e", "SMSONLINE_API_URL=" + sms.URL}}
	token := []string{"-e", "TELEGRAM_BOT_TOKEN=" + tg.Token}

	// README: docker run -d --name smsbot --restart unless-stopped \
	//   -e TELEGRAM_BOT_TOKEN=... -v smsbot-data:/data smsbot
	// --health-interval only makes "healthy" come sooner than in 30 s.
	alice := telegramtest.User{ID: 1001, FirstName: "Alice"}
	vol := d.volume(t, "data")
	ctr := d.start(t, "main", append(append(token, "--restart", "unless-stopped", "--health-interval=2s"), "-v", vol+":/data")...)
	dataDir := docker(t, "volume", "inspect", "-f", "{{.Mountpoint}}", vol)
	waitFor(t, 30*time.Second, "the bot starts", func() bool { return strings.Contains(logs(t, ctr), "smsbot starting") })

	check(t, "runs as uid 65532", func(t *testing.T) {
		if user := docker(t, "image", "inspect", "-f", "{{.Config.User}}", image); user != "65532:65532" {
			t.Errorf("image USER %q, want 65532:65532", user)
		}
		pid := docker(t, "inspect", "-f", "{{.State.Pid}}", ctr)
		for _, field := range []string{"Uid", "Gid"} {
			if ids := procStatus(t, pid, field); ids != strings.Repeat(strconv.Itoa(nonroot)+" ", 4) {
				t.Errorf("the bot's %s: %s, want 65532 for each", field, ids)
			}
		}
	})
	check(t, "creates bot.db and the key file in /data, mode 0600", func(t *testing.T) {
		for _, name := range []string{"bot.db", "bot.db.key"} {
			assertOwnFile(t, filepath.Join(dataDir, name))
		}
	})
	check(t, "answers /start", func(t *testing.T) {
		say(t, tg, alice, "/start", "")
	})
	check(t, "becomes healthy", func(t *testing.T) {
		waitHealthy(t, ctr)
	})
	check(t, "keeps its data across docker restart", func(t *testing.T) {
		say(t, tg, alice, "/login "+smsUser+" "+smsKey, "Linked to SMSOnline account")
		keyBefore := readFile(t, filepath.Join(dataDir, "bot.db.key"))
		docker(t, "restart", ctr)
		say(t, tg, alice, "/balance", "Balance: <b>$15.00</b>")
		if keyAfter := readFile(t, filepath.Join(dataDir, "bot.db.key")); keyAfter != keyBefore {
			t.Error("the key file changed across the restart")
		}
		if n := countSent(tg, alice, "Linked to SMSOnline account"); n != 1 {
			t.Errorf("/login answered %d times, want 1 (updates from before the restart handled again)", n)
		}
	})
	check(t, "stops on docker stop within 5s with exit 0", func(t *testing.T) {
		start := time.Now()
		docker(t, "stop", ctr) // Docker's grace is 10 s, then SIGKILL
		took := time.Since(start)
		if took > 5*time.Second {
			t.Errorf("docker stop took %v", took.Round(time.Millisecond))
		}
		if code := docker(t, "inspect", "-f", "{{.State.ExitCode}}", ctr); code != "0" {
			t.Errorf("exit code %s, want 0", code)
		}
		if out := logs(t, ctr); !strings.Contains(out, `msg="smsbot stopped"`) {
			t.Errorf("no clean stop in the log:\n%s", out)
		}
		t.Logf("docker stop took %v", took.Round(time.Millisecond))
	})
	d.remove(t, ctr) // whatever the checks above did, no second bot polls beside the next

	check(t, "keeps /data with --env-file .env made from .env.example", func(t *testing.T) {
		bob := telegramtest.User{ID: 1002, FirstName: "Bob"}
		env := envFile(t, map[string]string{"TELEGRAM_BOT_TOKEN": tg.Token, "TELEGRAM_API_URL": tg.URL, "SMSONLINE_API_URL": sms.URL})
		vol := d.volume(t, "envfile")
		c := d.start(t, "envfile", "--restart", "unless-stopped", "--env-file", env, "-v", vol+":/data")
		say(t, tg, bob, "/start", "")
		dir := docker(t, "volume", "inspect", "-f", "{{.Mountpoint}}", vol)
		for _, name := range []string{"bot.db", "bot.db.key", "bot.db.lock"} {
			assertOwnFile(t, filepath.Join(dir, name))
		}
		out := logs(t, c)
		if !strings.Contains(out, `msg="using database" path=/data/bot.db`) || len(volumeWarnings(out)) != 0 {
			t.Errorf("want the database at /data/bot.db and no volume warning:\n%s", out)
		}
		d.remove(t, c)
	})
	check(t, "--read-only without a volume: runs, one warning line (anonymous volume)", func(t *testing.T) {
		carol := telegramtest.User{ID: 1003, FirstName: "Carol"}
		c := d.start(t, "readonly", append(token, "--read-only")...)
		say(t, tg, carol, "/start", "")
		out := logs(t, c)
		if warns := volumeWarnings(out); len(warns) != 1 || !strings.Contains(warns[0], "anonymous volume") ||
			len(linesWith(out, "level=ERROR")) != 0 {
			t.Errorf("want one warning naming the anonymous volume and no error:\n%s", out)
		}
		t.Logf("%s", strings.Join(volumeWarnings(out), ""))
		d.remove(t, c)
	})
	check(t, "read-only bind mount (-v ./data:/data:ro): one error line", func(t *testing.T) {
		dir := hostFolder(t, nonroot) // owned by the bot's uid: read-only is the only thing wrong
		line := d.failingStart(t, append(token, "-v", dir+":/data:ro")...)
		for _, want := range []string{"/data", "read-only", "without :ro"} {
			if !strings.Contains(line, want) {
				t.Errorf("error line lacks %q:\n%s", want, line)
			}
		}
	})
	check(t, "root-owned bind mount: one error line naming uid 65532 and the chown that fixes it", func(t *testing.T) {
		dir := hostFolder(t, 0)
		line := d.failingStart(t, append(token, "-v", dir+":/data")...)
		for _, want := range []string{"/data", "uid 65532", "chown 65532:65532 ./data", "docker run --user"} {
			if !strings.Contains(line, want) {
				t.Errorf("error line lacks %q:\n%s", want, line)
			}
		}
		if strings.Contains(line, "BOT_ENCRYPTION_KEY") {
			t.Errorf("error line still suggests BOT_ENCRYPTION_KEY:\n%s", line)
		}
		// The fix the line gives works.
		if err := os.Chown(dir, nonroot, nonroot); err != nil {
			t.Fatal(err)
		}
		dave := telegramtest.User{ID: 1004, FirstName: "Dave"}
		c := d.start(t, "chowned", append(token, "-v", dir+":/data")...)
		say(t, tg, dave, "/start", "")
		assertOwnFile(t, filepath.Join(dir, "bot.db"))
		d.remove(t, c)
	})
}

// check runs one check as a subtest and prints its verdict line.
func check(t *testing.T, name string, f func(t *testing.T)) {
	verdict := "PASS"
	if !t.Run(name, f) {
		verdict = "FAIL"
	}
	fmt.Printf("%s %s\n", verdict, name)
}

// dockerRun starts containers of one image on the host network, named
// after this test process so that parallel runs do not collide.
type dockerRun struct {
	image  string
	prefix string
	fakes  []string // -e flags pointing the bot at the fakes
}

// volume creates a named volume, removed when the test ends.
func (d *dockerRun) volume(t *testing.T, name string) string {
	t.Helper()
	name = d.prefix + name
	docker(t, "volume", "create", name)
	t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", name).Run() })
	return name
}

// start runs the image detached with args and returns the container's name;
// the container is removed when the test ends.
func (d *dockerRun) start(t *testing.T, name string, args ...string) string {
	t.Helper()
	name = d.prefix + name
	run := append([]string{"run", "-d", "--name", name, "--network=host"}, d.fakes...)
	docker(t, append(append(run, args...), d.image)...)
	t.Cleanup(func() { d.remove(t, name) })
	return name
}

// remove removes a container and its anonymous volumes, first showing its
// log if the test failed.
func (d *dockerRun) remove(t *testing.T, name string) {
	t.Helper()
	if t.Failed() {
		if out, err := exec.Command("docker", "logs", name).CombinedOutput(); err == nil {
			t.Logf("log of %s:\n%s", name, out)
		}
	}
	exec.Command("docker", "rm", "-f", "-v", name).Run()
}

// failingStart runs the image in the foreground with args, expects it to
// stop at once with exit code 1 and one error line, and returns that line.
func (d *dockerRun) failingStart(t *testing.T, args ...string) string {
	t.Helper()
	name := d.prefix + "failing"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := append([]string{"run", "--rm", "--name", name, "--network=host"}, d.fakes...)
	out, err := exec.CommandContext(ctx, "docker", append(append(run, args...), d.image)...).CombinedOutput()
	exec.Command("docker", "rm", "-f", "-v", name).Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want exit code 1; output:\n%s", err, out)
	}
	errs := linesWith(string(out), "level=ERROR")
	if len(errs) != 1 {
		t.Fatalf("%d error lines, want 1:\n%s", len(errs), out)
	}
	t.Logf("%s", errs[0])
	return errs[0]
}

// docker runs the docker command and returns its output, trimmed.
func docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// logs is everything the container has written so far.
func logs(t testing.TB, name string) string {
	t.Helper()
	return docker(t, "logs", name) + "\n"
}

// waitHealthy waits for Docker to call the container healthy; unhealthy
// ends the wait with the health check's own output.
func waitHealthy(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		switch status := docker(t, "inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", name); status {
		case "healthy":
			return
		case "":
			t.Fatal("the container has no health check")
		case "unhealthy":
			t.Fatalf("unhealthy: %s", docker(t, "inspect", "-f", "{{json .State.Health.Log}}", name))
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy within a minute: %s", docker(t, "inspect", "-f", "{{json .State.Health}}", name))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitFor polls cond until it holds, for up to timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// say sends text from u in its private chat and waits for a reply that
// contains want ("" for any reply).
func say(t *testing.T, tg *telegramtest.Server, u telegramtest.User, text, want string) {
	t.Helper()
	chat := telegramtest.PrivateChat(u)
	before := len(tg.SentTo(chat.ID))
	tg.SendText(u, chat, text)
	tg.WaitFor(t, 30*time.Second, func() bool {
		for _, m := range tg.SentTo(chat.ID)[before:] {
			if strings.Contains(m.Text, want) {
				return true
			}
		}
		return false
	})
}

// countSent counts the messages to u's private chat that contain want.
func countSent(tg *telegramtest.Server, u telegramtest.User, want string) int {
	n := 0
	for _, m := range tg.SentTo(telegramtest.PrivateChat(u).ID) {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// volumeWarnings are the bot's warnings that its database would be lost
// with the container.
func volumeWarnings(logs string) []string {
	var warns []string
	for _, line := range linesWith(logs, "level=WARN") {
		if strings.Contains(line, "not on a volume") {
			warns = append(warns, line)
		}
	}
	return warns
}

// linesWith returns the lines of text that contain want.
func linesWith(text, want string) []string {
	var lines []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, want) {
			lines = append(lines, line)
		}
	}
	return lines
}

// procStatus returns the ids of a field (Uid, Gid) of process pid's
// /proc status, each followed by a space.
func procStatus(t *testing.T, pid, field string) string {
	t.Helper()
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strings.Join(strings.Fields(rest), " ") + " "
		}
	}
	t.Fatalf("no %s in /proc/%s/status", field, pid)
	return ""
}

// assertOwnFile checks that the bot created path: it exists, belongs to
// uid 65532 and only its owner may read it.
func assertOwnFile(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s: mode %04o, want 0600", path, perm)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != nonroot {
		t.Errorf("%s: owner uid %d, want 65532", path, st.Uid)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// hostFolder is a folder on the host, as `mkdir ./data` makes it (0755),
// owned by uid (and gid) owner, for a bind mount.
func hostFolder(t *testing.T, owner int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, owner, owner); err != nil {
		t.Fatal(err)
	}
	return dir
}

// envFile writes the README's .env: .env.example with the values in set
// filled in, and returns its path.
func envFile(t *testing.T, set map[string]string) string {
	t.Helper()
	example, err := os.ReadFile(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for line := range strings.Lines(string(example)) {
		if k, _, ok := strings.Cut(line, "="); ok {
			if v, found := set[k]; found {
				line = k + "=" + v + "\n"
			}
		}
		b.WriteString(line)
	}
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
