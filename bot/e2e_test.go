package bot

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// The end-to-end tests run the real bot (handlers, store on a temp file, smsapi
// client) against a fake Telegram Bot API server and a fake SMSOnline.

const (
	smsUser = "777"
	smsKey  = "sk-live-9f8e7d6c5b4a"
)

var (
	alice = telegramtest.User{ID: 1001, FirstName: "Alice", Username: "alice"}
	bob   = telegramtest.User{ID: 1002, FirstName: "Bob"}
	group = telegramtest.GroupChat(-1009876, "Friends")
)

// harness is one bot with its fakes. The bot can be stopped and started again
// on the same database file, as a restart would.
type harness struct {
	t      *testing.T
	tg     *telegramtest.Server
	sms    *smsapitest.Server
	dbPath string
	key    []byte
	opts   []harnessOption
	logs   *syncBuffer

	store *store.Store // of the running bot
	bot   *Bot         // the running bot
	stop  func()       // stops the running bot; nil when stopped

	apiNet *switchableNet // the bot's network path to SMSOnline

	sentUpdates []*models.Update // updates a webhook test queued (pressMany)
}

type harnessOption func(*Config)

func withAllowedUsers(ids ...int64) harnessOption {
	return func(c *Config) { c.AllowedUsers = ids }
}

// withFastWatcher shortens the watcher's intervals so a test sees several
// rounds within a second or two.
func withFastWatcher() harnessOption {
	return func(c *Config) {
		c.PollInterval = 100 * time.Millisecond
		c.ExpiryGrace = 100 * time.Millisecond
	}
}

func withConfig(f func(*Config)) harnessOption { return f }

// newHarness starts a bot against fresh fakes and a fresh database.
func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	h := newStoppedHarness(t, opts...)
	h.start()
	return h
}

// newStoppedHarness prepares the fakes and the database without starting the bot.
func newStoppedHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{
		t: t, tg: telegramtest.New(t), sms: smsapitest.New(t), logs: &syncBuffer{},
		dbPath: filepath.Join(t.TempDir(), "bot.db"), key: make([]byte, store.KeySize), opts: opts,
		apiNet: newSwitchableNet(t),
	}
	rand.Read(h.key)
	h.sms.AddAccount(smsUser, smsKey, 1500)
	t.Cleanup(func() {
		if h.stop != nil {
			h.stop()
		}
		h.assertNoSecretsLogged()
	})
	return h
}

// start runs a bot on the harness's database until stop.
func (h *harness) start() {
	h.t.Helper()
	if h.stop != nil {
		h.t.Fatal("bot already running")
	}
	st, err := store.Open(context.Background(), h.dbPath, h.key)
	if err != nil {
		h.t.Fatalf("open store: %v", err)
	}
	api, err := smsapi.New(h.sms.URL, smsapi.WithHTTPClient(&http.Client{Timeout: 2 * time.Second, Transport: h.apiNet}))
	if err != nil {
		h.t.Fatal(err)
	}
	cfg := Config{
		Token:           h.tg.Token,
		APIURL:          h.tg.URL,
		Logger:          slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		LongPollTimeout: 2 * time.Second,
		ShutdownGrace:   2 * time.Second,
	}
	for _, o := range h.opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := New(ctx, cfg, api, st)
	if err != nil {
		h.t.Fatalf("new bot: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	h.store = st
	h.bot = b
	h.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				h.t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			h.t.Error("bot did not stop within 10s of cancel")
		}
		st.Close()
		h.stop = nil
	}
}

// say sends text as user in chat and returns the bot's next message to that chat.
func (h *harness) say(from telegramtest.User, chat models.Chat, text string) telegramtest.SentMessage {
	h.t.Helper()
	before := len(h.tg.SentTo(chat.ID))
	h.tg.SendText(from, chat, text)
	var sent []telegramtest.SentMessage
	h.tg.WaitFor(h.t, 5*time.Second, func() bool {
		sent = h.tg.SentTo(chat.ID)
		return len(sent) > before
	})
	return sent[before]
}

// login links alice's SMSOnline account in her private chat.
func (h *harness) login() {
	h.t.Helper()
	h.linkAccount(alice, smsUser, smsKey, en)
}

// linkAccount sends /login for smsUserID's account as user in user's
// private chat and expects l's confirmation with the balance the fake holds.
func (h *harness) linkAccount(user telegramtest.User, smsUserID, key string, l *message.Lang) {
	h.t.Helper()
	got := h.say(user, telegramtest.PrivateChat(user), "/login "+smsUserID+" "+key)
	if want := l.LoginOK(balance(h.sms.Balance(smsUserID)), smsUserID); got.Text != want {
		h.t.Fatalf("%s login answer = %q, want %q", l.Tag, got.Text, want)
	}
}

func (h *harness) assertNoSecretsLogged() {
	logs := h.logs.String()
	for _, secret := range []string{smsKey, h.tg.Token} {
		if strings.Contains(logs, secret) {
			h.t.Errorf("a secret appears in the logs:\n%s", logs)
		}
	}
	for _, m := range h.tg.Sent() {
		if strings.Contains(m.Text, smsKey) {
			h.t.Errorf("the API key was echoed into the chat: %q", m.Text)
		}
	}
}

