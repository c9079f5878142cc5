package bot

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// speaker is a user whose Telegram app uses one language, with an account.
type speaker struct {
	user    telegramtest.User
	smsUser string
	key     string
	lang    *message.Lang
}

func (h *harness) loginAs(s speaker) {
	h.t.Helper()
	h.sms.AddAccount(s.smsUser, s.key, 1500)
	h.linkAccount(s.user, s.smsUser, s.key, s.lang)
}

func TestUsersAreAnsweredInTheirLanguage(t *testing.T) {
	h := newHarness(t, withFastMoney())
	ru := speaker{telegramtest.User{ID: 3001, FirstName: "Иван", LanguageCode: "ru"}, "801", "sk-ru-key-123456", message.ByTag("ru")}
	zh := speaker{telegramtest.User{ID: 3002, FirstName: "伟", LanguageCode: "zh-hans"}, "802", "sk-zh-key-123456", message.ByTag("zh")}
	for _, s := range []speaker{ru, zh} {
		chat := telegramtest.PrivateChat(s.user)
		if got := h.say(s.user, chat, "/start"); got.Text != s.lang.Help(h.bot.commandList()) {
			t.Errorf("%s /start = %q", s.lang.Tag, firstLine(got.Text))
		}
		h.loginAs(s)
		h.sms.AddOrder(s.smsUser, smsapitest.NewOrder("555"))
		card := h.say(s.user, chat, "/order 555")
		assertContains(t, card.Text, s.lang.T(message.Watching))
		if got := labels(card.ReplyMarkup); len(got) == 0 || got[0] != s.lang.T(message.ButtonRefresh) {
			t.Errorf("%s card buttons %v", s.lang.Tag, got)
		}
		h.tap(s.user, chat, card.MessageID, "f:"+strconv.FormatInt(s.user.ID, 10)+":555")
		assertContains(t, h.lastEdit(chat, card.MessageID).Text, s.lang.RefundAsk("555", message.Cents(16)))

		h.sms.DeliverSMS(s.smsUser, "555", "Your code is 246810")
		push := h.waitMessage(chat.ID, "<code>246810</code>")
		assertContains(t, push.Text, pushTitle(s.lang, "555"))
	}

	// A language the bot does not speak gets English; /language switches.
	de := telegramtest.User{ID: 3003, FirstName: "Jonas", LanguageCode: "de"}
	if got := h.say(de, telegramtest.PrivateChat(de), "/help"); got.Text != en.Help(h.bot.commandList()) {
		t.Errorf("de /help = %q, want English", firstLine(got.Text))
	}
	ruChat := telegramtest.PrivateChat(ru.user)
	if got := h.say(ru.user, ruChat, "/language en"); got.Text != en.T(message.LanguageSet) {
		t.Errorf("/language en = %q", got.Text)
	}
	if got := h.say(ru.user, ruChat, "/help"); got.Text != en.Help(h.bot.commandList()) {
		t.Errorf("after /language en, /help = %q", firstLine(got.Text))
	}
	if got := h.say(ru.user, ruChat, "/language xx"); got.Text != en.T(message.LanguageUsage) {
		t.Errorf("/language xx = %q", got.Text)
	}

	// The buttons of /language set the presser's language.
	ask := h.say(de, telegramtest.PrivateChat(de), "/language")
	var names []string
	for _, l := range message.Languages() {
		names = append(names, l.Name)
	}
	if got := strings.Join(labels(ask.ReplyMarkup), "|"); got != join(names...) {
		t.Errorf("/language buttons %q", got)
	}
	h.tap(de, telegramtest.PrivateChat(de), ask.MessageID, "lang:zh")
	if got := h.lastEdit(telegramtest.PrivateChat(de), ask.MessageID).Text; got != zh.lang.T(message.LanguageSet) {
		t.Errorf("after pressing 中文: %q", got)
	}
	if got := h.say(de, telegramtest.PrivateChat(de), "/help"); got.Text != zh.lang.Help(h.bot.commandList()) {
		t.Errorf("after choosing zh, /help = %q", firstLine(got.Text))
	}

	// The menu is set once per language.
	for _, l := range message.Languages() {
		got, want := h.tg.CommandsFor(l.Tag), l.Commands(h.bot.commandList())
		if len(got) != len(want) || got[0] != want[0] {
			t.Errorf("%s command menu = %+v, want %+v", l.Tag, got, want)
		}
	}
	if got := h.tg.Commands(); len(got) == 0 || got[0] != en.Commands(h.bot.commandList())[0] {
		t.Errorf("default command menu = %+v", got)
	}
}

func TestPushAfterRestartKeepsTheLanguage(t *testing.T) {
	h := newHarness(t, withFastMoney())
	ru := speaker{telegramtest.User{ID: 3001, FirstName: "Иван", LanguageCode: "ru"}, "801", "sk-ru-key-123456", message.ByTag("ru")}
	h.loginAs(ru)
	chat := telegramtest.PrivateChat(ru.user)
	// The user chose Chinese; the push after a restart has no update to go by.
	h.say(ru.user, chat, "/language zh")
	h.sms.AddOrder(ru.smsUser, smsapitest.NewOrder("555"))
	h.say(ru.user, chat, "/order 555")
	h.stop()
	h.sms.DeliverSMS(ru.smsUser, "555", "Your code is 135791")
	h.start()
	push := h.waitMessage(chat.ID, "<code>135791</code>")
	zh := message.ByTag("zh")
	assertContains(t, push.Text, pushTitle(zh, "555"))
	if ul, err := h.store.UserLanguage(context.Background(), ru.user.ID); err != nil || ul != (store.UserLanguage{Chosen: "zh", Seen: "ru"}) {
		t.Errorf("stored language %+v, %v", ul, err)
	}
}

func TestDefaultLanguage(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.DefaultLanguage = message.ByTag("ru") }))
	de := telegramtest.User{ID: 3003, FirstName: "Jonas", LanguageCode: "de"}
	if got := h.say(de, telegramtest.PrivateChat(de), "/help"); got.Text != message.ByTag("ru").Help(h.bot.commandList()) {
		t.Errorf("de /help with DEFAULT_LANGUAGE=ru = %q", firstLine(got.Text))
	}
	none := telegramtest.User{ID: 3004, FirstName: "Anon", LanguageCode: "-"}
	if got := h.say(none, telegramtest.PrivateChat(none), "/help"); got.Text != message.ByTag("ru").Help(h.bot.commandList()) {
		t.Errorf("no language_code /help = %q", firstLine(got.Text))
	}
	if got := h.tg.Commands(); len(got) == 0 || got[0] != message.ByTag("ru").Commands(h.bot.commandList())[0] {
		t.Errorf("default command menu = %+v, want Russian", got)
	}
}
