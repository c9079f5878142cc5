package deliver

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/telegramtest"
)

// TestDecideAnswer pins down how an answer is read: Telegram's word decides,
// not whether the result could be decoded.
func TestDecideAnswer(t *testing.T) {
	const msg = `{"message_id":42,"chat":{"id":1,"type":"private"},"date":1700000000,"text":"hi"}`
	type want struct {
		accepted  bool
		messageID int
		code      int // of the *APIError; 0 = no answer (a plain error)
		retry     time.Duration
		migrate   int64
		gone      bool
		same      bool // NotModified
	}
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   want
	}{
		{"ok", 200, `{"ok":true,"result":` + msg + `}`, want{accepted: true, messageID: 42}},
		{"ok with a result of another shape", 200, `{"ok":true,"result":{"message_id":7,"link_preview_options":"off","date":"today"}}`, want{accepted: true, messageID: 7}},
		{"ok with a bare true", 200, `{"ok":true,"result":true}`, want{accepted: true}},
		{"ok with extra envelope fields", 200, `{"ok":true,"result":` + msg + `,"parameters":"x","Result":1}`, want{accepted: true, messageID: 42}},
		{"200 cut short", 200, `{"ok":true,"result":{"message_id":4`, want{accepted: true}},
		{"200 empty", 200, ``, want{accepted: true}},
		{"200 html", 200, `<html>proxy</html>`, want{accepted: true}},
		{"429", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`, want{code: 429, retry: 3 * time.Second}},
		{"migrated", 400, `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}`, want{code: 400, migrate: -1001234}},
		{"blocked", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`, want{code: 403, gone: true}},
		{"chat not found", 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, want{code: 400, gone: true}},
		{"bad html", 400, `{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities"}`, want{code: 400}},
		{"not modified", 400, `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified: specified new message content and reply markup are exactly the same"}`, want{code: 400, same: true}},
		{"refusal with odd parameters", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":"soon"}`, want{code: 429}},
		{"refusal without error_code", 500, `{"ok":false,"description":"Internal Server Error"}`, want{code: 500}},
		{"5xx", 502, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`, want{code: 502}},
		{"proxy error page", 502, `<html><body>502 Bad Gateway</body></html>`, want{}},
		{"error cut short", 400, `{"ok":false,"error_code":40`, want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			result, err := decideAnswer("sendMessage", tc.status, []byte(tc.body), nil)
			if tc.want.accepted {
				if err != nil {
					t.Fatalf("an accepted call failed: %v", err)
				}
				if id := messageIDOf(result); id != tc.want.messageID {
					t.Errorf("message id %d, want %d", id, tc.want.messageID)
				}
				return
			}
			if err == nil {
				t.Fatal("a failed call counted as accepted")
			}
			refused, isRefusal := errors.AsType[*APIError](err)
			if tc.want.code == 0 {
				if isRefusal {
					t.Errorf("no answer read as Telegram's refusal %+v", refused)
				}
				return
			}
			if !isRefusal {
				t.Fatalf("a refusal is not an *APIError: %v", err)
			}
			got := want{code: refused.Code, retry: refused.RetryAfter, migrate: refused.MigrateTo, gone: refused.ChatGone(), same: refused.NotModified()}
			if got != tc.want {
				t.Errorf("refusal %+v reads as %+v, want %+v", refused, got, tc.want)
			}
			if refused.TooManyRequests() != (tc.want.code == 429) || refused.Migrated() != (tc.want.migrate != 0) {
				t.Errorf("predicates of %+v disagree with its fields", refused)
			}
		})
	}
}

// TestTelegramAPIErrorsHideToken checks that an error from a call that got no
// answer names the method but not the bot token, and still says why.
func TestTelegramAPIErrorsHideToken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	api := NewClient("http://"+addr, telegramtest.DefaultToken, &http.Client{Timeout: 2 * time.Second})
	_, err = api.SendMessage(context.Background(), TextMessage{ChatID: 1, Text: "hi"})
	if err == nil {
		t.Fatal("a send to a closed port succeeded")
	}
	if strings.Contains(err.Error(), telegramtest.DefaultToken) {
		t.Errorf("the error carries the bot token: %v", err)
	}
	if !strings.Contains(err.Error(), "sendMessage") || !strings.Contains(err.Error(), "refused") {
		t.Errorf("the error does not say what failed: %v", err)
	}
	if _, isRefusal := errors.AsType[*APIError](err); isRefusal {
		t.Errorf("no answer read as Telegram's refusal: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := api.DeleteMessage(ctx, 1, 2); !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), telegramtest.DefaultToken) {
		t.Errorf("a cancelled call: %v, want context.Canceled without the token", err)
	}
}

// TestSendDocument uploads a file to the fake Telegram: the file, its name
// and the caption arrive as sent, and a refusal is Telegram's, with its
// retry_after.
func TestSendDocument(t *testing.T) {
	tg := telegramtest.New(t)
	api := NewClient(tg.URL, tg.Token, &http.Client{Timeout: 5 * time.Second})
	data := []byte("ordered_at_utc,service\r\n2026-03-14 12:00:00,\"Google, \"\"Gmail\"\"\"\r\n")
	id, err := api.SendDocument(context.Background(), 42, "history-2026-03-14.csv", data, "📄 <b>Your</b> numbers &amp; codes")
	if err != nil {
		t.Fatalf("SendDocument: %v", err)
	}
	docs := tg.DocumentsTo(42)
	if len(docs) != 1 || docs[0].MessageID != id || id == 0 {
		t.Fatalf("documents %+v, want one with message id %d", docs, id)
	}
	d := docs[0]
	if d.FileName != "history-2026-03-14.csv" || !bytes.Equal(d.Data, data) || d.ContentType != "text/csv; charset=utf-8" {
		t.Errorf("file %q (%s) %q, want the CSV as sent", d.FileName, d.ContentType, d.Data)
	}
	if d.Plain != "📄 Your numbers & codes" || d.ParseMode != "HTML" {
		t.Errorf("caption %q in %q, want the HTML caption", d.Plain, d.ParseMode)
	}
	if _, err := api.SendDocument(context.Background(), 42, "bare.csv", []byte("a\r\n"), ""); err != nil {
		t.Errorf("a document without a caption: %v", err)
	}

	tg.InjectFault(telegramtest.Fault{Method: "sendDocument", Code: 429, RetryAfter: 3, Times: 1})
	_, err = api.SendDocument(context.Background(), 42, "again.csv", data, "")
	refused, isRefusal := errors.AsType[*APIError](err)
	if !isRefusal || !refused.TooManyRequests() || refused.RetryAfter != 3*time.Second || refused.Method != "sendDocument" {
		t.Fatalf("flood control: %v, want a 429 refusal with retry after 3s", err)
	}
	if strings.Contains(err.Error(), tg.Token) {
		t.Errorf("the error carries the bot token: %v", err)
	}
}
