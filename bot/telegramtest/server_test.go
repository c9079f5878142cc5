package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// envelope is Telegram's answer as a test reads it.
type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// post calls method with a form-encoded body, the simplest client there is.
func post(t *testing.T, s *Server, method string, params url.Values) (int, envelope) {
	t.Helper()
	return do(t, s.URL+"/bot"+s.Token+"/"+method, "application/x-www-form-urlencoded", strings.NewReader(params.Encode()))
}

func do(t *testing.T, u, contentType string, body io.Reader) (int, envelope) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, body)
	if err != nil {
		t.Fatalf("can't build request: %v", err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("can't call %s: %v", u, err)
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatalf("can't decode answer: %v", err)
	}
	if env.ErrorCode != 0 && env.ErrorCode != resp.StatusCode {
		t.Errorf("error_code %d differs from HTTP status %d", env.ErrorCode, resp.StatusCode)
	}
	return resp.StatusCode, env
}

// newBot returns a go-telegram/bot client of s that polls with a 1s timeout.
// (The library asks for pollTimeout-1s; a pollTimeout of 1s would ask for no
// timeout at all and busy-poll.)
func newBot(t *testing.T, s *Server, opts ...bot.Option) *bot.Bot {
	t.Helper()
	opts = append([]bot.Option{
		bot.WithServerURL(s.URL),
		bot.WithHTTPClient(2*time.Second, &http.Client{Timeout: 5 * time.Second}),
		bot.WithErrorsHandler(func(error) {}),
		bot.WithDefaultHandler(func(context.Context, *bot.Bot, *models.Update) {}),
	}, opts...)
	b, err := bot.New(s.Token, opts...)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

// startBot runs b until the test ends.
func startBot(t *testing.T, b *bot.Bot) {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		b.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
}

func TestGetMe(t *testing.T) {
	s := New(t, WithToken("987654:another-token-abcdefghijklmnopqrs"), WithBotUsername("other_bot"))
	b := newBot(t, s)
	me, err := b.GetMe(context.Background())
	if err != nil {
		t.Fatalf("GetMe: %v", err)
	}
	if me.ID != 987654 || !me.IsBot || me.Username != "other_bot" || me.FirstName != "SMS Bot" {
		t.Errorf("getMe = %+v, want id 987654, is_bot, username other_bot, first name SMS Bot", me)
	}
}

func TestWrongTokenIsUnauthorized(t *testing.T) {
	s := New(t)
	_, err := bot.New("111:wrong-token", bot.WithServerURL(s.URL))
	if !errors.Is(err, bot.ErrorUnauthorized) {
		t.Fatalf("bot.New with a wrong token: %v, want bot.ErrorUnauthorized", err)
	}
	status, env := do(t, s.URL+"/bot111:wrong-token/getMe", "text/plain", nil)
	if status != http.StatusUnauthorized || env.OK || env.Description != "Unauthorized" {
		t.Errorf("answer %d %+v, want 401 Unauthorized", status, env)
	}
}

func TestUnknownMethodIsNotFound(t *testing.T) {
	s := New(t)
	for _, path := range []string{"/bot" + s.Token + "/sendTelepathy", "/bot" + s.Token, "/favicon.ico"} {
		status, env := do(t, s.URL+path, "text/plain", nil)
		if status != http.StatusNotFound || env.Description != "Not Found" {
			t.Errorf("%s: answer %d %+v, want 404 Not Found", path, status, env)
		}
	}
}

func TestMethodNamesAreCaseInsensitive(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	// go-telegram/bot calls "logout", Telegram documents "logOut".
	if _, err := b.Logout(context.Background()); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if calls := s.CallsTo("logOut"); len(calls) != 1 || calls[0].Status != http.StatusOK {
		t.Errorf("logOut calls = %+v, want one answered 200", calls)
	}
}

func TestParametersInEveryEncoding(t *testing.T) {
	s := New(t)
	base := s.URL + "/bot" + s.Token + "/sendMessage"
	tests := []struct {
		name        string
		url         string
		contentType string
		body        string
	}{
		{"query string", base + "?chat_id=42&text=hi+there", "", ""},
		{"form", base, "application/x-www-form-urlencoded", "chat_id=42&text=hi+there"},
		{"json", base, "application/json", `{"chat_id":42,"text":"hi there","reply_markup":null}`},
		{"json string id", base, "application/json", `{"chat_id":"42","text":"hi there"}`},
		{"multipart", base, "multipart/form-data; boundary=XX",
			"--XX\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n" +
				"--XX\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhi there\r\n--XX--\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, env := do(t, tt.url, tt.contentType, strings.NewReader(tt.body))
			if status != http.StatusOK || !env.OK {
				t.Fatalf("answer %d %+v, want 200", status, env)
			}
			var msg struct {
				Text string `json:"text"`
				Chat struct {
					ID int64 `json:"id"`
				} `json:"chat"`
			}
			if err := json.Unmarshal(env.Result, &msg); err != nil {
				t.Fatalf("can't decode message: %v", err)
			}
			if msg.Text != "hi there" || msg.Chat.ID != 42 {
				t.Errorf("message = %+v, want text %q in chat 42", msg, "hi there")
			}
		})
	}
	if n := len(s.SentTo(42)); n != len(tests) {
		t.Errorf("SentTo(42) has %d messages, want %d", n, len(tests))
	}
}

