package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// TestNoSecretsLeak runs the real binary with LOG_LEVEL=debug through a whole
// session (failed and good /login, orders, a push, and every kind of failure
// from SMSOnline and Telegram) and then searches everything it logged and
// every file in its data folder, while running and after a clean stop, for
// the API keys and the bot token, also base64-, hex- and URL-encoded: there
// must be no hit.
func TestNoSecretsLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; waits out one SMSOnline timeout (15 s)")
	}
	t.Parallel()
	bin := smsbotBinary(t)
	tg := telegramtest.New(t)
	sms := smsapitest.New(t)

	const (
		aliceKey = "sk-live-Al1ceSecr3t-7f3a9c"
		bobKey   = "sk-live-B0bSecr3t-22e4d1"
		frankKey = "sk-live-Fr4nkSecr3t-90ab7e"
		typoKey  = "sk-live-Typ0Secr3t-51d2e8" // a wrong key a user typed is a secret too
	)
	secrets := map[string]string{"alice's api key": aliceKey, "bob's api key": bobKey, "frank's api key": frankKey, "mistyped api key": typoKey,
		"bot token": tg.Token}
	if _, secret, ok := strings.Cut(tg.Token, ":"); ok {
		secrets["bot token's secret half"] = secret
	}
	sms.AddAccount("777", aliceKey, 1500)
	sms.AddAccount("888", bobKey, 900)
	sms.AddAccount("999", frankKey, 100)
	sms.AddOrder("777", smsapitest.NewOrder("555"))
	sms.AddOrder("888", smsapitest.NewOrder("666"))
	sms.AddOrder("999", smsapitest.NewOrder("999"))
	// SMSOnline never answers the watcher's checks of order 999 (the first
	// request for it, the /order command's, is answered): the client times
	// out after 15 s, in the background of the rest of the session.
	smsURL, timedOut := silentOrderProxy(t, sms.URL, "999")
	var (
		alice = telegramtest.User{ID: 1001, FirstName: "Alice"}
		bob   = telegramtest.User{ID: 1002, FirstName: "Bob"}
		carol = telegramtest.User{ID: 1003, FirstName: "Carol"} // blocked the bot
		dave  = telegramtest.User{ID: 1004, FirstName: "Dave"}  // "chat not found"
		erin  = telegramtest.User{ID: 1005, FirstName: "Erin"}  // Telegram 500 and 429
		frank = telegramtest.User{ID: 1006, FirstName: "Frank"} // SMSOnline times out
	)

	dataDir := filepath.Join(t.TempDir(), "data")
	p := startBinary(t, bin, fakesEnv(tg, smsURL, filepath.Join(dataDir, "bot.db"),
		"POLL_INTERVAL=1s",
		"LOG_LEVEL=debug",
	))

	// sendFails sends text and waits until the bot's answer was refused.
	sendFails := func(u telegramtest.User, text string, status int) {
		t.Helper()
		before := countCalls(tg, u.ID, status)
		tg.SendText(u, telegramtest.PrivateChat(u), text)
		tg.WaitFor(t, 20*time.Second, func() bool { return countCalls(tg, u.ID, status) > before })
	}

	// Linking: refused, SMSOnline down, accepted.
	say(t, tg, alice, "/login 777 "+typoKey)
	sms.InjectFault(smsapitest.Fault{Status: 503, Match: "balance", Times: 1})
	say(t, tg, alice, "/login 777 "+aliceKey)
	if got := say(t, tg, alice, "/login 777 "+aliceKey); got != loginOK("777", 1500) {
		t.Fatalf("login answer: %q", got)
	}
	say(t, tg, bob, "/login 888 "+bobKey)
	say(t, tg, frank, "/login 999 "+frankKey)

	// SMSOnline failing in every way, on commands, while no watch exists:
	// each fault is taken by the command sent after it (faults apply in order).
	for _, step := range []struct {
		user  telegramtest.User
		fault smsapitest.Fault
	}{
		{bob, smsapitest.Fault{Status: 401, Times: 1}},
		{bob, smsapitest.Fault{Status: 429, RetryAfter: "7", Times: 1}},
		{bob, smsapitest.Fault{Status: 500, Times: 1}},
		{alice, smsapitest.Fault{Body: "<html><body>Bad gateway</body></html>", Status: 502, Times: 1}},
		{alice, smsapitest.Fault{Body: `{"ok":true,"body":[{"orderId":`, Times: 1}}, // truncated JSON
	} {
		sms.InjectFault(step.fault)
		say(t, tg, step.user, "/order 555")
	}
	say(t, tg, alice, "/order 99999") // 404
	// Good answers: these orders are watched from now on.
	say(t, tg, frank, "/order 999")
	say(t, tg, alice, "/order 555")
	say(t, tg, bob, "/order 666")

	// Telegram failing: on answers to commands...
	tg.BlockChat(carol.ID)
	sendFails(carol, "/help", 403)
	tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: dave.ID, Code: 400, Times: 1})
	sendFails(dave, "/help", 400)
	tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: erin.ID, Code: 500, Times: 1})
	sendFails(erin, "/help", 500)
	tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: erin.ID, Code: 429, RetryAfter: 1, Times: 1})
	say(t, tg, erin, "/help") // answered after retry_after
	// ...on polling...
	tg.InjectFault(telegramtest.Fault{Method: "getUpdates", Code: 502, Times: 1})
	tg.InjectFault(telegramtest.Fault{Method: "getUpdates", Code: 429, RetryAfter: 1, Times: 1})
	say(t, tg, erin, "/help")
	// ...and on pushes: alice's code arrives through a 429 and a 500; bob
	// blocked the bot by the time his arrives.
	tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: alice.ID, Code: 429, RetryAfter: 1, Times: 1})
	tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: alice.ID, Code: 500, Times: 1})
	tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: bob.ID, Code: 403, Times: 1})
	sms.DeliverSMS("777", "555", "Your Discord code is 864209")
	sms.DeliverSMS("888", "666", "Your Discord code is 135790")
	tg.WaitFor(t, 30*time.Second, func() bool {
		return countSent(tg.SentTo(alice.ID), "864209") > 0 && countCalls(tg, bob.ID, 403) > 0
	})

	// The timed-out check: the bot gave up waiting, and logged the failure
	// (the error of a timeout names the URL: a leak risk).
	tg.WaitFor(t, 30*time.Second, func() bool { return timedOut.Load() > 0 })
	p.waitOutput(t, "Client.Timeout", 10*time.Second)

	// Every fault really happened.
	var smsStatuses, tgStatuses []int
	for _, r := range sms.Log() {
		smsStatuses = append(smsStatuses, r.Status)
	}
	for _, c := range tg.Calls() {
		tgStatuses = append(tgStatuses, c.Status)
	}
	for _, want := range []int{200, 401, 404, 429, 500, 502, 503} {
		if !slices.Contains(smsStatuses, want) {
			t.Errorf("SMSOnline never answered %d", want)
		}
	}
	for _, want := range []int{400, 403, 429, 500, 502} {
		if !slices.Contains(tgStatuses, want) {
			t.Errorf("Telegram never answered %d", want)
		}
	}

	scanForSecrets(t, "data folder, bot running", dataDir, secrets)
	p.terminate(t)
	scanForSecrets(t, "data folder, bot stopped", dataDir, secrets)

	logs := p.out.String()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Error("no debug lines logged: LOG_LEVEL=debug was not in effect")
	}
	for name, secret := range secrets {
		for form, s := range encodings(secret) {
			if i := strings.Index(logs, s); i >= 0 {
				t.Errorf("%s (%s) appears in the log:\n%s", name, form, lineAround(logs, i))
			}
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", logs)
	}
}

