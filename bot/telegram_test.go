package bot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

func TestTelegram429ThenAccepted(t *testing.T) {
	h := newHarness(t, withFastWatcher())
	h.watchOrder("555")
	h.tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: aliceChat.ID, Code: 429, RetryAfter: 1, Times: 1})
	h.sms.DeliverSMS(smsUser, "555", "Code 918273")
	push := h.waitPushes(aliceChat.ID, 1)[0]
	h.afterChecks(smsUser, "555", 2)
	if n := len(h.pushes(aliceChat.ID)); n != 1 {
		t.Errorf("%d pushes, want 1", n)
	}
	var refused time.Time
	for _, c := range h.tg.CallsTo("sendMessage") {
		if c.Status == 429 {
			refused = c.At
		}
	}
	if refused.IsZero() {
		t.Fatal("the fault was not hit")
	}
	if gap := push.At.Sub(refused); gap < time.Second {
		t.Errorf("push resent %v after a 429 with retry_after 1", gap)
	}
}

func TestTelegramBlockedEndsWatches(t *testing.T) {
	h := newHarness(t, withFastWatcher())
	h.watchOrder("555")
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("556"))
	h.say(alice, aliceChat, "/order 556")
	h.tg.BlockChat(aliceChat.ID)
	h.sms.DeliverSMS(smsUser, "555", "Code 918273")

	h.tg.WaitFor(t, 10*time.Second, func() bool {
		ws, err := h.store.Watches(context.Background(), alice.ID)
		return err == nil && len(ws) == 0
	})
	h.tg.WaitFor(t, 10*time.Second, func() bool {
		n, err := h.pending()
		return err == nil && n == 0
	})
}

func TestRestartResumesWatchesAndOutbox(t *testing.T) {
	h := newHarness(t, withFastWatcher())
	h.watchOrder("555")

	// An unsent message: Telegram fails every send until the restart.
	h.tg.InjectFault(telegramtest.Fault{Method: "sendMessage", Code: 502, Description: "Bad Gateway"})
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("556"))
	h.tg.SendText(alice, aliceChat, "/order 556") // the answer fails, but the watch is stored
	h.tg.WaitFor(t, 5*time.Second, func() bool {
		_, err := h.store.Watch(context.Background(), alice.ID, "556")
		return err == nil
	})
	h.sms.DeliverSMS(smsUser, "556", "Code 246810")
	h.tg.WaitFor(t, 10*time.Second, func() bool {
		n, _ := h.pending()
		return n == 1
	})
	h.stop()

	h.tg.ClearFaults()
	h.sms.DeliverSMS(smsUser, "555", "Code 135790") // arrives while the bot is down
	h.start()
	pushes := h.waitPushes(aliceChat.ID, 2)
	got := pushes[0].Text + pushes[1].Text
	assertContains(t, got, "<code>246810</code>", "<code>135790</code>")
	h.afterChecks(smsUser, "555", 2)
	h.afterChecks(smsUser, "556", 2)
	if n := len(h.pushes(aliceChat.ID)); n != 2 {
		t.Errorf("%d pushes after restart, want 2", n)
	}
}

func TestPacingUnderTelegramLimits(t *testing.T) {
	h := newStoppedHarness(t)
	h.tg = telegramtest.New(t, telegramtest.WithLimits(telegramtest.DefaultLimits()))

	// 100 pushes due at once to 100 chats, plus three notices for one chat
	// (pushes for one chat would be joined).
	st, err := store.Open(context.Background(), h.dbPath, h.key)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		chat := int64(5000 + i)
		enqueue(t, st, chat, pushTitle(en, fmt.Sprint(i)))
	}
	for i := range 3 {
		enqueueAs(t, st, 42, store.PriorityNotice, en.OrderExpired(fmt.Sprintf("x%d", i), ""))
	}
	st.Close()

	h.start()
	h.tg.WaitSent(t, 103, 30*time.Second)
	if n := h.tg.Count429(); n != 0 {
		t.Errorf("Telegram answered 429 %d times", n)
	}
	sent := h.tg.Sent()
	for i := range sent {
		window := 0
		for j := i; j < len(sent) && sent[j].At.Sub(sent[i].At) < time.Second; j++ {
			window++
		}
		if window > 30 {
			t.Fatalf("%d messages within one second starting at #%d", window, i)
		}
	}
	last := map[int64]time.Time{}
	for _, m := range sent {
		if prev, ok := last[m.ChatID]; ok && m.At.Sub(prev) < time.Second {
			t.Errorf("two messages to chat %d within %v", m.ChatID, m.At.Sub(prev))
		}
		last[m.ChatID] = m.At
	}
}

func enqueue(t *testing.T, st *store.Store, chatID int64, text string) {
	t.Helper()
	enqueueAs(t, st, chatID, store.PriorityPush, text)
}

func enqueueAs(t *testing.T, st *store.Store, chatID int64, priority int, text string) {
	t.Helper()
	if _, err := st.Enqueue(context.Background(), store.Message{ChatID: chatID, TelegramUserID: chatID, OrderID: "1",
		Priority: priority, Text: text}, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestQueuedPushesForOneChatGoAsOne: pushes that queued up for one chat
// (found in different rounds, or held back by Telegram) leave as one
// message, so the second code does not wait a second behind the first.
func TestQueuedPushesForOneChatGoAsOne(t *testing.T) {
	h := newStoppedHarness(t)
	st, err := store.Open(context.Background(), h.dbPath, h.key)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		enqueue(t, st, 42, pushTitle(en, fmt.Sprintf("x%d", i)))
	}
	enqueueAs(t, st, 42, store.PriorityNotice, en.OrderExpired("x9", ""))
	st.Close()

	h.start()
	sent := h.tg.WaitSent(t, 2, 10*time.Second)
	assertContains(t, sent[0].Text, pushTitle(en, "x0"), pushTitle(en, "x1"), pushTitle(en, "x2"))
	if want := en.OrderExpired("x9", ""); sent[1].Text != want {
		t.Errorf("the notice = %q, want %q", sent[1].Text, want)
	}
	h.afterChecks("", "", 0) // an empty outbox
	if n := len(h.tg.Sent()); n != 2 {
		t.Errorf("%d messages, want the joined pushes and the notice", n)
	}
}
