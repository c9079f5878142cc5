package telegramtest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// inlineButton is a callback button serialised without go-telegram/bot's
// always-present copy_text.
type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

func keyboard1(text, data string) inlineKeyboard {
	return inlineKeyboard{InlineKeyboard: [][]inlineButton{{{Text: text, CallbackData: data}}}}
}

func TestSendMessageIsRecorded(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	ctx := context.Background()
	chat := PrivateChat(alice)
	question := s.SendText(alice, chat, "/balance")
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID:          chat.ID,
		Text:            "Balance: <b>12.50</b> &amp; <a href=\"https://example.com/?a=1&b=2\">top up</a>",
		ParseMode:       models.ParseModeHTML,
		ReplyMarkup:     keyboard1("Refresh", "balance"),
		ReplyParameters: &models.ReplyParameters{MessageID: question},
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if msg.ID != question+1 || msg.From == nil || !msg.From.IsBot || msg.Chat.ID != chat.ID || msg.Date == 0 {
		t.Errorf("message = %+v, want id %d from the bot in alice's chat with a date", msg, question+1)
	}
	if msg.Text != "Balance: 12.50 & top up" {
		t.Errorf("message text = %q, want the parsed text", msg.Text)
	}
	wantEntities := []models.MessageEntity{
		{Type: models.MessageEntityTypeBold, Offset: 9, Length: 5},
		{Type: models.MessageEntityTypeTextLink, Offset: 17, Length: 6, URL: "https://example.com/?a=1&b=2"},
	}
	if !entitiesEqual(msg.Entities, wantEntities) {
		t.Errorf("entities = %+v, want %+v", msg.Entities, wantEntities)
	}
	if msg.ReplyToMessage == nil || msg.ReplyToMessage.ID != question {
		t.Errorf("reply_to_message = %+v, want message %d", msg.ReplyToMessage, question)
	}

	sent := s.SentTo(chat.ID)
	if len(sent) != 1 {
		t.Fatalf("SentTo = %+v, want one message", sent)
	}
	got := sent[0]
	if got.MessageID != msg.ID || got.ParseMode != "HTML" || !strings.HasPrefix(got.Text, "Balance: <b>") ||
		got.Plain != msg.Text || got.ReplyTo != question || got.At.IsZero() {
		t.Errorf("sent = %+v", got)
	}
	if got.ReplyMarkup == nil || got.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "balance" {
		t.Errorf("sent markup = %+v, want the Refresh button", got.ReplyMarkup)
	}
}

func TestSendMessageValidation(t *testing.T) {
	tests := []struct {
		name   string
		params url.Values
		status int
		desc   string
	}{
		{"no chat", url.Values{"text": {"x"}}, 400, "Bad Request: chat not found"},
		{"chat 0", url.Values{"chat_id": {"0"}, "text": {"x"}}, 400, "Bad Request: chat not found"},
		{"garbage chat", url.Values{"chat_id": {"alice"}, "text": {"x"}}, 400, "Bad Request: chat not found"},
		{"no text", url.Values{"chat_id": {"1"}}, 400, "Bad Request: message text is empty"},
		{"blank text", url.Values{"chat_id": {"1"}, "text": {" \n "}}, 400, "Bad Request: message text is empty"},
		{"only tags", url.Values{"chat_id": {"1"}, "text": {"<b> </b>"}, "parse_mode": {"HTML"}}, 400, "Bad Request: message text is empty"},
		{"4096", url.Values{"chat_id": {"1"}, "text": {strings.Repeat("я", 4096)}}, 200, ""},
		{"4097", url.Values{"chat_id": {"1"}, "text": {strings.Repeat("я", 4097)}}, 400, "Bad Request: message is too long"},
		{"4096 after parsing", url.Values{"chat_id": {"1"}, "text": {"<b>" + strings.Repeat("&amp;", 4096) + "</b>"}, "parse_mode": {"HTML"}}, 200, ""},
		{"emoji count twice", url.Values{"chat_id": {"1"}, "text": {strings.Repeat("😀", 2049)}}, 400, "Bad Request: message is too long"},
		{"bad HTML", url.Values{"chat_id": {"1"}, "text": {"a < b"}, "parse_mode": {"HTML"}}, 400, `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`},
		{"HTML not parsed without parse mode", url.Values{"chat_id": {"1"}, "text": {"a < b"}}, 200, ""},
		{"unknown parse mode", url.Values{"chat_id": {"1"}, "text": {"x"}, "parse_mode": {"BBCode"}}, 400, "Bad Request: unsupported parse_mode"},
		{"bad UTF-8", url.Values{"chat_id": {"1"}, "text": {"\xff"}}, 400, "Bad Request: text must be encoded in UTF-8"},
		{"reply to missing", url.Values{"chat_id": {"1"}, "text": {"x"}, "reply_parameters": {`{"message_id":500}`}}, 400, "Bad Request: message to be replied not found"},
		{"reply to missing allowed", url.Values{"chat_id": {"1"}, "text": {"x"}, "reply_parameters": {`{"message_id":500,"allow_sending_without_reply":true}`}}, 200, ""},
		{"bad markup JSON", url.Values{"chat_id": {"1"}, "text": {"x"}, "reply_markup": {"{"}}, 400, "Bad Request: can't parse reply keyboard markup JSON object"},
	}
	s := New(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, env := post(t, s, "sendMessage", tt.params)
			if status != tt.status || env.Description != tt.desc {
				t.Errorf("answer %d %q, want %d %q", status, env.Description, tt.status, tt.desc)
			}
		})
	}
}

