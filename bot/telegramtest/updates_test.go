package telegramtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

var (
	alice = User{ID: 1001, FirstName: "Alice", Username: "alice"}
	bob   = User{ID: 1002, FirstName: "Bob"}
)

func TestSendTextReachesHandler(t *testing.T) {
	s := New(t)
	got := make(chan *models.Message, 1)
	b := newBot(t, s)
	b.RegisterHandler(bot.HandlerTypeMessageText, "start", bot.MatchTypeCommand,
		func(ctx context.Context, b *bot.Bot, u *models.Update) {
			got <- u.Message
			_, _ = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: "welcome"})
		})
	startBot(t, b)

	id := s.SendText(alice, PrivateChat(alice), "/start now")
	var msg *models.Message
	select {
	case msg = <-got:
	case <-time.After(5 * time.Second):
		t.Fatalf("handler not called\n%s", s.dump())
	}
	if msg.ID != id || msg.Text != "/start now" || msg.From.ID != alice.ID || msg.Chat.ID != alice.ID || msg.Chat.Type != models.ChatTypePrivate {
		t.Errorf("message = %+v, want id %d /start now from alice in her private chat", msg, id)
	}
	sent := s.WaitSent(t, 1, 5*time.Second)
	if sent[0].ChatID != alice.ID || sent[0].Text != "welcome" || sent[0].MessageID != id+1 {
		t.Errorf("sent = %+v, want welcome to alice as message %d", sent[0], id+1)
	}
	// The next poll confirms the update.
	s.WaitFor(t, 5*time.Second, func() bool { return s.PendingUpdates() == 0 })
}

func TestSendTextCommandEntity(t *testing.T) {
	tests := []struct {
		text string
		want int // length of the bot_command entity, 0 for none
	}{
		{"/start", 6},
		{"/start arg", 6},
		{"/start@smsbot_test_bot arg", 22},
		{"/start@ arg", 6},
		{"/code_2fa", 9},
		{"/", 0},
		{"/ start", 0},
		{"hello /start", 0},
		{"/старт", 0},
	}
	s := New(t)
	for _, tt := range tests {
		s.SendText(alice, GroupChat(77, "group"), tt.text)
	}
	updates := getUpdates(t, s, url.Values{})
	if len(updates) != len(tests) {
		t.Fatalf("got %d updates, want %d", len(updates), len(tests))
	}
	for i, tt := range tests {
		m := updates[i].Message
		if m.Chat.ID != -77 || m.Chat.Type != models.ChatTypeSupergroup {
			t.Errorf("%q: chat = %+v, want supergroup -77", tt.text, m.Chat)
		}
		var got int
		for _, e := range m.Entities {
			if e.Type == models.MessageEntityTypeBotCommand && e.Offset == 0 {
				got = e.Length
			}
		}
		if got != tt.want {
			t.Errorf("%q: bot_command length %d, want %d", tt.text, got, tt.want)
		}
	}
}

// getUpdates polls once without waiting and decodes the updates.
func getUpdates(t *testing.T, s *Server, params url.Values) []models.Update {
	t.Helper()
	status, env := post(t, s, "getUpdates", params)
	if status != http.StatusOK {
		t.Fatalf("getUpdates answered %d %s", status, env.Description)
	}
	var updates []models.Update
	if err := json.Unmarshal(env.Result, &updates); err != nil {
		t.Fatalf("can't decode updates: %v", err)
	}
	return updates
}

