package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// TestCrashAndRestart runs the real binary, kills it with SIGKILL while a watch
// is active, lets the SMS arrive while it is down, and starts it again on the
// same database: the code must be pushed exactly once, and the commands handled
// before the crash must not be replayed.
func TestCrashAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "smsbot")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	tg := telegramtest.New(t)
	sms := smsapitest.New(t)
	const key = "sk-crash-test-2468"
	sms.AddAccount("777", key, 1500)
	sms.AddOrder("777", smsapitest.NewOrder("555"))
	user := telegramtest.User{ID: 1001, FirstName: "Alice"}
	chat := telegramtest.PrivateChat(user)

	env := append(os.Environ(),
		"TELEGRAM_BOT_TOKEN="+tg.Token,
		"TELEGRAM_API_URL="+tg.URL,
		"SMSONLINE_API_URL="+sms.URL,
		"DATABASE_PATH="+filepath.Join(t.TempDir(), "data", "bot.db"),
		"BOT_ENCRYPTION_KEY=",
		"POLL_INTERVAL=1s",
		"LOG_LEVEL=debug",
	)
	logs := &lockedBuffer{}
	start := func() *exec.Cmd {
		cmd := exec.Command(bin)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		return cmd
	}
	waitText := func(want string) {
		t.Helper()
		tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg, want) > 0 })
	}

	first := start()
	tg.SendText(user, chat, "/login 777 "+key)
	waitText("Linked to SMSOnline account")
	tg.SendText(user, chat, "/order 555")
	waitText("I'll send the code here")

	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	sms.DeliverSMS("777", "555", "Your code is 864209")

	second := start()
	waitText("<code>864209</code>")
	time.Sleep(2500 * time.Millisecond) // two more poll intervals: no second push
	if n := countSent(tg, "<code>864209</code>"); n != 1 {
		t.Errorf("code pushed %d times, want 1", n)
	}
	if n := countSent(tg, "Linked to SMSOnline account") + countSent(tg, "<b>Order 555</b>"); n != 2 {
		t.Errorf("commands from before the crash were answered again (%d answers, want 2)", n)
	}

	// SIGTERM: a clean stop within a few seconds.
	second.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- second.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(8 * time.Second):
		t.Error("did not stop within 8s of SIGTERM")
	}
	if out := logs.String(); strings.Contains(out, key) || strings.Contains(out, tg.Token) {
		t.Errorf("a secret appears in the logs:\n%s", out)
	}
}

func countSent(tg *telegramtest.Server, want string) int {
	n := 0
	for _, m := range tg.Sent() {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// lockedBuffer collects a child's output written from two pipes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