func TestCallsRecordsEveryCall(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	_, err := b.SendMessage(context.Background(), &bot.SendMessageParams{ChatID: 7, Text: ""})
	if !errors.Is(err, bot.ErrorBadRequest) {
		t.Fatalf("empty text: %v, want bad request", err)
	}
	calls := s.Calls()
	if len(calls) != 2 || calls[0].Method != "getMe" || calls[1].Method != "sendMessage" {
		t.Fatalf("calls = %+v, want getMe then sendMessage", calls)
	}
	if calls[1].Status != http.StatusBadRequest || calls[1].Params["chat_id"] != "7" {
		t.Errorf("sendMessage call = %+v, want status 400 with chat_id 7", calls[1])
	}
	calls[1].Params["chat_id"] = "changed"
	if s.Calls()[1].Params["chat_id"] != "7" {
		t.Error("changing a returned call changed the record")
	}
}

func TestLatency(t *testing.T) {
	s := New(t, WithLatency(100*time.Millisecond))
	start := time.Now()
	post(t, s, "getMe", nil)
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("getMe answered after %v, want at least 100ms", d)
	}
}

func TestCloseReleasesLongPoll(t *testing.T) {
	answered := make(chan int, 1)
	start := time.Now()
	t.Run("server", func(t *testing.T) {
		s := New(t)
		go func() {
			resp, err := http.Post(s.URL+"/bot"+s.Token+"/getUpdates?timeout=60", "", nil)
			if err != nil {
				answered <- 0
				return
			}
			resp.Body.Close()
			answered <- resp.StatusCode
		}()
		s.WaitFor(t, 5*time.Second, func() bool { return len(s.CallsTo("getUpdates")) == 1 })
	})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("closing the server took %v with a long poll open", d)
	}
	if status := <-answered; status != http.StatusOK {
		t.Errorf("released long poll answered %d, want 200", status)
	}
}

func TestWaitForFailsWithDump(t *testing.T) {
	s := New(t)
	post(t, s, "sendMessage", url.Values{"chat_id": {"5"}, "text": {"hello"}})
	ft := &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }() // fakeTB.Fatalf panics to stop like FailNow
		s.WaitSent(ft, 2, 30*time.Millisecond)
	}()
	if !strings.Contains(ft.msg, "want 2 sent messages") || !strings.Contains(ft.msg, `text="hello"`) {
		t.Errorf("failure message does not describe the state:\n%s", ft.msg)
	}
}

// fakeTB records a Fatalf instead of failing the test.
type fakeTB struct {
	testing.TB
	msg string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic("fatal")
}
