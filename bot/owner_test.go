package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// Owner-only rules: an SMS code reaches only its owner's private chat, only
// the user an order card was made for can press its buttons, and /login is
// answered only within the sender's budget.

const (
	bobSMSUser = "888"
	bobSMSKey  = "sk-live-bob-0a1b2c3d"
)

// loginBob links bob's own SMSOnline account in his private chat.
func (h *harness) loginBob() {
	h.t.Helper()
	h.sms.AddAccount(bobSMSUser, bobSMSKey, 20)
	h.linkAccount(bob, bobSMSUser, bobSMSKey, en)
}

func TestCodeGoesOnlyToPrivateChat(t *testing.T) {
	t.Run("private /order, then the same order in a group", func(t *testing.T) {
		h := newHarness(t, withFastWatcher())
		h.watchOrder("555") // in alice's private chat
		card := h.say(alice, group, "/order@smsbot_test_bot 555")
		assertContains(t, card.Text, cardTitle(en, "555"), en.T(message.WatchingPrivately))
		if w, err := h.store.Watch(context.Background(), alice.ID, "555"); err != nil || w.ChatID != aliceChat.ID {
			t.Errorf("watch after the group /order = %+v, %v; want it in chat %d", w, err, aliceChat.ID)
		}

		h.sms.DeliverSMS(smsUser, "555", "Your code is 482913")
		assertContains(t, h.waitPushes(aliceChat.ID, 1)[0].Text, "<code>482913</code>")
		h.afterChecks(smsUser, "555", 2)
		assertNothingContains(t, h.tg, group.ID, "482913")
		if n := len(h.pushes(aliceChat.ID)); n != 1 {
			t.Errorf("%d pushes to the private chat, want 1", n)
		}
	})

	t.Run("group /order first", func(t *testing.T) {
		h := newHarness(t, withFastWatcher())
		h.login()
		h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
		card := h.say(alice, group, "/order@smsbot_test_bot 555")
		assertContains(t, card.Text, cardTitle(en, "555"), en.T(message.WatchingPrivately))

		h.sms.DeliverSMS(smsUser, "555", "Your code is 482913")
		assertContains(t, h.waitPushes(aliceChat.ID, 1)[0].Text, "<code>482913</code>")
		h.afterChecks(smsUser, "555", 2)
		assertNothingContains(t, h.tg, group.ID, "482913")
		if n := len(h.tg.SentTo(group.ID)); n != 1 {
			t.Errorf("the group got %d messages, want only the card", n)
		}
	})

	t.Run("group /order of an order whose SMS is there", func(t *testing.T) {
		h := newHarness(t, withFastWatcher())
		h.login()
		h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
		h.sms.DeliverSMS(smsUser, "555", "Your code is 482913")
		card := h.say(alice, group, "/order@smsbot_test_bot 555")
		assertContains(t, card.Text, cardLines(smsapitest.NewOrder("555"), message.StateReceived)...) // without the SMS
		assertContains(t, card.Text, en.T(message.SentPrivately))
		assertContains(t, h.waitPushes(aliceChat.ID, 1)[0].Text, "<code>482913</code>")

		// Asking again, or refreshing the card, pushes it no second time.
		h.say(alice, group, "/order@smsbot_test_bot 555")
		h.tg.PressButton(alice, group, card.MessageID, ownedButton("r", alice, "555"))
		// The card is current already, so the edit is "not modified": wait for the toast.
		h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.CallsTo("answerCallbackQuery")) == 1 })
		h.waitHandled()
		h.afterChecks(smsUser, "555", 0) // and an empty outbox
		assertNothingContains(t, h.tg, group.ID, "482913")
		if n := len(h.pushes(aliceChat.ID)); n != 1 {
			t.Errorf("%d pushes to the private chat, want 1", n)
		}
	})
}

