package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
)

// Telegram accepting a call but answering with a result go-telegram/bot's
// models cannot decode (a newer Bot API, a proxy rewriting JSON, a self-hosted
// Bot API server, a body cut short after the 200): the message reached the
// chat, so it counts as delivered and is never sent again.

// waitHandled waits until the bot has handled every update sent so far: it
// stores an update's id as handled only after the handler returned, and
// handlers of earlier updates may still run or wait then (an update over
// budget is answered beside its sender's line) until the queue is idle.
func (h *harness) waitHandled() {
	h.t.Helper()
	last := h.tg.LastUpdateID()
	h.tg.WaitFor(h.t, 10*time.Second, func() bool {
		off, err := h.store.UpdateOffset(context.Background())
		return err == nil && off >= last && h.bot.queue.idle()
	})
}

// assertNotLogged fails the test when the bot logged any of msgs.
func (h *harness) assertNotLogged(msgs ...string) {
	h.t.Helper()
	logs := h.logs.String()
	var found []string
	for _, m := range msgs {
		if strings.Contains(logs, m) {
			found = append(found, m)
		}
	}
	if len(found) > 0 {
		h.t.Errorf("the bot logged %q for accepted calls:\n%s", found, logs)
	}
}

func TestPushAcceptedWithUnreadableAnswer(t *testing.T) {
	for _, g := range telegramtest.Garbles() {
		t.Run(g.String(), func(t *testing.T) {
			h := newHarness(t, withFastWatcher())
			h.watchOrder("555")
			h.tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: aliceChat.ID, Garble: g})
			h.sms.DeliverSMS(smsUser, "555", "Code 482913")
			assertContains(t, h.waitPushes(aliceChat.ID, 1)[0].Text, "<code>482913</code>")
			// Once the outbox is empty nothing can send the push again.
			h.tg.WaitFor(t, 10*time.Second, func() bool {
				n, err := h.pending()
				return err == nil && n == 0
			})
			if n := len(h.pushes(aliceChat.ID)); n != 1 {
				t.Errorf("%d pushes, want 1", n)
			}
			h.assertNotLogged("send failed", "will retry", "rejected")
		})
	}
}

func TestReplyAcceptedWithUnreadableAnswer(t *testing.T) {
	for _, g := range telegramtest.Garbles() {
		t.Run(g.String(), func(t *testing.T) {
			h := newHarness(t)
			for _, m := range []string{"sendMessage", "deleteMessage"} {
				h.tg.InjectFault(telegramtest.Fault{Method: m, Garble: g})
			}
			msgID := h.tg.SendText(alice, aliceChat, "/login "+smsUser+" "+smsKey)
			h.tg.SendText(alice, aliceChat, "/start")
			sent := h.tg.WaitSent(t, 2, 5*time.Second)
			h.waitHandled()

			if want := en.LoginOK(balance(1500), smsUser); sent[0].Text != want {
				t.Errorf("login answer = %q, want %q", sent[0].Text, want)
			}
			if strings.Contains(sent[0].Text, en.T(message.LoginNotDeleted)) {
				t.Errorf("the login answer says the key message was not deleted:\n%s", sent[0].Text)
			}
			assertDeleted(t, h.tg, aliceChat.ID, msgID)
			if sent[1].Text != en.Help(h.bot.commandList()) {
				t.Errorf("/start = %q, want the help", sent[1].Text)
			}
			if n := len(h.tg.Sent()); n != 2 {
				t.Errorf("%d messages for two commands, want 2", n)
			}
			h.assertNotLogged("can't answer", "can't delete message")
		})
	}
}

func TestEditAcceptedWithUnreadableAnswer(t *testing.T) {
	for _, g := range telegramtest.Garbles() {
		t.Run(g.String(), func(t *testing.T) {
			h := newHarness(t)
			h.watchOrder("555")
			card := h.tg.SentTo(aliceChat.ID)[len(h.tg.SentTo(aliceChat.ID))-1]
			before := len(h.tg.Sent())
			for _, m := range []string{"editMessageText", "answerCallbackQuery"} {
				h.tg.InjectFault(telegramtest.Fault{Method: m, Garble: g})
			}
			id := h.tg.PressButton(alice, aliceChat, card.MessageID, "s:555")
			h.waitHandled()

			edits := h.tg.Edits()
			if len(edits) != 1 {
				t.Fatalf("%d edits for one button press, want 1", len(edits))
			}
			assertContains(t, edits[0].Text, cardTitle(en, "555"))
			if got := h.tg.Answered(); len(got) != 1 || got[0] != id {
				t.Errorf("answered callbacks %v, want [%s]", got, id)
			}
			if n := len(h.tg.Sent()) - before; n != 0 {
				t.Errorf("the card was sent again (%d new messages)", n)
			}
			h.assertNotLogged("can't update message", "can't answer button")
		})
	}
}
