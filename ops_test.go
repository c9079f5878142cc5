package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// httpGet returns the status and body of a GET, or 0 when nothing answers.
func httpGet(url string) (int, string) {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestHealthMetricsAndJSONLogs runs the binary as an operator would: the
// health check turns healthy, `smsbot healthcheck` agrees, /metrics counts
// what happened without a user id or secret in it, and LOG_FORMAT=json
// writes JSON. (The reasons for unhealthy are bot.TestHealth's: a Telegram
// outage shows only after a 50 s long poll here.)
func TestHealthMetricsAndJSONLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := smsbotBinary(t)
	tg := telegramtest.New(t)
	sms := smsapitest.New(t)
	const key = "sk-ops-test-97531"
	sms.AddAccount("777", key, 1500)
	sms.AddOrder("777", smsapitest.NewOrder("555"))
	user := telegramtest.User{ID: 1001, FirstName: "Alice"}
	chat := telegramtest.PrivateChat(user)
	healthAddr, metricsAddr := freeAddr(t), freeAddr(t)
	env := fakesEnv(tg, sms.URL, filepath.Join(t.TempDir(), "bot.db"),
		"HEALTH_ADDR="+healthAddr,
		"METRICS_ADDR="+metricsAddr,
		"LOG_FORMAT=json",
		"LOG_LEVEL=debug",
	)
	run := startBinary(t, bin, env)
	healthcheck := func() (int, string) {
		cmd := exec.Command(bin, "healthcheck")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode(), string(out)
		}
		return 0, string(out)
	}

	tg.WaitFor(t, 20*time.Second, func() bool { code, _ := httpGet("http://" + healthAddr + "/healthz"); return code == 200 })
	if code, out := healthcheck(); code != 0 {
		t.Errorf("smsbot healthcheck exited %d: %s", code, out)
	}
	stopped := append(env[:len(env):len(env)], "HEALTH_ADDR="+freeAddr(t))
	cmd := exec.Command(bin, "healthcheck")
	cmd.Env = stopped
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "smsbot healthcheck:") {
		t.Errorf("healthcheck of a bot that is not running: %v, %q", err, out)
	}

	tg.SendText(user, chat, "/login 777 "+key)
	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.Sent(), loginOK("777", 1500)) == 1 })
	tg.SendText(user, chat, "/order 555")
	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.Sent(), cardTitle("555")) == 1 })
	var body string
	tg.WaitFor(t, 20*time.Second, func() bool {
		_, body = httpGet("http://" + metricsAddr + "/metrics")
		return strings.Contains(body, `smsbot_watches{state="active"} 1`)
	})
	for _, want := range []string{
		`smsbot_updates_total{type="message"} 2`,
		`smsbot_commands_total{command="login"} 1`,
		`smsbot_commands_total{command="order"} 1`,
		`smsbot_smsonline_requests_total{call="get order",outcome="ok"}`,
		`smsbot_smsonline_request_duration_seconds_count{call="balance"} 1`,
		`smsbot_telegram_requests_total{method="sendMessage",outcome="ok"}`,
		`smsbot_outbox_messages 0`,
		"smsbot_check_lag_seconds_count",
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, secret := range []string{key, tg.Token, "1001", "555", "777"} {
		for _, line := range strings.Split(body, "\n") {
			// The series name and labels, not the sample value (which may hold any digits).
			series, _, _ := strings.Cut(line, " ")
			if strings.HasPrefix(line, "smsbot_") && strings.Contains(series, secret) {
				t.Errorf("/metrics line carries %q: %s", secret, line)
			}
		}
	}

	// Telegram stops answering long polling: unhealthy, with the reason.
	run.terminate(t)
	lines := strings.Split(strings.TrimSpace(run.out.String()), "\n")
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] == nil || rec["level"] == nil {
			t.Errorf("LOG_FORMAT=json wrote a line that is not a JSON record: %q", line)
			break
		}
	}
	if strings.Contains(run.out.String(), key) {
		t.Error("the API key appears in the logs")
	}
}
