package telegramtest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
)

func TestLimits(t *testing.T) {
	s := New(t, WithLimits(DefaultLimits()))
	b := newBot(t, s)
	ctx := context.Background()
	send := func(chatID int64) error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chatID, Text: "hi"})
		return err
	}
	for i := range 3 {
		if err := send(10); err != nil {
			t.Fatalf("message %d of the burst: %v", i+1, err)
		}
	}
	err := send(10)
	var tooMany *bot.TooManyRequestsError
	if !errors.As(err, &tooMany) {
		t.Fatalf("message beyond the burst: %v, want *bot.TooManyRequestsError", err)
	}
	if tooMany.RetryAfter < 1 {
		t.Errorf("retry_after = %d, want at least 1", tooMany.RetryAfter)
	}
	if n := s.Count429(); n != 1 {
		t.Errorf("Count429() = %d, want 1", n)
	}
	if err := send(11); err != nil {
		t.Errorf("another chat is limited too: %v", err)
	}
	if n := len(s.Sent()); n != 4 {
		t.Errorf("%d messages accepted, want 4", n)
	}
}

func TestGlobalLimit(t *testing.T) {
	s := New(t, WithLimits(Limits{Global: 5}))
	for i := range 5 {
		if status, env := post(t, s, "sendMessage", url.Values{"chat_id": {itoa(int64(100 + i))}, "text": {"x"}}); status != 200 {
			t.Fatalf("message %d: %d %s", i+1, status, env.Description)
		}
	}
	status, env := post(t, s, "sendMessage", url.Values{"chat_id": {"200"}, "text": {"x"}})
	if status != http.StatusTooManyRequests || env.Parameters.RetryAfter != 1 || env.Description != "Too Many Requests: retry after 1" {
		t.Errorf("sixth message: %d %+v, want 429 retry after 1", status, env)
	}
}

func TestBlockChat(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	s.BlockChat(alice.ID)
	_, err := b.SendMessage(context.Background(), &bot.SendMessageParams{ChatID: alice.ID, Text: "hi"})
	if !errors.Is(err, bot.ErrorForbidden) {
		t.Fatalf("send to a blocked chat: %v, want bot.ErrorForbidden", err)
	}
	s.UnblockChat(alice.ID)
	if _, err := b.SendMessage(context.Background(), &bot.SendMessageParams{ChatID: alice.ID, Text: "hi"}); err != nil {
		t.Fatalf("send after unblocking: %v", err)
	}
}

func TestFaults(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	ctx := context.Background()
	send := func(chatID int64) error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chatID, Text: "hi"})
		return err
	}

	s.InjectFault(Fault{Method: "sendMessage", ChatID: -5, MigrateToChatID: -1001234, Times: 1})
	if err := send(-6); err != nil {
		t.Fatalf("a fault for chat -5 hit chat -6: %v", err)
	}
	var migrate *bot.MigrateError
	if err := send(-5); !errors.As(err, &migrate) || migrate.MigrateToChatID != -1001234 {
		t.Fatalf("send to a migrated group: %v, want *bot.MigrateError to -1001234", err)
	}
	if err := send(-5); err != nil {
		t.Fatalf("a fault with Times 1 applied twice: %v", err)
	}

	s.InjectFault(Fault{Code: 429, RetryAfter: 7})
	var tooMany *bot.TooManyRequestsError
	if _, err := b.GetMe(ctx); !errors.As(err, &tooMany) || tooMany.RetryAfter != 7 {
		t.Fatalf("getMe under a 429 fault: %v, want retry after 7", err)
	}
	if err := send(1); !errors.As(err, &tooMany) {
		t.Fatalf("a fault without Times stopped applying: %v", err)
	}
	s.ClearFaults()
	if err := send(1); err != nil {
		t.Fatalf("send after ClearFaults: %v", err)
	}

	s.InjectFault(Fault{Method: "sendMessage", Code: 500, Times: 1})
	if err := send(1); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("send under a 500 fault: %v", err)
	}

	s.InjectFault(Fault{Method: "sendMessage", Delay: 100 * time.Millisecond, Times: 1})
	start := time.Now()
	if err := send(1); err != nil {
		t.Fatalf("a delay-only fault failed the call: %v", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("delayed send took %v, want at least 100ms", d)
	}
	if n := s.Count429(); n != 2 {
		t.Errorf("Count429() = %d, want 2", n)
	}
}

// TestGarbledAnswers checks that a garbling fault delivers the message and
// still breaks go-telegram/bot's decoding of the answer, for every variant
// and for results that are a message (sendMessage, editMessageText) or a bare
// true (deleteMessage, answerCallbackQuery).
func TestGarbledAnswers(t *testing.T) {
	for _, g := range Garbles() {
		t.Run(g.String(), func(t *testing.T) {
			s := New(t)
			b := newBot(t, s)
			ctx := context.Background()
			chat := PrivateChat(alice)
			card, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat.ID, Text: "card", ReplyMarkup: keyboard1("Refresh", "r")})
			if err != nil {
				t.Fatalf("SendMessage before the fault: %v", err)
			}
			for _, m := range []string{"sendMessage", "editMessageText", "deleteMessage", "answerCallbackQuery"} {
				s.InjectFault(Fault{Method: m, Garble: g})
			}

			if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat.ID, Text: "code 1234"}); err == nil {
				t.Error("go-telegram/bot decoded a garbled sendMessage answer")
			}
			if sent := s.SentTo(chat.ID); len(sent) != 2 || sent[1].Plain != "code 1234" {
				t.Errorf("a garbled send was not delivered: %+v", sent)
			}
			if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat.ID, MessageID: card.ID, Text: "card 2"}); err == nil {
				t.Error("go-telegram/bot decoded a garbled editMessageText answer")
			}
			if edits := s.Edits(); len(edits) != 1 || edits[0].Plain != "card 2" {
				t.Errorf("a garbled edit was not applied: %+v", edits)
			}
			id := s.PressButton(alice, chat, card.ID, "r")
			if _, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: id}); err == nil {
				t.Error("go-telegram/bot decoded a garbled answerCallbackQuery answer")
			}
			if got := s.Answered(); len(got) != 1 || got[0] != id {
				t.Errorf("a garbled callback answer was not recorded: %v", got)
			}
			if _, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: chat.ID, MessageID: card.ID}); err == nil {
				t.Error("go-telegram/bot decoded a garbled deleteMessage answer")
			}
			if del := s.Deleted(); len(del) != 1 || !del[0].OK {
				t.Errorf("a garbled delete was not done: %+v", del)
			}
			for _, c := range s.Calls()[1:] {
				if c.Method != "getUpdates" && c.Status != http.StatusOK {
					t.Errorf("%s answered %d, want 200", c.Method, c.Status)
				}
			}

			// An error is not garbled: the refusal still reads as one.
			_, err = b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: chat.ID, MessageID: card.ID})
			if !errors.Is(err, bot.ErrorBadRequest) {
				t.Errorf("deleting a deleted message under a garble fault: %v, want bad request", err)
			}
		})
	}
}