func TestCardButtonsOnlyForOwner(t *testing.T) {
	// The watcher waits an hour between checks, so every SMSOnline request
	// counted below would come from a button.
	h := newHarness(t, withConfig(func(c *Config) { c.PollInterval = time.Hour }))
	h.login()
	h.loginBob()
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	card := h.say(alice, group, "/order@smsbot_test_bot 555")
	refresh, stop, watch := ownedButton("r", alice, "555"), ownedButton("s", alice, "555"), ownedButton("w", alice, "555")
	if got := buttonData(card.ReplyMarkup); !slices.Contains(got, refresh) || !slices.Contains(got, stop) {
		t.Fatalf("card buttons = %v, want alice's refresh and stop", got)
	}
	answers := func() []string {
		var out []string
		for _, c := range h.tg.CallsTo("answerCallbackQuery") {
			out = append(out, c.Params["text"])
		}
		return out
	}

	// Bob taps every button of alice's card, and the buttons of an old card
	// that does not name its owner.
	before := h.sms.Requests()
	presses := []string{refresh, stop, watch, "r:555", "s:555"}
	for i, data := range presses {
		h.tg.PressButton(bob, group, card.MessageID, data)
		h.tg.WaitFor(t, 5*time.Second, func() bool { return len(answers()) == i+1 })
	}
	for i, got := range answers() {
		want := en.T(message.NotYourCard)
		if !strings.Contains(presses[i], ":1001:") {
			want = en.T(message.ButtonExpired)
		}
		if got != want {
			t.Errorf("bob pressing %s was answered %q, want %q", presses[i], got, want)
		}
	}
	if n := h.sms.Requests() - before; n != 0 {
		t.Errorf("bob's presses made %d SMSOnline requests", n)
	}
	if n := len(h.tg.Edits()); n != 0 {
		t.Errorf("bob's presses edited the card %d times", n)
	}
	if m, ok := h.tg.Message(group.ID, card.MessageID); !ok || m.Text != card.Plain {
		t.Errorf("card after bob's presses = %q, want it unchanged: %q", m.Text, card.Plain)
	}
	if _, err := h.store.Watch(context.Background(), alice.ID, "555"); err != nil {
		t.Errorf("bob's stop press ended alice's watch: %v", err)
	}
	if ws, err := h.store.Watches(context.Background(), bob.ID); err != nil || len(ws) != 0 {
		t.Errorf("bob's presses left him watches %+v (%v)", ws, err)
	}

	// Alice's own presses on the group card work; her codes stay private.
	h.tg.PressButton(alice, group, card.MessageID, stop)
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.Edits()) == 1 })
	assertContains(t, h.tg.Edits()[0].Text, cardTitle(en, "555"))
	if !slices.Contains(buttonData(h.tg.Edits()[0].ReplyMarkup), watch) {
		t.Errorf("after stop the card offers %v", buttonData(h.tg.Edits()[0].ReplyMarkup))
	}
	h.tg.PressButton(alice, group, card.MessageID, watch)
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.Edits()) == 2 })
	assertContains(t, h.tg.Edits()[1].Text, en.T(message.WatchingPrivately))
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(answers()) == len(presses)+2 })
	if got := answers()[len(presses)+1]; got != en.T(message.ToastWatchingPrivate) {
		t.Errorf("alice pressing watch on the group card was answered %q", got)
	}
	if w, err := h.store.Watch(context.Background(), alice.ID, "555"); err != nil || w.ChatID != aliceChat.ID {
		t.Errorf("watch started from the group card = %+v, %v; want it in chat %d", w, err, aliceChat.ID)
	}

	// An old card in alice's private chat still works for her.
	private := h.say(alice, aliceChat, "/order 555")
	h.tg.PressButton(alice, aliceChat, private.MessageID, "r:555")
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(answers()) == len(presses)+3 })
	if got := answers()[len(presses)+2]; got != en.T(message.ToastUpdated) {
		t.Errorf("alice pressing an old card in her private chat was answered %q", got)
	}
}

