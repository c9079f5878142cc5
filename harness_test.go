package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// The one harness for tests that run the real binary (secrets, crash,
// disk and rotate-key tests): build it once, run it with an environment,
// read its log, wait for what it does, stop it.

// builtBinary is the smsbot binary the tests share: built once, on first
// use, and removed by TestMain.
var builtBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// smsbotBinary returns the path of the bot built from this package. The
// first call builds it; later calls, also from parallel tests, reuse it.
func smsbotBinary(t *testing.T) string {
	t.Helper()
	b := &builtBinary
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "smsbot-test-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "smsbot")
		if out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// TestMain removes the shared binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary.dir != "" {
		os.RemoveAll(builtBinary.dir)
	}
	os.Exit(code)
}

// botEnv is this process's environment without any variable the bot reads,
// plus vars ("KEY=value").
func botEnv(vars ...string) []string {
	ours := append(configKeys(), envKeys(reflect.TypeFor[rotateConfig]())...)
	ours = append(ours, envKeys(reflect.TypeFor[checkConfig]())...)
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(ours, k) {
			env = append(env, kv)
		}
	}
	// Tests run several bots at once: each health server takes a free port.
	env = append(env, "HEALTH_ADDR=127.0.0.1:0")
	return append(env, vars...)
}

// fakesEnv is botEnv for a bot that talks to the fake Telegram tg and the
// fake SMSOnline at smsURL and keeps its database at dbPath, plus vars.
func fakesEnv(tg *telegramtest.Server, smsURL, dbPath string, vars ...string) []string {
	return botEnv(append([]string{
		"TELEGRAM_BOT_TOKEN=" + tg.Token,
		"TELEGRAM_API_URL=" + tg.URL,
		"SMSONLINE_API_URL=" + smsURL,
		"DATABASE_PATH=" + dbPath,
	}, vars...)...)
}

// binaryRun is a running smsbot process and everything it wrote.
type binaryRun struct {
	cmd    *exec.Cmd
	out    *outputBuffer
	exited chan struct{}
	err    error // valid once exited is closed
}

// startBinary starts bin with env and args; the process is killed when the
// test ends if it still runs.
func startBinary(t *testing.T, bin string, env []string, args ...string) *binaryRun {
	t.Helper()
	p := &binaryRun{cmd: exec.Command(bin, args...), out: &outputBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// wait waits up to timeout for the process to exit and returns its error.
func (p *binaryRun) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("smsbot still running after %v; output:\n%s", timeout, p.out.String())
		return nil
	}
}

// terminate stops the bot as `docker stop` would and expects a clean exit.
func (p *binaryRun) terminate(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t, 10*time.Second); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

// waitOutput waits until the process wrote want.
func (p *binaryRun) waitOutput(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("smsbot did not write %q within %v; output:\n%s", want, timeout, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitOutputCount waits until the process wrote want at least n times.
func (p *binaryRun) waitOutputCount(t *testing.T, want string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for strings.Count(p.out.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("smsbot did not write %q %d times within %v; output:\n%s", want, n, timeout, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertNoSecretsLogged fails the test when what any of runs wrote holds
// one of secrets.
func assertNoSecretsLogged(t *testing.T, runs []*binaryRun, secrets ...string) {
	t.Helper()
	for _, r := range runs {
		for _, secret := range secrets {
			if out := r.out.String(); strings.Contains(out, secret) {
				t.Errorf("a secret appears in the logs:\n%s", out)
				break
			}
		}
	}
}

// outputBuffer collects a child's stdout and stderr.
type outputBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *outputBuffer) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *outputBuffer) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// en is the catalogue the bot speaks to users who chose no language.
var en = message.English

// say sends text as user in user's private chat and returns the bot's next
// answer there.
func say(t *testing.T, tg *telegramtest.Server, user telegramtest.User, text string) string {
	t.Helper()
	chat := telegramtest.PrivateChat(user)
	before := len(tg.SentTo(chat.ID))
	tg.SendText(user, chat, text)
	tg.WaitFor(t, 20*time.Second, func() bool { return len(tg.SentTo(chat.ID)) > before })
	return tg.SentTo(chat.ID)[before].Text
}

// countSent counts the messages among msgs (tg.Sent(), tg.SentTo(chat))
// whose text contains want.
func countSent(msgs []telegramtest.SentMessage, want string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// balanceOf is an account's balance of cents, as the texts show it.
func balanceOf(cents int64) message.Balance { return message.Balance{Amount: message.Cents(cents)} }

// loginOK is the answer to a /login of smsUserID's account holding cents.
func loginOK(smsUserID string, cents int64) string { return en.LoginOK(balanceOf(cents), smsUserID) }

// firstLine is the first line of a text.
func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// cardTitle is the first line of the card of order id.
func cardTitle(id string) string { return firstLine(en.Card(message.Order{ID: id}, time.Time{})) }

// checksOf counts the requests that looked at orderID of SMSOnline user
// smsUserID at the fake: lookups of the order and inventories of its account.
func checksOf(sms *smsapitest.Server, smsUserID, orderID string) int {
	n := 0
	for _, rq := range sms.Log() {
		if rq.UserID == smsUserID && (rq.Kind == "order" && rq.OrderID == orderID || rq.Kind == "inventory") {
			n++
		}
	}
	return n
}

// waitChecks waits until orderID of smsUserID was checked n more times than
// the count since: what those checks would push again has been found by then.
func waitChecks(t *testing.T, tg *telegramtest.Server, sms *smsapitest.Server, smsUserID, orderID string, since, n int) {
	t.Helper()
	tg.WaitFor(t, 30*time.Second, func() bool { return checksOf(sms, smsUserID, orderID) >= since+n })
}