// silentOrderProxy forwards every request to target except those for the
// order with id orderID after the first: those it never answers. It
// returns its URL and a count of the requests whose client gave up.
func silentOrderProxy(t *testing.T, target, orderID string) (string, *atomic.Int32) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(u)
	var seen, gaveUp atomic.Int32
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/order/"+orderID) && seen.Add(1) > 1 {
			select {
			case <-r.Context().Done():
				gaveUp.Add(1)
			case <-done:
			}
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs first: no handler outlives the test
	return srv.URL, &gaveUp
}

// scanForSecrets reads every file under dir and reports each secret found,
// in any of its encodings.
func scanForSecrets(t *testing.T, where, dir string, secrets map[string]string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // -wal or -shm removed meanwhile
		}
		if err != nil {
			return err
		}
		files++
		for name, secret := range secrets {
			for form, s := range encodings(secret) {
				if bytes.Contains(data, []byte(s)) {
					t.Errorf("%s: %s (%s) found in %s", where, name, form, filepath.Base(path))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 {
		t.Errorf("%s: only %d files scanned; expected the database and its key file at least", where, files)
	}
}

// encodings are the forms a secret could take in a log line or a file.
func encodings(secret string) map[string]string {
	return map[string]string{
		"plain":     secret,
		"url":       url.QueryEscape(secret),
		"base64":    base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64url": base64.RawURLEncoding.EncodeToString([]byte(secret)),
		"hex":       hex.EncodeToString([]byte(secret)),
	}
}

func lineAround(text string, i int) string {
	start := strings.LastIndexByte(text[:i], '\n') + 1
	end := strings.IndexByte(text[i:], '\n')
	if end < 0 {
		return text[start:]
	}
	return text[start : i+end]
}

// countCalls counts sendMessage calls to chatID answered with status.
func countCalls(tg *telegramtest.Server, chatID int64, status int) int {
	n := 0
	for _, c := range tg.CallsTo("sendMessage") {
		if c.Status == status && c.Params["chat_id"] == strconv.FormatInt(chatID, 10) {
			n++
		}
	}
	return n
}
