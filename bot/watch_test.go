package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// The watcher and sender, end to end: a watched order's SMS appears at the fake
// SMSOnline and must reach the fake Telegram exactly once.

var aliceChat = telegramtest.PrivateChat(alice)

// watchOrder logs alice in, adds a waiting order and watches it with /order.
func (h *harness) watchOrder(orderID string) {
	h.t.Helper()
	h.sms.AddOrder(smsUser, smsapitest.NewOrder(orderID))
	if _, err := h.store.Account(context.Background(), alice.ID); err != nil {
		h.login()
	}
	card := h.say(alice, aliceChat, "/order "+orderID)
	assertContains(h.t, card.Text, en.T(message.Watching))
}

// pushPrefix is how every push starts, whatever its order: the title up to the id.
var pushPrefix = strings.TrimSuffix(pushTitle(en, "0"), "0</b>")

// pushes returns the pushes (messages announcing an SMS) sent to chat.
func (h *harness) pushes(chatID int64) []telegramtest.SentMessage {
	var out []telegramtest.SentMessage
	for _, m := range h.tg.SentTo(chatID) {
		if strings.HasPrefix(m.Text, pushPrefix) {
			out = append(out, m)
		}
	}
	return out
}

// waitPushes waits until chat received at least n pushes and returns them.
func (h *harness) waitPushes(chatID int64, n int) []telegramtest.SentMessage {
	h.t.Helper()
	h.tg.WaitFor(h.t, 10*time.Second, func() bool { return len(h.pushes(chatID)) >= n })
	return h.pushes(chatID)
}