func TestInlineKeyboardValidation(t *testing.T) {
	long := strings.Repeat("d", 65)
	tests := []struct {
		name   string
		markup string
		desc   string // "" when accepted
	}{
		{"callback", `{"inline_keyboard":[[{"text":"a","callback_data":"x"}]]}`, ""},
		{"url", `{"inline_keyboard":[[{"text":"a","url":"https://example.com"}]]}`, ""},
		{"copy text", `{"inline_keyboard":[[{"text":"a","copy_text":{"text":"123456"}}]]}`, ""},
		{"switch inline", `{"inline_keyboard":[[{"text":"a","switch_inline_query":"q"}]]}`, ""},
		{"64 bytes of data", `{"inline_keyboard":[[{"text":"a","callback_data":"` + strings.Repeat("я", 32) + `"}]]}`, ""},
		{"reply keyboard", `{"keyboard":[[{"text":"a"}]],"resize_keyboard":true}`, ""},
		{"remove keyboard", `{"remove_keyboard":true}`, ""},
		{"no action", `{"inline_keyboard":[[{"text":"a"}]]}`, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"},
		{"empty callback data", `{"inline_keyboard":[[{"text":"a","callback_data":""}]]}`, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"},
		{"65 bytes of data", `{"inline_keyboard":[[{"text":"a","callback_data":"` + long + `"}]]}`, "Bad Request: BUTTON_DATA_INVALID"},
		{"two actions", `{"inline_keyboard":[[{"text":"a","callback_data":"x","url":"https://example.com"}]]}`, "Bad Request: BUTTON_TYPE_INVALID"},
		{"empty copy text", `{"inline_keyboard":[[{"text":"a","copy_text":{"text":""}}]]}`, "Bad Request: BUTTON_COPY_TEXT_INVALID"},
		{"no text", `{"inline_keyboard":[[{"callback_data":"x"}]]}`, `Bad Request: can't parse inline keyboard button: Can't find field "text"`},
		{"empty text", `{"inline_keyboard":[[{"text":"","callback_data":"x"}]]}`, "Bad Request: can't parse inline keyboard button: Text must be non-empty"},
		{"ftp url", `{"inline_keyboard":[[{"text":"a","url":"ftp://example.com"}]]}`, "Bad Request: inline keyboard button URL 'ftp://example.com' is invalid: Unsupported URL protocol"},
		{"not rows", `{"inline_keyboard":[{"text":"a","callback_data":"x"}]}`, `Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays of Objects`},
	}
	s := New(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, env := post(t, s, "sendMessage", url.Values{"chat_id": {"1"}, "text": {"x"}, "reply_markup": {tt.markup}})
			if tt.desc == "" && status != http.StatusOK {
				t.Errorf("answer %d %q, want it accepted", status, env.Description)
			}
			if tt.desc != "" && (status != http.StatusBadRequest || env.Description != tt.desc) {
				t.Errorf("answer %d %q, want 400 %q", status, env.Description, tt.desc)
			}
		})
	}
}

// go-telegram/bot's InlineKeyboardButton always sends "copy_text":{"text":""};
// the fake refuses it so a bot using that type for callback buttons fails in
// tests rather than in production.
func TestLibraryInlineButtonIsRejected(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	_, err := b.SendMessage(context.Background(), &bot.SendMessageParams{
		ChatID: 5,
		Text:   "pick one",
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
			{{Text: "Yes", CallbackData: "yes"}},
		}},
	})
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "BUTTON_COPY_TEXT_INVALID") {
		t.Fatalf("SendMessage with models.InlineKeyboardButton: %v, want bad request BUTTON_COPY_TEXT_INVALID", err)
	}
	if calls := s.CallsTo("sendMessage"); !strings.Contains(calls[0].Params["reply_markup"], `"copy_text":{"text":""}`) {
		t.Errorf("the library no longer sends an empty copy_text (%s); this test and the fake's rule can be revisited",
			calls[0].Params["reply_markup"])
	}
	if len(s.Sent()) != 0 {
		t.Error("a refused message was recorded as sent")
	}
}

