package bot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// Failing peers: for every way SMSOnline or Telegram can fail, the user gets a
// clear answer, nothing is lost, and nothing is retried faster than backoff.

// apiFault makes SMSOnline's order call fail in one way.
type apiFault struct {
	name        string
	inject      func(h *harness, times int) // the next `times` order calls fail
	heal        func(h *harness)
	answer      string        // what /order answers while it fails
	minFirstGap time.Duration // least wait before the first retry (Retry-After)
}

func faultFor(f smsapitest.Fault) func(h *harness, times int) {
	return func(h *harness, times int) {
		f.Times, f.Match = times, "order"
		h.sms.InjectFault(f)
	}
}

func healFaults(h *harness) { h.sms.ClearFaults() }

var apiFaults = []apiFault{
	{name: "connection refused",
		inject: func(h *harness, _ int) { h.apiNet.down.Store(true) },
		heal:   func(h *harness) { h.apiNet.down.Store(false) },
		answer: en.T(message.APIDown)},
	{name: "timeout", inject: faultFor(smsapitest.Fault{Delay: 3 * time.Second}), heal: healFaults, answer: en.T(message.APIDown)},
	{name: "500", inject: faultFor(smsapitest.Fault{Status: 500}), heal: healFaults, answer: en.T(message.APIDown)},
	{name: "502 html page", inject: faultFor(smsapitest.Fault{Status: 502, Body: "<html><body>502 Bad Gateway</body></html>"}), heal: healFaults, answer: en.T(message.APIDown)},
	{name: "503", inject: faultFor(smsapitest.Fault{Status: 503}), heal: healFaults, answer: en.T(message.APIDown)},
	{name: "429 Retry-After seconds", inject: faultFor(smsapitest.Fault{Status: 429, RetryAfter: "1"}), heal: healFaults,
		answer: en.RateLimited(time.Second), minFirstGap: time.Second},
	{name: "429 Retry-After date",
		inject: func(h *harness, times int) {
			at := time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
			h.sms.InjectFault(smsapitest.Fault{Status: 429, RetryAfter: at, Times: times, Match: "order"})
		},
		heal: healFaults, answer: textBefore(en.RateLimited(time.Hour), en.Duration(time.Hour)), minFirstGap: time.Second}, // the wait left till then
	{name: "429 without Retry-After", inject: faultFor(smsapitest.Fault{Status: 429}), heal: healFaults, answer: en.RateLimited(0)},
	{name: "html with 200", inject: faultFor(smsapitest.Fault{Body: "<!doctype html><title>Maintenance</title>"}), heal: healFaults, answer: en.T(message.APIGarbled)},
	{name: "truncated json", inject: faultFor(smsapitest.Fault{Body: `{"ok":true,"body":[{"orderId":"55`}), heal: healFaults, answer: en.T(message.APIGarbled)},
	{name: "ok false errorMessage", inject: faultFor(smsapitest.Fault{Body: `{"ok":false,"errorMessage":"Temporarily unavailable for this number"}`}), heal: healFaults, answer: en.T(message.APIRejected)},
	{name: "ok false message", inject: faultFor(smsapitest.Fault{Body: `{"ok":false,"message":"Service paused"}`}), heal: healFaults, answer: en.T(message.APIRejected)},
	{name: "ok false error object", inject: faultFor(smsapitest.Fault{Body: `{"ok":false,"error":{"message":"Service paused"}}`}), heal: healFaults, answer: en.T(message.APIRejected)},
	{name: "ok false bare string", inject: faultFor(smsapitest.Fault{Body: `{"ok":false,"body":"Service paused"}`}), heal: healFaults, answer: en.T(message.APIRejected)},
	{name: "another order", inject: faultFor(smsapitest.Fault{Body: `{"ok":true,"body":[{"orderId":"999","status":"completed","receivedSMS":"111111"}]}`}), heal: healFaults, answer: en.T(message.APIGarbled)},
	{name: "huge body", inject: faultFor(smsapitest.Fault{Body: `{"ok":true,"body":"` + strings.Repeat("x", 2<<20) + `"}`}), heal: healFaults, answer: en.T(message.APIGarbled)},
}