// waitMessage waits for a message to chat containing want.
func (h *harness) waitMessage(chatID int64, want string) telegramtest.SentMessage {
	h.t.Helper()
	var found telegramtest.SentMessage
	h.tg.WaitFor(h.t, 10*time.Second, func() bool {
		for _, m := range h.tg.SentTo(chatID) {
			if strings.Contains(m.Text, want) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// checks counts the requests that looked at orderID of SMSOnline user
// smsUserID at the fake: lookups of the order and inventories of its account.
func (h *harness) checks(smsUserID, orderID string) int {
	n := 0
	for _, rq := range h.sms.Log() {
		if rq.UserID == smsUserID && (rq.Kind == "order" && rq.OrderID == orderID || rq.Kind == "inventory") {
			n++
		}
	}
	return n
}

// afterChecks waits until orderID of smsUserID was checked n more times and
// the outbox is empty: whatever those checks would push (a duplicate, a
// second notice) has been sent by then.
func (h *harness) afterChecks(smsUserID, orderID string, n int) {
	h.t.Helper()
	want := h.checks(smsUserID, orderID) + n
	h.tg.WaitFor(h.t, 15*time.Second, func() bool {
		if h.checks(smsUserID, orderID) < want {
			return false
		}
		n, err := h.pending()
		return err == nil && n == 0
	})
}

// pending counts the messages waiting in the outbox.
func (h *harness) pending() (int, error) {
	due, err := h.store.DueMessages(context.Background(), time.Now().Add(24*time.Hour), 1<<20)
	return len(due), err
}

// clockOrder is bob's watched order that never gets an SMS: its checks
// show the watcher and the sender keep running after alice's watches ended.
const clockOrder = "7777"

// startClock has bob watch clockOrder.
func (h *harness) startClock() {
	h.t.Helper()
	h.loginBob()
	h.sms.AddOrder(bobSMSUser, smsapitest.NewOrder(clockOrder))
	card := h.say(bob, telegramtest.PrivateChat(bob), "/order "+clockOrder)
	assertContains(h.t, card.Text, en.T(message.Watching))
}

// afterRounds waits for three more checks of bob's clock order (see
// startClock) and an empty outbox.
func (h *harness) afterRounds() { h.t.Helper(); h.afterChecks(bobSMSUser, clockOrder, 3) }

func copyButtonText(m telegramtest.SentMessage) string {
	if m.ReplyMarkup == nil {
		return ""
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CopyText.Text != "" {
				return b.CopyText.Text
			}
		}
	}
	return ""
}

func TestWatchPushesEachSMSOnce(t *testing.T) {
	h := newHarness(t, withFastWatcher())
	h.watchOrder("20046875")

	h.sms.DeliverSMS(smsUser, "20046875", "Your Discord code is 583920. Don't share it.")
	first := h.waitPushes(aliceChat.ID, 1)[0]
	order := smsapitest.NewOrder("20046875")
	order.SMS = "Your Discord code is 583920. Don't share it."
	want, _ := en.Push(message.Watch{OrderID: order.ID}, message.Order{Service: order.Service, PhoneNumber: order.PhoneNumber, SMS: order.SMS}, time.Time{})
	assertContains(t, first.Text, want)
	assertContains(t, first.Text, "\n"+activeForLabel())
	if got := copyButtonText(first); got != "583920" {
		t.Errorf("copy button copies %q, want 583920", got)
	}

	h.afterChecks(smsUser, "20046875", 2)
	if n := len(h.pushes(aliceChat.ID)); n != 1 {
		t.Fatalf("the same SMS was pushed %d times", n)
	}

	h.sms.DeliverSMS(smsUser, "20046875", "Your Discord code is 111222")
	second := h.waitPushes(aliceChat.ID, 2)[1]
	assertContains(t, second.Text, "<code>111222</code>")
	h.afterChecks(smsUser, "20046875", 2)
	if n := len(h.pushes(aliceChat.ID)); n != 2 {
		t.Fatalf("got %d pushes for two SMS", n)
	}
}

func TestWatchEnds(t *testing.T) {
	tests := []struct {
		name   string
		script func(h *harness, orderID string)
		want   string
	}{
		{"expired without SMS", func(h *harness, id string) {
			h.sms.UpdateOrder(smsUser, id, func(o *smsapitest.Order) { o.ExpiresAt = time.Now().Add(-time.Second) })
		}, en.OrderExpired("555", "Discord")},
		{"expired status", func(h *harness, id string) { h.sms.SetStatus(smsUser, id, "expired") }, en.OrderExpired("555", "Discord")},
		{"cancelled", func(h *harness, id string) { h.sms.SetStatus(smsUser, id, "cancelled") }, en.OrderEnded("555", "Discord", "cancelled")},
		{"unknown order", func(h *harness, id string) {
			h.sms.InjectFault(smsapitest.Fault{Status: 404, Match: "order", Times: 1})
		}, en.WatchedOrderGone("555")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, withFastWatcher())
			h.watchOrder("555")
			tt.script(h, "555")
			h.waitMessage(aliceChat.ID, tt.want)
			h.startClock()
			h.afterRounds()
			if n := countContaining(h.tg.SentTo(aliceChat.ID), tt.want); n != 1 {
				t.Errorf("the user was told %d times", n)
			}
			if _, err := h.store.Watch(context.Background(), alice.ID, "555"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("watch still there (err = %v)", err)
			}
		})
	}
}

func TestRevokedKeyPausesUntilLogin(t *testing.T) {
	h := newHarness(t, withFastWatcher())
	h.watchOrder("555")
	h.sms.RevokeKey(smsUser)
	h.waitMessage(aliceChat.ID, en.T(message.WatchesPaused))
	h.startClock()
	h.afterRounds()
	if n := countContaining(h.tg.SentTo(aliceChat.ID), en.T(message.WatchesPaused)); n != 1 {
		t.Errorf("told %d times about the refused key", n)
	}
	w, err := h.store.Watch(context.Background(), alice.ID, "555")
	if err != nil || w.State != store.WatchPaused {
		t.Fatalf("watch = %+v, %v; want paused", w, err)
	}
	before := h.checks(smsUser, "555")
	h.afterRounds()
	if n := h.checks(smsUser, "555") - before; n != 0 {
		t.Errorf("a paused watch was still checked %d times", n)
	}

	h.sms.SetKey(smsUser, "sk-new-key-5678")
	got := h.say(alice, aliceChat, "/login 777 sk-new-key-5678")
	if want := en.LoginOK(balance(1500), smsUser) + en.Resumed(1); got.Text != want {
		t.Errorf("login with a paused watch = %q, want %q", got.Text, want)
	}
	h.sms.DeliverSMS(smsUser, "555", "4821")
	assertContains(t, h.waitPushes(aliceChat.ID, 1)[0].Text, "<code>4821</code>")
}

func TestFailingSMSOnlineStillPushesOnce(t *testing.T) {
	tests := []struct {
		name  string
		fault smsapitest.Fault
	}{
		{"500", smsapitest.Fault{Status: 500, Match: "order", Times: 4}},
		{"garbage", smsapitest.Fault{Body: "<html>502 Bad Gateway</html>", Match: "order", Times: 4}},
		{"429 with Retry-After", smsapitest.Fault{Status: 429, RetryAfter: "1", Match: "order", Times: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, withFastWatcher())
			h.watchOrder("555")
			h.sms.InjectFault(tt.fault)
			h.sms.DeliverSMS(smsUser, "555", "Code 918273")
			assertContains(t, h.waitPushes(aliceChat.ID, 1)[0].Text, "<code>918273</code>")
			h.afterChecks(smsUser, "555", 2)
			if n := len(h.pushes(aliceChat.ID)); n != 1 {
				t.Errorf("%d pushes, want 1", n)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	h := newHarness(t, withFastWatcher())
	h.watchOrder("555")
	h.sms.InjectFault(smsapitest.Fault{Status: 429, RetryAfter: "2", Match: "order", Times: 1})
	h.sms.DeliverSMS(smsUser, "555", "Code 918273")
	h.waitPushes(aliceChat.ID, 1)

	var limited time.Time
	var next time.Time
	for _, r := range h.sms.Log() {
		if r.Kind != "order" {
			continue
		}
		if r.Status == 429 {
			limited = r.At
		} else if !limited.IsZero() && next.IsZero() {
			next = r.At
		}
	}
	if limited.IsZero() || next.IsZero() {
		t.Fatalf("no 429 then retry in the log: %+v", h.sms.Log())
	}
	if gap := next.Sub(limited); gap < 2*time.Second {
		t.Errorf("retried %v after a 429 with Retry-After: 2", gap)
	}
}

func TestOrdersAndStop(t *testing.T) {
	h := newHarness(t)
	h.watchOrder("555")
	h.watchOrder("556")
	h.assertOrders(2)

	for _, step := range []struct{ text, want string }{
		{"/stop 555", en.StoppedWatching("555")},
		{"/stop 555", en.NotWatching("555")},
		{"/stop", en.T(message.StopUsage)},
	} {
		if got := h.say(alice, aliceChat, step.text).Text; got != step.want {
			t.Errorf("%s = %q, want %q", step.text, got, step.want)
		}
	}
	h.assertOrders(1)

	// Re-ordering the same id does not create a second watch.
	h.say(alice, aliceChat, "/order 556")
	if ws, _ := h.store.Watches(context.Background(), alice.ID); len(ws) != 1 {
		t.Errorf("%d watches after ordering 556 twice, want 1", len(ws))
	}
	if got := h.say(alice, aliceChat, "/logout").Text; got != en.LoggedOutEnded(1) {
		t.Errorf("/logout with a watch = %q", got)
	}
}

// assertOrders sends /orders as alice and expects the list of her n
// watches, as the catalogue renders it at some moment while it was made.
func (h *harness) assertOrders(n int) {
	h.t.Helper()
	ws, err := h.store.Watches(context.Background(), alice.ID)
	if err != nil || len(ws) != n {
		h.t.Fatalf("%d watches, %v; want %d", len(ws), err, n)
	}
	asked := time.Now()
	got := h.say(alice, aliceChat, "/orders")
	for _, now := range []time.Time{asked, got.At} {
		if got.Text == en.WatchList(view.Watches(ws), now) {
			return
		}
	}
	h.t.Errorf("/orders = %q, want %q", got.Text, en.WatchList(view.Watches(ws), got.At))
}

func TestWatchLimit(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.MaxWatchesPerUser = 2 }))
	h.watchOrder("1")
	h.watchOrder("2")
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("3"))
	assertContains(t, h.say(alice, aliceChat, "/order 3").Text, cardTitle(en, "3"), en.WatchLimit(2))
}

