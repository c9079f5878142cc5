package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/store"
)

// The admins' commands: /stats and /announce for ADMIN_USERS, an unknown
// command to anyone else.

var bobChat = telegramtest.PrivateChat(bob)

// statsNow is the bot's clock in the admin tests, so that uptime and the
// stored counts' windows do not depend on when the tests run.
var statsNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// withAdmins makes ids the admins.
func withAdmins(ids ...int64) harnessOption {
	return func(c *Config) {
		c.AdminUsers = ids
		c.CommandBurst = 100
	}
}

// onStatsClock runs the bot on statsNow's clock.
func onStatsClock(c *Config) { c.Now = func() time.Time { return statsNow } }

func TestAdminCommandsAreUnknownToOthers(t *testing.T) {
	h := newHarness(t, withAdmins(alice.ID))
	for _, text := range []string{"/stats", "/announce hello", "/announce"} {
		if got := h.say(bob, bobChat, text).Text; got != en.T(message.Unknown) {
			t.Errorf("bob's %s = %q, want the unknown-command answer", text, got)
		}
	}
	// In a group an unknown command gets no answer; nor does bob's /stats.
	h.tg.SendText(bob, group, "/stats@smsbot_test_bot")
	if got := h.say(alice, group, "/stats@smsbot_test_bot").Text; got != en.T(message.AdminInGroup) {
		t.Errorf("alice's /stats in a group = %q, want %q", got, en.T(message.AdminInGroup))
	}
	if n := len(h.tg.SentTo(group.ID)); n != 1 {
		t.Errorf("bot answered %d messages in the group, want only alice's", n)
	}
	// Nobody's menu, in any language, nor /help lists them.
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.CommandsFor("zh")) > 0 })
	for _, lang := range []string{"", "en", "ru", "zh"} {
		for _, c := range h.tg.CommandsFor(lang) {
			if c.Command == "stats" || c.Command == "announce" {
				t.Errorf("menu %q lists /%s", lang, c.Command)
			}
		}
	}
	for _, u := range []telegramtest.User{alice, bob} {
		help := h.say(u, telegramtest.PrivateChat(u), "/help").Text
		if strings.Contains(help, "/stats") || strings.Contains(help, "/announce") {
			t.Errorf("/help for %s lists an admin command:\n%s", u.FirstName, help)
		}
	}
}

func TestStatsFromStoreSurviveRestart(t *testing.T) {
	h := newHarness(t, withAdmins(alice.ID), onStatsClock)
	h.login()
	ctx := context.Background()
	// Two codes pushed in the last day, after 2 s and 6 s; one last week.
	for _, p := range []struct {
		seen time.Time
		wait time.Duration
	}{{statsNow.Add(-time.Hour), 2 * time.Second}, {statsNow.Add(-3 * time.Hour), 6 * time.Second}, {statsNow.Add(-72 * time.Hour), time.Second}} {
		id, err := h.store.Enqueue(ctx, store.Message{ChatID: 1, OrderID: "1", Priority: store.PriorityPush, Text: "x"}, p.seen)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.store.MarkSent(ctx, p.seen.Add(p.wait), id); err != nil {
			t.Fatal(err)
		}
	}
	counter := NewRequestCounter(h.store, func() time.Time { return statsNow.Add(-5 * time.Minute) }, nil)
	for i := range 40 {
		var err error
		if i%10 == 0 {
			err = context.DeadlineExceeded
		}
		counter.Observe("get order", err, time.Millisecond)
	}
	counter.Flush(ctx)

	want := en.Stats(message.Stats{
		Accounts: 1, Pushes24h: 2, Pushes7d: 3, MedianPush: 6 * time.Second,
		APIRequests: 40, APIErrors: 4, Version: "dev",
	})
	if got := h.say(alice, aliceChat, "/stats").Text; got != want {
		t.Errorf("/stats =\n%s\nwant\n%s", got, want)
	}
	h.stop()
	h.start()
	if got := h.say(alice, aliceChat, "/stats").Text; got != want {
		t.Errorf("/stats after a restart =\n%s\nwant\n%s", got, want)
	}
}

// announceUsers links alice (the admin) and bob.
func announceUsers(t *testing.T, h *harness) {
	t.Helper()
	h.login()
	h.loginBob()
}

// adminText needs escaping: it must reach users as typed.
const adminText = "Maintenance tonight <22:00 UTC> & a new <b>price</b> list.\nThanks!"