func TestGetUpdatesOffsetAndLimit(t *testing.T) {
	s := New(t)
	for _, text := range []string{"one", "two", "three"} {
		s.SendText(bob, PrivateChat(bob), text)
	}
	first := getUpdates(t, s, url.Values{"limit": {"2"}})
	if len(first) != 2 || first[0].Message.Text != "one" || first[1].ID != first[0].ID+1 {
		t.Fatalf("first poll = %+v, want updates one and two with consecutive ids", first)
	}
	if n := s.PendingUpdates(); n != 3 {
		t.Errorf("PendingUpdates before confirming = %d, want 3", n)
	}
	rest := getUpdates(t, s, url.Values{"offset": {itoa(first[1].ID + 1)}})
	if len(rest) != 1 || rest[0].Message.Text != "three" {
		t.Fatalf("second poll = %+v, want update three", rest)
	}
	if n := s.PendingUpdates(); n != 1 {
		t.Errorf("PendingUpdates after confirming two = %d, want 1", n)
	}
	if again := getUpdates(t, s, url.Values{"offset": {itoa(first[0].ID)}}); len(again) != 1 {
		t.Errorf("an older offset brought back confirmed updates: %+v", again)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestGetUpdatesLongPollReturnsWhenUpdateArrives(t *testing.T) {
	s := New(t)
	type result struct {
		updates []models.Update
		took    time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		resp, err := http.Post(s.URL+"/bot"+s.Token+"/getUpdates?timeout=30", "", nil)
		if err != nil {
			done <- result{}
			return
		}
		defer resp.Body.Close()
		var env struct {
			Result []models.Update `json:"result"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&env)
		done <- result{env.Result, time.Since(start)}
	}()
	s.WaitFor(t, 5*time.Second, func() bool { return len(s.CallsTo("getUpdates")) == 1 })
	s.SendText(alice, PrivateChat(alice), "wake up")
	select {
	case r := <-done:
		if len(r.updates) != 1 || r.updates[0].Message.Text != "wake up" {
			t.Errorf("long poll returned %+v, want the new update", r.updates)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll did not return when an update was queued")
	}
}

func TestGetUpdatesTimesOutEmpty(t *testing.T) {
	s := New(t)
	start := time.Now()
	if updates := getUpdates(t, s, url.Values{"timeout": {"1"}}); len(updates) != 0 {
		t.Fatalf("updates = %+v, want none", updates)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("long poll returned after %v, want the 1s timeout", d)
	}
}

func TestSecondGetUpdatesTerminatesFirst(t *testing.T) {
	s := New(t)
	first := make(chan int, 1)
	go func() {
		resp, err := http.Post(s.URL+"/bot"+s.Token+"/getUpdates?timeout=30", "", nil)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	s.WaitFor(t, 5*time.Second, func() bool { return len(s.CallsTo("getUpdates")) == 1 })
	getUpdates(t, s, url.Values{})
	select {
	case status := <-first:
		if status != http.StatusConflict {
			t.Errorf("first getUpdates answered %d, want 409", status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("first getUpdates was not terminated")
	}
}

func TestWebhookBlocksGetUpdates(t *testing.T) {
	s := New(t)
	post(t, s, "setWebhook", url.Values{"url": {"https://example.com/hook"}})
	if s.Webhook() != "https://example.com/hook" {
		t.Errorf("Webhook() = %q", s.Webhook())
	}
	if status, _ := post(t, s, "getUpdates", nil); status != http.StatusConflict {
		t.Errorf("getUpdates with a webhook answered %d, want 409", status)
	}
	b := newBot(t, s)
	if _, err := b.DeleteWebhook(context.Background(), &bot.DeleteWebhookParams{}); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if status, _ := post(t, s, "getUpdates", nil); status != http.StatusOK {
		t.Errorf("getUpdates after deleteWebhook answered %d, want 200", status)
	}
}

func TestPressButton(t *testing.T) {
	s := New(t)
	pressed := make(chan *models.CallbackQuery, 1)
	b := newBot(t, s)
	b.RegisterHandler(bot.HandlerTypeCallbackQueryData, "code:", bot.MatchTypePrefix,
		func(ctx context.Context, b *bot.Bot, u *models.Update) {
			_, _ = b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: u.CallbackQuery.ID, Text: "copied"})
			pressed <- u.CallbackQuery
		})
	chat := PrivateChat(alice)
	msg, err := b.SendMessage(context.Background(), &bot.SendMessageParams{
		ChatID:      chat.ID,
		Text:        "your code",
		ReplyMarkup: keyboard1("Show", "code:1"),
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	startBot(t, b)

	id := s.PressButton(alice, chat, msg.ID, "code:1")
	var q *models.CallbackQuery
	select {
	case q = <-pressed:
	case <-time.After(5 * time.Second):
		t.Fatalf("callback handler not called\n%s", s.dump())
	}
	if q.ID != id || q.Data != "code:1" || q.From.ID != alice.ID {
		t.Errorf("callback query = %+v, want id %s data code:1 from alice", q, id)
	}
	if q.Message.Message == nil || q.Message.Message.ID != msg.ID || q.Message.Message.Text != "your code" ||
		q.Message.Message.ReplyMarkup == nil {
		t.Errorf("callback query message = %+v, want the bot's message %d with its keyboard", q.Message.Message, msg.ID)
	}
	s.WaitFor(t, 5*time.Second, func() bool { return len(s.Answered()) == 1 })
	if got := s.Answered(); got[0] != id {
		t.Errorf("Answered() = %v, want [%s]", got, id)
	}
	if calls := s.CallsTo("answerCallbackQuery"); calls[0].Params["text"] != "copied" {
		t.Errorf("answer text = %q, want copied", calls[0].Params["text"])
	}
	_, err = b.AnswerCallbackQuery(context.Background(), &bot.AnswerCallbackQueryParams{CallbackQueryID: id})
	if err == nil {
		t.Error("answering a callback query twice succeeded")
	}
}

func TestPressButtonOnMissingMessage(t *testing.T) {
	s := New(t)
	s.PressButton(alice, PrivateChat(alice), 99, "x")
	updates := getUpdates(t, s, nil)
	if len(updates) != 1 || updates[0].CallbackQuery == nil {
		t.Fatalf("updates = %+v, want one callback query", updates)
	}
	m := updates[0].CallbackQuery.Message
	if m.Type != models.MaybeInaccessibleMessageTypeInaccessibleMessage || m.InaccessibleMessage.MessageID != 99 {
		t.Errorf("message = %+v, want inaccessible message 99", m)
	}
}