func TestLoginFloodInGroupIsThrottled(t *testing.T) {
	// Hardly any refill during the flood, so the budget is the burst of 10.
	slow := withConfig(func(c *Config) { c.CommandRate = 0.001 })
	slowDown := textBefore(en.SlowDown(time.Hour), en.Duration(time.Hour))
	flood := func(h *harness, from telegramtest.User) {
		t.Helper()
		for range 40 {
			h.tg.SendText(from, group, "/login@smsbot_test_bot "+smsUser+" "+smsKey)
		}
		// Every key leaves the chat, whatever the budget says.
		h.tg.WaitFor(t, 10*time.Second, func() bool { return len(h.tg.Deleted()) == 40 })
		for _, d := range h.tg.Deleted() {
			if d.ChatID != group.ID || !d.OK {
				t.Errorf("deletion %+v, want one in the group", d)
			}
		}
		h.waitHandled()
	}

	t.Run("a served user", func(t *testing.T) {
		h := newHarness(t, slow)
		flood(h, alice)
		sent := h.tg.SentTo(group.ID)
		if n := countContaining(sent, en.T(message.LoginInGroup)); n != 10 {
			t.Errorf("%d warnings about the key, want 10 (the budget)", n)
		}
		if n := countContaining(sent, slowDown); n != 1 {
			t.Errorf("told to slow down %d times, want once", n)
		}
		if len(sent) != 11 {
			t.Errorf("%d answers to 40 /login, want 11", len(sent))
		}
	})

	t.Run("a user the bot does not serve", func(t *testing.T) {
		h := newHarness(t, slow, withAllowedUsers(alice.ID))
		flood(h, bob)
		sent := h.tg.SentTo(group.ID)
		if n := countContaining(sent, en.T(message.LoginInGroup)); n != 0 {
			t.Errorf("a stranger got %d answers about the key, want none", n)
		}
		if len(sent) > 11 {
			t.Errorf("%d answers to a stranger's 40 /login, want at most 11", len(sent))
		}
		for _, m := range sent {
			if m.Text != en.T(message.NotAllowed) && !strings.HasPrefix(m.Text, slowDown) {
				t.Errorf("a stranger got %q", m.Text)
				break
			}
		}
		if n := h.sms.Requests(); n != 0 {
			t.Errorf("a stranger's /login reached SMSOnline: %d requests", n)
		}
	})
}

func TestStoredOrderFieldsAreCapped(t *testing.T) {
	h := newHarness(t, withFastWatcher())
	h.login()
	huge := strings.Repeat("D", 300_000)
	o := smsapitest.NewOrder("555")
	o.Service = huge
	h.sms.AddOrder(smsUser, o)
	assertContains(t, h.say(alice, aliceChat, "/order 555").Text, cardTitle(en, "555"), "DDD…")

	// rowSize is what the watch's snapshot takes in its row.
	rowSize := func() int {
		w, err := h.store.Watch(context.Background(), alice.ID, "555")
		if err != nil {
			t.Fatal(err)
		}
		return len(w.Service) + len(w.PhoneNumber) + len(w.Status)
	}
	const maxRow = 4 * 1024
	if n := rowSize(); n > maxRow {
		t.Errorf("the watch made by /order stores %d bytes of order fields, want at most %d", n, maxRow)
	}

	// The watcher's checks store the snapshot too.
	h.sms.UpdateOrder(smsUser, "555", func(o *smsapitest.Order) {
		o.Status = "on hold " + huge
		o.PhoneNumber = "+1" + strings.Repeat("5", 300_000)
	})
	h.tg.WaitFor(t, 10*time.Second, func() bool {
		w, err := h.store.Watch(context.Background(), alice.ID, "555")
		return err == nil && strings.HasPrefix(w.Status, "on hold")
	})
	if n := rowSize(); n > maxRow {
		t.Errorf("the watch after a check stores %d bytes of order fields, want at most %d", n, maxRow)
	}
	assertContains(t, h.say(alice, aliceChat, "/orders").Text, "<code>555</code> DDD", "on hold DDD")
}