func TestEditMessageText(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	ctx := context.Background()
	chat := PrivateChat(bob)
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat.ID, Text: "Code: <code>1234</code>", ParseMode: models.ParseModeHTML, ReplyMarkup: keyboard1("Hide", "hide")})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	edit := func(text string, markup models.ReplyMarkup) error {
		_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat.ID, MessageID: msg.ID, Text: text, ParseMode: models.ParseModeHTML, ReplyMarkup: markup})
		return err
	}
	if err := edit("Code: <code>1234</code>", keyboard1("Hide", "hide")); err == nil || !strings.Contains(err.Error(), "message is not modified") {
		t.Fatalf("edit to the same content: %v, want message is not modified", err)
	}
	if err := edit("Code: <code>1234</code>", nil); err != nil {
		t.Fatalf("edit removing the keyboard: %v", err)
	}
	if m, _ := s.Message(chat.ID, msg.ID); m.ReplyMarkup != nil {
		t.Errorf("an edit without reply_markup kept the keyboard: %+v", m.ReplyMarkup)
	}
	if err := edit("Code: <i>hidden</i>", nil); err != nil {
		t.Fatalf("edit: %v", err)
	}
	edits := s.Edits()
	if len(edits) != 2 || edits[1].Plain != "Code: hidden" || edits[1].ReplyMarkup != nil || edits[1].MessageID != msg.ID {
		t.Errorf("edits = %+v", edits)
	}
	if err := edit("Code: <i>hidden", nil); !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "can't parse entities") {
		t.Errorf("edit with broken HTML: %v", err)
	}

	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat.ID, MessageID: 999, Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "message to edit not found") {
		t.Errorf("edit of an unknown message: %v, want message to edit not found", err)
	}
	userMsg := s.SendText(bob, chat, "hello")
	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat.ID, MessageID: userMsg, Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "message can't be edited") {
		t.Errorf("edit of a user's message: %v, want message can't be edited", err)
	}
}

func TestDeleteMessageTwice(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	ctx := context.Background()
	chat := PrivateChat(alice)
	userMsg := s.SendText(alice, chat, "/login secret")
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat.ID, Text: "ok"})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	del := func(id int) error {
		_, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: chat.ID, MessageID: id})
		return err
	}
	if err := del(userMsg); err != nil {
		t.Fatalf("deleting the user's message: %v", err)
	}
	if err := del(msg.ID); err != nil {
		t.Fatalf("deleting the bot's message: %v", err)
	}
	if err := del(msg.ID); !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "message to delete not found") {
		t.Fatalf("second delete: %v, want message to delete not found", err)
	}
	want := []Deleted{{chat.ID, userMsg, true}, {chat.ID, msg.ID, true}, {chat.ID, msg.ID, false}}
	if got := s.Deleted(); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("Deleted() = %+v, want %+v", got, want)
	}
	if _, exists := s.Message(chat.ID, msg.ID); exists {
		t.Error("a deleted message still exists")
	}
}

func TestCommands(t *testing.T) {
	s := New(t)
	b := newBot(t, s)
	ctx := context.Background()
	cmds := []models.BotCommand{{Command: "start", Description: "Start"}, {Command: "balance", Description: "Show balance"}}
	if _, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: cmds}); err != nil {
		t.Fatalf("SetMyCommands: %v", err)
	}
	if got := s.Commands(); len(got) != 2 || got[1] != cmds[1] {
		t.Errorf("Commands() = %+v", got)
	}
	_, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Start", Description: "x"}}})
	if !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("an upper-case command: %v, want bad request", err)
	}
	if _, err := b.DeleteMyCommands(ctx, &bot.DeleteMyCommandsParams{}); err != nil || s.Commands() != nil {
		t.Errorf("DeleteMyCommands: %v, commands %+v", err, s.Commands())
	}
}

// BenchmarkSendMessage measures a round trip through the real client, so a
// benchmark of the bot can tell how much of its time is the fake's.
func BenchmarkSendMessage(b *testing.B) {
	s := New(b)
	client, err := bot.New(s.Token, bot.WithServerURL(s.URL), bot.WithSkipGetMe())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	params := &bot.SendMessageParams{Text: "Your code: <b>123456</b>", ParseMode: models.ParseModeHTML, ReplyMarkup: keyboard1("Copy", "copy")}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := *params
		p.ChatID = int64(1 + i%1000)
		i++
		if _, err := client.SendMessage(ctx, &p); err != nil {
			b.Fatal(err)
		}
	}
	if len(s.Sent()) != i {
		b.Fatalf("%d sent, want %d", len(s.Sent()), i)
	}
}