func TestFailingSMSOnline(t *testing.T) {
	for _, f := range apiFaults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, withFastWatcher())
			h.login()
			h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
			h.sms.AddOrder(smsUser, smsapitest.NewOrder("556"))

			// The answer is clear and nothing is stored.
			f.inject(h, 1)
			assertContains(t, h.say(alice, aliceChat, "/order 555").Text, f.answer)
			f.heal(h)
			if _, err := h.store.Watch(context.Background(), alice.ID, "555"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a failed /order left a watch (err = %v)", err)
			}

			// A watch survives the failure and is retried no faster than backoff.
			assertContains(t, h.say(alice, aliceChat, "/order 556").Text, en.T(message.Watching))
			start := time.Now()
			f.inject(h, 3)
			var attempts []time.Time
			h.tg.WaitFor(t, 15*time.Second, func() bool {
				attempts = h.apiNet.attemptsSince(start)
				return len(attempts) >= 3
			})
			f.heal(h)
			assertBackoff(t, attempts[:3], 100*time.Millisecond, f.minFirstGap)
			if w, err := h.store.Watch(context.Background(), alice.ID, "556"); err != nil || w.State != store.WatchActive {
				t.Fatalf("watch after the failures = %+v, %v", w, err)
			}

			h.sms.DeliverSMS(smsUser, "556", "Code 482913")
			assertContains(t, h.waitPushes(aliceChat.ID, 1)[0].Text, "<code>482913</code>")
			h.afterChecks(smsUser, "556", 2)
			if n := len(h.pushes(aliceChat.ID)); n != 1 {
				t.Errorf("%d pushes, want 1", n)
			}
		})
	}
}

// assertBackoff checks that failed attempts were spaced at least as backoff
// demands: the k-th gap is at least 80% of base·2^k (the jitter is ±20%), and
// the first at least minFirst.
func assertBackoff(t *testing.T, attempts []time.Time, base, minFirst time.Duration) {
	t.Helper()
	for k := 1; k < len(attempts); k++ {
		gap := attempts[k].Sub(attempts[k-1])
		want := max(base<<(k-1)*8/10, 0)
		if k == 1 {
			want = max(want, minFirst*9/10)
		}
		if gap < want {
			t.Errorf("retry %d came %v after the previous failure, want at least %v (attempts %v)", k, gap, want, attempts)
		}
	}
}

func TestFailingTelegram(t *testing.T) {
	t.Run("5xx for a while, then accepted", func(t *testing.T) {
		h := newHarness(t, withFastWatcher())
		h.watchOrder("555")
		h.tg.InjectFault(telegramtest.Fault{Method: "sendMessage", Code: 502, Description: "Bad Gateway", Times: 2})
		h.sms.DeliverSMS(smsUser, "555", "Code 482913")
		assertContains(t, h.waitPushes(aliceChat.ID, 1)[0].Text, "<code>482913</code>")
		h.afterChecks(smsUser, "555", 2)
		if n := len(h.pushes(aliceChat.ID)); n != 1 {
			t.Errorf("%d pushes, want 1", n)
		}
	})

	t.Run("timeout, then accepted", func(t *testing.T) {
		h := newHarness(t, withFastWatcher(), withConfig(func(c *Config) { c.SendTimeout = 500 * time.Millisecond }))
		h.watchOrder("555")
		h.tg.InjectFault(telegramtest.Fault{Method: "sendMessage", Delay: 2 * time.Second, Times: 1})
		h.sms.DeliverSMS(smsUser, "555", "Code 482913")
		// A send that timed out may or may not have reached Telegram: at least once.
		assertContains(t, h.waitPushes(aliceChat.ID, 1)[0].Text, "<code>482913</code>")
	})

	t.Run("chat not found ends the chat's watches", func(t *testing.T) {
		h := newHarness(t, withFastWatcher())
		h.watchOrder("555")
		h.startClock()
		h.tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: aliceChat.ID, Code: 400, Description: "Bad Request: chat not found"})
		h.sms.DeliverSMS(smsUser, "555", "Code 482913")
		h.tg.WaitFor(t, 10*time.Second, func() bool {
			ws, err := h.store.Watches(context.Background(), alice.ID)
			n, err2 := h.pending()
			return err == nil && err2 == nil && len(ws) == 0 && n == 0
		})
		calls := len(h.tg.CallsTo("sendMessage"))
		h.afterRounds()
		if more := len(h.tg.CallsTo("sendMessage")) - calls; more != 0 {
			t.Errorf("kept sending to a chat that is gone (%d more calls)", more)
		}
	})

	t.Run("a message Telegram rejects is dropped, not retried forever", func(t *testing.T) {
		h := newHarness(t, withFastWatcher())
		h.watchOrder("555")
		h.tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: aliceChat.ID, Code: 400, Description: "Bad Request: can't parse entities", Times: 1})
		h.sms.DeliverSMS(smsUser, "555", "Code 482913")
		h.tg.WaitFor(t, 10*time.Second, func() bool {
			n, err := h.pending()
			return err == nil && n == 0
		})
		h.afterChecks(smsUser, "555", 2)
		tries := 0
		for _, c := range h.tg.CallsTo("sendMessage") {
			if strings.HasPrefix(c.Params["text"], pushPrefix) {
				tries++
			}
		}
		if tries != 1 {
			t.Errorf("a message Telegram cannot parse was sent %d times, want 1", tries)
		}
		if _, err := h.store.Watch(context.Background(), alice.ID, "555"); err != nil {
			t.Errorf("one bad message ended the watch: %v", err)
		}
	})

	t.Run("group migrated to a supergroup", func(t *testing.T) {
		// Watches and their pushes live in private chats now; a message to a
		// group still follows the group when it becomes a supergroup.
		h := newStoppedHarness(t, withFastWatcher())
		st, err := store.Open(context.Background(), h.dbPath, h.key)
		if err != nil {
			t.Fatal(err)
		}
		push, _ := en.Push(message.Watch{OrderID: "555"}, message.Order{SMS: "482913"}, time.Time{})
		enqueue(t, st, group.ID, push)
		st.Close()
		const newID = -1001234567890
		h.tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: group.ID, Code: 400,
			Description: "Bad Request: group chat was upgraded to a supergroup chat", MigrateToChatID: newID, Times: 1})
		h.start()
		assertContains(t, h.waitPushes(newID, 1)[0].Text, "<code>482913</code>")
	})
}