func TestCardButtons(t *testing.T) {
	h := newHarness(t)
	h.watchOrder("555")
	card := h.tg.SentTo(aliceChat.ID)[len(h.tg.SentTo(aliceChat.ID))-1]
	data := buttonData(card.ReplyMarkup)
	// The buttons name the card's owner: "<action>:<owner>:<orderId>".
	refresh, stop, watch := ownedButton("r", alice, "555"), ownedButton("s", alice, "555"), ownedButton("w", alice, "555")
	if !slices.Contains(data, refresh) || !slices.Contains(data, stop) {
		t.Fatalf("card buttons = %v, want refresh and stop", data)
	}

	// Stop from the card: the watch ends and the card offers watching again.
	h.tg.PressButton(alice, aliceChat, card.MessageID, stop)
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.Edits()) >= 1 })
	edit := h.tg.Edits()[0]
	if slices.Contains(buttonData(edit.ReplyMarkup), stop) || !slices.Contains(buttonData(edit.ReplyMarkup), watch) {
		t.Errorf("after stop the card offers %v", buttonData(edit.ReplyMarkup))
	}
	if _, err := h.store.Watch(context.Background(), alice.ID, "555"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("watch survived the stop button (err = %v)", err)
	}

	// Refresh shows the SMS once it arrived, without watching again.
	h.sms.DeliverSMS(smsUser, "555", "777888")
	h.tg.PressButton(alice, aliceChat, card.MessageID, refresh)
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.Edits()) >= 2 })
	assertContains(t, h.tg.Edits()[1].Text, "<code>777888</code>")
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.Answered()) == 2 })
}

// ownedButton is the callback data of a card button made for owner.
func ownedButton(action string, owner telegramtest.User, orderID string) string {
	return fmt.Sprintf("%s:%d:%s", action, owner.ID, orderID)
}

func buttonData(kb *models.InlineKeyboardMarkup) []string {
	var out []string
	if kb == nil {
		return out
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			out = append(out, b.CallbackData)
		}
	}
	return out
}
