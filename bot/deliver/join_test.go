package deliver

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

func TestJoinPushes(t *testing.T) {
	push := func(order, code string) store.Message {
		w := store.Watch{TelegramUserID: 7, OrderID: order, ChatID: 7, Service: "Discord"}
		return *message.Push(w, smsapi.Order{ID: order, Status: "completed", SMS: "Your code is " + code}, checkNow)
	}
	got := JoinPushes([]store.Message{push("111", "123456"), push("222", "654321")})
	if len(got) != 1 {
		t.Fatalf("%d messages, want 1", len(got))
	}
	m := got[0]
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
			buttons = append(buttons, b.Text+"="+b.CopyText.Text)
		}
	}
	if want := "📋 Copy code · order 111=123456, 📋 Copy code · order 222=654321"; strings.Join(buttons, ", ") != want {
		t.Errorf("buttons %q, want %q", strings.Join(buttons, ", "), want)
	}

	// Too long together: split, and a lone push keeps its own keyboard.
	long := push("333", "111111")
	long.Text += strings.Repeat("x", maxJoinedBytes-len(long.Text)-10)
	got = JoinPushes([]store.Message{push("111", "123456"), long})
	if len(got) != 2 || got[1].Markup != long.Markup || len(got[0].Text) > maxJoinedBytes {
		t.Errorf("split into %d messages: %+v", len(got), got)
	}
	var many []store.Message
	for i := range maxJoinedPushes + 1 {
		many = append(many, push(fmt.Sprint(i), fmt.Sprintf("%06d", i)))
	}
	if got := JoinPushes(many); len(got) != 2 {
		t.Errorf("%d pushes joined into %d messages, want 2", len(many), len(got))
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