func TestStartAndHelp(t *testing.T) {
	h := newHarness(t)
	chat := telegramtest.PrivateChat(alice)
	for _, cmd := range []string{"/start", "/help"} {
		got := h.say(alice, chat, cmd)
		if got.Text != en.Help(h.bot.commandList()) {
			t.Errorf("%s = %q, want the help", cmd, got.Text)
		}
		if got.ParseMode != "HTML" {
			t.Errorf("%s: parse mode %q, want HTML", cmd, got.ParseMode)
		}
	}
}

func TestOrder(t *testing.T) {
	h := newHarness(t)
	chat := telegramtest.PrivateChat(alice)

	waiting := smsapitest.NewOrder("20046875")
	h.sms.AddOrder(smsUser, waiting)
	done := smsapitest.NewOrder("20046876")
	h.sms.AddOrder(smsUser, done)
	h.sms.DeliverSMS(smsUser, done.ID, "Your Discord code is 583920")
	done.Status, done.SMS = smsapitest.StatusCompleted, "Your Discord code is 583920"

	assertContains(t, h.say(alice, chat, "/order 20046875").Text, en.T(message.NeedLogin))
	h.login()

	tests := []struct {
		name  string
		text  string
		chat  models.Chat
		wants []string
	}{
		{"waiting", "/order 20046875", chat, append(cardLines(waiting, message.StateWaiting), timeLeftLabel())},
		{"completed", "/order 20046876", chat, cardLines(done, message.StateReceived)},
		{"unknown", "/order 99999999", chat, []string{en.OrderNotFound("99999999")}},
		{"malformed", "/order ../../x", chat, []string{en.T(message.BadOrderID)}},
		{"missing id", "/order", chat, []string{en.T(message.OrderUsage)}},
		{"in a group, addressed to us", "/order@smsbot_test_bot 20046875", group, []string{cardTitle(en, "20046875")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.say(alice, tt.chat, tt.text)
			assertContains(t, got.Text, tt.wants...)
		})
	}
	for _, r := range h.sms.Log() {
		if strings.Contains(r.OrderID, "..") || strings.Contains(r.OrderID, "/") {
			t.Errorf("a malformed id reached SMSOnline: %+v", r)
		}
	}
}

func TestOrderFailures(t *testing.T) {
	h := newHarness(t)
	chat := telegramtest.PrivateChat(alice)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.login()

	tests := []struct {
		name  string
		fault smsapitest.Fault
		want  string
	}{
		{"down", smsapitest.Fault{Status: 502, Times: 1}, en.T(message.APIDown)},
		{"rate limited", smsapitest.Fault{Status: 429, RetryAfter: "30", Times: 1}, en.RateLimited(30 * time.Second)},
		{"garbage", smsapitest.Fault{Body: "<html>oops</html>", Times: 1}, en.T(message.APIGarbled)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.sms.InjectFault(tt.fault)
			if got := h.say(alice, chat, "/order 555").Text; got != tt.want {
				t.Errorf("/order = %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("revoked key", func(t *testing.T) {
		h.sms.RevokeKey(smsUser)
		if got := h.say(alice, chat, "/order 555").Text; got != en.T(message.KeyRefused) {
			t.Errorf("/order with a revoked key = %q", got)
		}
	})
}

func TestUnknownInput(t *testing.T) {
	h := newHarness(t)
	chat := telegramtest.PrivateChat(alice)
	for _, text := range []string{"hello?", "/frobnicate"} {
		if got := h.say(alice, chat, text).Text; got != en.T(message.Unknown) {
			t.Errorf("%s = %q", text, got)
		}
	}

	// In a group, chatter and other bots' commands get no answer.
	h.tg.SendText(alice, group, "hello everyone")
	h.tg.SendText(alice, group, "/order@OtherBot 1")
	if got := h.say(alice, group, "/help@smsbot_test_bot").Text; got != en.Help(h.bot.commandList()) {
		t.Errorf("/help in a group = %q", got)
	}
	if n := len(h.tg.SentTo(group.ID)); n != 1 {
		t.Errorf("bot answered %d messages in the group, want only the /help", n)
	}
}

// switchableNet is an http.RoundTripper whose connections can be refused at
// will, as when SMSOnline is down; it counts every attempt.
type switchableNet struct {
	base   *http.Transport
	closed string // host:port where nothing listens
	down   atomic.Bool

	mu       sync.Mutex
	attempts []time.Time
}

func newSwitchableNet(t *testing.T) *switchableNet {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return &switchableNet{base: base, closed: closed}
}

func (n *switchableNet) RoundTrip(r *http.Request) (*http.Response, error) {
	n.mu.Lock()
	n.attempts = append(n.attempts, time.Now())
	n.mu.Unlock()
	if n.down.Load() {
		r = r.Clone(r.Context())
		r.URL.Host = n.closed
	}
	return n.base.RoundTrip(r)
}

// attemptsSince returns the times of requests made since t.
func (n *switchableNet) attemptsSince(t time.Time) []time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []time.Time
	for _, a := range n.attempts {
		if !a.Before(t) {
			out = append(out, a)
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