func TestFloodIsThrottled(t *testing.T) {
	h := newHarness(t)
	h.login() // one of the ten
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	// The SMS is there already, so /order starts no watch whose checks would
	// add to the count below.
	h.sms.DeliverSMS(smsUser, "555", "123456")
	before := h.sms.RequestCount("order")
	for range 30 {
		h.tg.SendText(alice, aliceChat, "/order 555")
	}
	slowDown := textBefore(en.SlowDown(time.Hour), en.Duration(time.Hour))
	h.waitMessage(aliceChat.ID, slowDown)
	h.waitHandled()
	if n := h.sms.RequestCount("order") - before; n != 9 {
		t.Errorf("a flood of 30 /order made %d SMSOnline calls, want 9 (the burst)", n)
	}
	if n := countContaining(h.tg.SentTo(aliceChat.ID), slowDown); n != 1 {
		t.Errorf("told to slow down %d times, want once", n)
	}
	// Bob is not slowed down by Alice.
	if got := h.say(bob, telegramtest.PrivateChat(bob), "/help").Text; got != en.Help(h.bot.commandList()) {
		t.Errorf("bob's /help = %q", got)
	}
}

func TestButtonsRespectAllowedUsers(t *testing.T) {
	h := newHarness(t, withAllowedUsers(alice.ID))
	h.watchOrder("555")
	card := h.tg.SentTo(aliceChat.ID)[len(h.tg.SentTo(aliceChat.ID))-1]
	before := h.sms.Requests()
	h.tg.PressButton(bob, aliceChat, card.MessageID, "r:555")
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.Answered()) == 1 })
	answers := h.tg.CallsTo("answerCallbackQuery")
	if answers[0].Params["text"] != en.T(message.NotAllowed) {
		t.Errorf("a stranger's button press was answered %q", answers[0].Params["text"])
	}
	if len(h.tg.Edits()) != 0 || h.sms.Requests() != before {
		t.Errorf("a stranger's button press did something (%d edits, %d API calls)", len(h.tg.Edits()), h.sms.Requests()-before)
	}
}

func TestOneUsersCommandsAreHandledInOrder(t *testing.T) {
	h := newHarness(t)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.sms.SetLatency(100 * time.Millisecond) // /login is slow; /order must still wait for it
	h.tg.SendText(alice, aliceChat, "/login "+smsUser+" "+smsKey)
	h.tg.SendText(alice, aliceChat, "/order 555")
	sent := h.tg.WaitSent(t, 2, 10*time.Second)
	if want := en.LoginOK(balance(1500), smsUser); sent[0].Text != want {
		t.Errorf("first answer = %q, want %q", sent[0].Text, want)
	}
	assertContains(t, sent[1].Text, cardTitle(en, "555"))
}
