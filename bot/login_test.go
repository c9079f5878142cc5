package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

func TestLogin(t *testing.T) {
	t.Run("valid key is checked, saved and the message deleted", func(t *testing.T) {
		h := newHarness(t)
		chat := telegramtest.PrivateChat(alice)
		before := len(h.tg.SentTo(chat.ID))
		msgID := h.tg.SendText(alice, chat, "/login "+smsUser+" "+smsKey)
		h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.SentTo(chat.ID)) > before })
		got := h.tg.SentTo(chat.ID)[before]
		if want := en.LoginOK(balance(1500), smsUser); got.Text != want {
			t.Errorf("login answer = %q, want %q", got.Text, want)
		}
		assertDeleted(t, h.tg, chat.ID, msgID)

		acct, err := h.store.Account(context.Background(), alice.ID)
		if err != nil {
			t.Fatalf("account not saved: %v", err)
		}
		if acct.SMSUserID != smsUser || acct.APIKey != smsKey {
			t.Errorf("saved account = %+v", acct)
		}
	})

	t.Run("refused key is not stored and the message is still deleted", func(t *testing.T) {
		h := newHarness(t)
		chat := telegramtest.PrivateChat(alice)
		before := len(h.tg.SentTo(chat.ID))
		msgID := h.tg.SendText(alice, chat, "/login "+smsUser+" wrong-key-000")
		h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.SentTo(chat.ID)) > before })
		got := h.tg.SentTo(chat.ID)[before]
		if got.Text != en.T(message.LoginRefused) {
			t.Errorf("answer to a refused key = %q", got.Text)
		}
		assertDeleted(t, h.tg, chat.ID, msgID)
		if _, err := h.store.Account(context.Background(), alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refused key was stored (err = %v)", err)
		}
	})

	t.Run("a new key replaces the old one", func(t *testing.T) {
		h := newHarness(t)
		h.login()
		h.sms.SetKey(smsUser, "sk-rotated-1234")
		h.linkAccount(alice, smsUser, "sk-rotated-1234", en)
		acct, err := h.store.Account(context.Background(), alice.ID)
		if err != nil || acct.APIKey != "sk-rotated-1234" {
			t.Errorf("account after re-login = %+v, %v", acct, err)
		}
	})

	t.Run("in a group it is refused, deleted and never checked", func(t *testing.T) {
		h := newHarness(t)
		before := len(h.tg.SentTo(group.ID))
		msgID := h.tg.SendText(alice, group, "/login@smsbot_test_bot "+smsUser+" "+smsKey)
		h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.SentTo(group.ID)) > before })
		got := h.tg.SentTo(group.ID)[before]
		if got.Text != en.T(message.LoginInGroup) {
			t.Errorf("answer to a key in a group = %q", got.Text)
		}
		assertDeleted(t, h.tg, group.ID, msgID)
		if n := h.sms.RequestCount("balance"); n != 0 {
			t.Errorf("the key from a group was sent to SMSOnline (%d balance calls)", n)
		}
		if _, err := h.store.Account(context.Background(), alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a key posted in a group was stored (err = %v)", err)
		}
	})

	t.Run("usage and malformed input", func(t *testing.T) {
		h := newHarness(t)
		chat := telegramtest.PrivateChat(alice)
		for text, want := range map[string]message.Text{
			"/login":          message.LoginUsage,
			"/login onlyone":  message.LoginBadInput,
			"/login ../x key": message.LoginBadInput,
		} {
			if got := h.say(alice, chat, text).Text; got != en.T(want) {
				t.Errorf("%s = %q, want %q", text, got, en.T(want))
			}
		}
		if n := h.sms.Requests(); n != 0 {
			t.Errorf("malformed logins reached SMSOnline: %d requests", n)
		}
	})

	t.Run("SMSOnline down: nothing saved, clear answer", func(t *testing.T) {
		h := newHarness(t)
		h.sms.InjectFault(smsapitest.Fault{Status: 503, Times: 1})
		got := h.say(alice, telegramtest.PrivateChat(alice), "/login "+smsUser+" "+smsKey)
		if want := en.CheckKeyFailed(message.APIFailure{Kind: message.ErrorTransient}); got.Text != want {
			t.Errorf("login while SMSOnline is down = %q, want %q", got.Text, want)
		}
		if _, err := h.store.Account(context.Background(), alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unchecked key was stored (err = %v)", err)
		}
	})
}

func assertDeleted(t *testing.T, tg *telegramtest.Server, chatID int64, msgID int) {
	t.Helper()
	for _, d := range tg.Deleted() {
		if d.ChatID == chatID && d.MessageID == msgID && d.OK {
			return
		}
	}
	t.Errorf("message %d in chat %d was not deleted; deleted: %+v", msgID, chatID, tg.Deleted())
}

func TestBalanceAndLogout(t *testing.T) {
	h := newHarness(t)
	chat := telegramtest.PrivateChat(alice)
	assertContains(t, h.say(alice, chat, "/balance").Text, en.T(message.NeedLogin))
	h.login()
	assertContains(t, h.say(alice, chat, "/balance").Text, en.Balance(balance(1500), smsUser))
	if got := h.say(alice, chat, "/logout").Text; got != en.T(message.LoggedOut) {
		t.Errorf("/logout = %q", got)
	}
	if _, err := h.store.Account(context.Background(), alice.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("account survived /logout (err = %v)", err)
	}
	assertContains(t, h.say(alice, chat, "/order 555").Text, en.T(message.NeedLogin))
	if got := h.say(alice, chat, "/logout").Text; got != en.T(message.NotLoggedIn) {
		t.Errorf("second /logout = %q", got)
	}
}

func TestAllowedUsers(t *testing.T) {
	h := newHarness(t, withAllowedUsers(alice.ID))
	if got := h.say(alice, telegramtest.PrivateChat(alice), "/help").Text; got != en.Help(h.bot.commandList()) {
		t.Errorf("/help of an allowed user = %q", got)
	}

	chat := telegramtest.PrivateChat(bob)
	for _, text := range []string{"/help", "/order 1", "/balance", "hi"} {
		if got := h.say(bob, chat, text).Text; got != en.T(message.NotAllowed) {
			t.Errorf("%s from a stranger = %q", text, got)
		}
	}
	// Even a stranger's key leaves the chat at once.
	before := len(h.tg.SentTo(chat.ID))
	msgID := h.tg.SendText(bob, chat, "/login 1 some-key")
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.SentTo(chat.ID)) > before })
	assertDeleted(t, h.tg, chat.ID, msgID)
	if n := h.sms.Requests(); n != 0 {
		t.Errorf("a stranger's commands reached SMSOnline: %d requests", n)
	}
}

// TestSkippedLoginIsDeletedAtStop: a /login still waiting in its sender's
// line when a stop's grace ends is not handled, but its message, which may
// carry a key, is deleted all the same.
func TestSkippedLoginIsDeletedAtStop(t *testing.T) {
	h := newHarness(t)
	h.stop()
	id := h.tg.SendText(alice, aliceChat, "/login "+smsUser+" "+smsKey)
	u := &models.Update{Message: &models.Message{ID: id, Chat: aliceChat, Text: "/login " + smsUser + " " + smsKey,
		From: &models.User{ID: alice.ID}}}
	h.bot.deleteSkippedLogin(u)
	assertDeleted(t, h.tg, aliceChat.ID, id)
}