// askAnnounce sends /announce as alice and returns the confirmation and
// its Send button's data.
func askAnnounce(t *testing.T, h *harness) (telegramtest.SentMessage, string) {
	t.Helper()
	confirm := h.say(alice, aliceChat, "/announce "+adminText)
	send := buttonWith(t, confirm.ReplyMarkup, "ann:")
	html, _ := message.Announcement(adminText)
	if want, _ := en.AnnounceConfirm(2, html, strings.TrimPrefix(send, "ann:")); confirm.Text != want {
		t.Errorf("confirmation = %q, want %q", confirm.Text, want)
	}
	return confirm, send
}

// waitAnnounced waits until the outbox is empty and returns the messages
// chat got with the announcement's text.
func waitAnnounced(t *testing.T, h *harness, chat models.Chat) int {
	t.Helper()
	html, _ := message.Announcement(adminText)
	h.tg.WaitFor(t, 10*time.Second, func() bool {
		n, _, err := h.store.OutboxStats(context.Background())
		return err == nil && n == 0
	})
	return len(slices.DeleteFunc(h.tg.SentTo(chat.ID), func(m telegramtest.SentMessage) bool { return m.Text != html }))
}

func TestAnnounceReachesEachLinkedUserOnce(t *testing.T) {
	h := newHarness(t, withAdmins(alice.ID))
	announceUsers(t, h)
	if got := h.say(alice, aliceChat, "/announce").Text; got != en.T(message.AnnounceUsage) {
		t.Errorf("/announce without text = %q", got)
	}
	if got := h.say(alice, aliceChat, "/announce "+strings.Repeat("&", 800)).Text; got != en.T(message.AnnounceTooLong) {
		t.Errorf("/announce of 4000 characters once escaped = %q", got)
	}
	confirm, send := askAnnounce(t, h)
	if toast := h.tap(bob, aliceChat, confirm.MessageID, send); toast != en.T(message.ButtonExpired) {
		t.Errorf("bob's tap on the Send button: toast %q", toast)
	}
	if toast := h.tap(alice, aliceChat, confirm.MessageID, send); toast != "" {
		t.Errorf("Send: toast %q", toast)
	}
	if got := h.lastEdit(aliceChat, confirm.MessageID).Text; got != en.AnnounceSent(2) {
		t.Errorf("after Send the confirmation reads %q, want %q", got, en.AnnounceSent(2))
	}
	if toast := h.tap(alice, aliceChat, confirm.MessageID, send); toast != en.T(message.ToastAnnounceSettled) {
		t.Errorf("second Send: toast %q", toast)
	}
	for _, chat := range []models.Chat{aliceChat, bobChat} {
		if n := waitAnnounced(t, h, chat); n != 1 {
			t.Errorf("chat %d got the announcement %d times, want once", chat.ID, n)
		}
	}
	for _, m := range h.tg.SentTo(bobChat.ID) {
		if strings.Contains(m.Text, "Maintenance") && m.Plain != adminText {
			t.Errorf("bob sees %q, want the text as typed %q", m.Plain, adminText)
		}
	}
}

func TestAnnounceCancel(t *testing.T) {
	h := newHarness(t, withAdmins(alice.ID))
	announceUsers(t, h)
	confirm, send := askAnnounce(t, h)
	cancel := buttonWith(t, confirm.ReplyMarkup, "ann-no:")
	h.tap(alice, aliceChat, confirm.MessageID, cancel)
	if got := h.lastEdit(aliceChat, confirm.MessageID).Text; got != en.T(message.AnnounceCancelled) {
		t.Errorf("after Cancel the confirmation reads %q", got)
	}
	if toast := h.tap(alice, aliceChat, confirm.MessageID, send); toast != en.T(message.ToastAnnounceSettled) {
		t.Errorf("Send after Cancel: toast %q", toast)
	}
	if n := waitAnnounced(t, h, bobChat); n != 0 {
		t.Errorf("bob got a cancelled announcement %d times", n)
	}
}

func TestAnnounceSurvivesRestart(t *testing.T) {
	h := newHarness(t, withAdmins(alice.ID))
	announceUsers(t, h)
	confirm, send := askAnnounce(t, h)
	// Bob's chat refuses for now, so his copy is still in the outbox when
	// the bot stops right after the tap.
	h.tg.InjectFault(telegramtest.Fault{Method: "sendMessage", ChatID: bobChat.ID, Code: 500})
	h.tap(alice, aliceChat, confirm.MessageID, send)
	h.stop()
	h.tg.ClearFaults()
	h.start()
	if toast := h.tap(alice, aliceChat, confirm.MessageID, send); toast != en.T(message.ToastAnnounceSettled) {
		t.Errorf("Send after the restart: toast %q", toast)
	}
	for _, chat := range []models.Chat{aliceChat, bobChat} {
		if n := waitAnnounced(t, h, chat); n != 1 {
			t.Errorf("chat %d got the announcement %d times, want once", chat.ID, n)
		}
	}
}
