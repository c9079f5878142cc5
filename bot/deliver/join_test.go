package deliver

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/watch"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

func TestJoinFirst(t *testing.T) {
	push := func(order, code string) store.Message {
		w := store.Watch{TelegramUserID: 7, OrderID: order, ChatID: 7, Service: "Discord"}
		return *watch.PushMessage(message.English, w, smsapi.Order{ID: order, Status: "completed", SMS: "Your code is " + code}, checkNow)
	}
	m, n := joinFirst([]store.Message{push("111", "123456"), push("222", "654321")})
	if n != 2 {
		t.Fatalf("joined %d pushes, want 2", n)
	}
	assertContains(t, m.Text, "New SMS for order 111", "<code>123456</code>", "New SMS for order 222", "<code>654321</code>")
	if m.ChatID != 7 || m.Priority != store.PriorityPush || m.OrderID != "" || m.TelegramUserID != 7 {
		t.Errorf("joined message %+v", m)
	}
	var kb message.Keyboard
	if err := json.Unmarshal([]byte(m.Markup), &kb); err != nil {
		t.Fatal(err)
	}
	var buttons []string
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			if b.CopyText != nil {
				buttons = append(buttons, b.Text+"="+b.CopyText.Text)
			} else {
				buttons = append(buttons, b.Text+"="+b.CallbackData)
			}
		}
	}
	want := "📦 111=111, 📋 Copy code=123456, 📨 Another SMS=a:7:111:p, 🔁 Buy again=b:7:111:p, " +
		"📦 222=222, 📋 Copy code=654321, 📨 Another SMS=a:7:222:p, 🔁 Buy again=b:7:222:p"
	if strings.Join(buttons, ", ") != want {
		t.Errorf("buttons %q, want %q", strings.Join(buttons, ", "), want)
	}
	// Byte for byte what the catalogue's keyboards of both pushes, each
	// under its order's row, would be: joining at the JSON level changes
	// nothing Telegram sees.
	var rows [][]message.Button
	for _, p := range []struct{ order, code string }{{"111", "123456"}, {"222", "654321"}} {
		rows = append(rows, []message.Button{message.OrderButton(p.order)})
		rows = append(rows, message.English.PushKeyboard(7, p.order, p.code).InlineKeyboard...)
	}
	if typed := message.MarkupJSON(&message.Keyboard{InlineKeyboard: rows}); m.Markup != typed {
		t.Errorf("markup\n%s\nwant\n%s", m.Markup, typed)
	}

	// Too long together: split, and a lone push keeps its own keyboard.
	long := push("333", "111111")
	long.Text += strings.Repeat("x", maxJoinedBytes-len(long.Text)-10)
	if m, n := joinFirst([]store.Message{push("111", "123456"), long}); n != 1 || len(m.Text) > maxJoinedBytes {
		t.Errorf("joined %d pushes into %d bytes, want the first alone", n, len(m.Text))
	}
	if m, n := joinFirst([]store.Message{long}); n != 1 || m.Markup != long.Markup {
		t.Errorf("a lone push changed: %+v", m)
	}
	var many []store.Message
	for i := range maxJoinedPushes + 1 {
		many = append(many, push(fmt.Sprint(i), fmt.Sprintf("%06d", i)))
	}
	if _, n := joinFirst(many); n != maxJoinedPushes {
		t.Errorf("%d pushes: the first message joins %d, want %d", len(many), n, maxJoinedPushes)
	}
}

var checkNow = time.Date(2025, 5, 17, 5, 50, 0, 0, time.UTC)

func assertContains(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("message lacks %q:\n%s", w, text)
		}
	}
}
