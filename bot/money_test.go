package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// withFastMoney makes the reconciler read SMSOnline every 100 ms and give
// an unknown outcome up after three unchanged reads; the watcher is fast too.
func withFastMoney() harnessOption {
	return func(c *Config) {
		c.PollInterval = 100 * time.Millisecond
		c.ExpiryGrace = 100 * time.Millisecond
		c.SettleEvery = 100 * time.Millisecond
		c.SettleReads = 3
		c.BalanceEvery = 100 * time.Millisecond
		c.CommandBurst = 100 // these tests send many commands and taps
	}
}

// discord is the offer the fake sells, matching smsapitest.NewOrder.
var discord = smsapitest.Offer{Service: "ds", Country: "12", Carrier: "any", ServiceName: "Discord", CountryName: "United States", Price: 16, Stock: -1}

// newBuyHarness is a bot with fast money, alice logged in, and her order
// 555 of the offer the fake sells (discord) to buy again.
func newBuyHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.SetOffer(discord)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	return h
}

// tap presses a button on a message as from and returns the toast. The
// message's edit, or the new message a push's button sends, is there when
// it returns: the bot answers the press last.
func (h *harness) tap(from telegramtest.User, chat models.Chat, messageID int, data string) string {
	h.t.Helper()
	before := len(h.tg.CallsTo("answerCallbackQuery"))
	h.tg.PressButton(from, chat, messageID, data)
	h.tg.WaitFor(h.t, 10*time.Second, func() bool { return len(h.tg.CallsTo("answerCallbackQuery")) > before })
	return h.tg.CallsTo("answerCallbackQuery")[before].Params["text"]
}

// lastEdit is the last edit of a message.
func (h *harness) lastEdit(chat models.Chat, messageID int) telegramtest.Edit {
	h.t.Helper()
	edits := h.tg.Edits()
	for i := len(edits) - 1; i >= 0; i-- {
		if edits[i].ChatID == chat.ID && edits[i].MessageID == messageID {
			return edits[i]
		}
	}
	h.t.Fatalf("message %d in chat %d was never edited", messageID, chat.ID)
	return telegramtest.Edit{}
}

// buttonWith returns the data of the button whose data starts with prefix.
func buttonWith(t *testing.T, kb *models.InlineKeyboardMarkup, prefix string) string {
	t.Helper()
	for _, d := range buttonData(kb) {
		if strings.HasPrefix(d, prefix) {
			return d
		}
	}
	t.Fatalf("no button %s… among %v", prefix, buttonData(kb))
	return ""
}

// labels returns the buttons' labels.
func labels(kb *models.InlineKeyboardMarkup) []string {
	var out []string
	if kb != nil {
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				out = append(out, b.Text)
			}
		}
	}
	return out
}

// fakeCard is the lines of the card of smsUser's order id as the fake holds
// it (cardLines).
func (h *harness) fakeCard(id string, s message.State) []string {
	h.t.Helper()
	o, ok := h.sms.Order(smsUser, id)
	if !ok {
		h.t.Fatalf("the fake has no order %s", id)
	}
	return cardLines(o, s)
}

// waitCount waits until the fake counted n requests of kind.
func (h *harness) waitCount(kind string, n int) {
	h.t.Helper()
	h.tg.WaitFor(h.t, 10*time.Second, func() bool { return h.sms.RequestCount(kind) >= n })
	if got := h.sms.RequestCount(kind); got != n {
		h.t.Fatalf("%d %s requests, want %d", got, kind, n)
	}
}

func TestCardButtonsByState(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.PollInterval = time.Hour }))
	h.login()
	waiting := smsapitest.NewOrder("555")
	received := smsapitest.NewOrder("556")
	received.Status, received.SMS = smsapitest.StatusCompleted, "Your code is 424242"
	expired := smsapitest.NewOrder("557")
	expired.Status = smsapitest.StatusExpired
	for _, o := range []smsapitest.Order{waiting, received, expired} {
		h.sms.AddOrder(smsUser, o)
	}
	for _, tc := range []struct {
		order  string
		labels string
		data   []string
	}{
		{"555", join(en.T(message.ButtonRefresh), en.T(message.ButtonStop), en.ButtonRefund(message.Cents(16)), en.T(message.ButtonNewNumber), en.T(message.ButtonFavourite)),
			[]string{"r:1001:555", "s:1001:555", "f:1001:555", "x:1001:555", "v:1001:555"}},
		{"556", join(en.T(message.ButtonRefresh), en.T(message.ButtonAnotherSMS), en.T(message.ButtonBuyAgain), en.T(message.ButtonFavourite)),
			[]string{"r:1001:556", "a:1001:556", "b:1001:556", "v:1001:556"}},
		{"557", join(en.T(message.ButtonBuyAgain), en.T(message.ButtonFavourite)), []string{"b:1001:557", "v:1001:557"}},
	} {
		card := h.say(alice, aliceChat, "/order "+tc.order)
		if got := strings.Join(labels(card.ReplyMarkup), "|"); got != tc.labels {
			t.Errorf("order %s: buttons %q, want %q", tc.order, got, tc.labels)
		}
		if got := buttonData(card.ReplyMarkup); strings.Join(got, " ") != strings.Join(tc.data, " ") {
			t.Errorf("order %s: button data %v, want %v", tc.order, got, tc.data)
		}
	}
}

func TestRefund(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	card := h.say(alice, aliceChat, "/order 555")

	// Asking first, by editing the card; "No" brings the card back.
	h.tap(alice, aliceChat, card.MessageID, "f:1001:555")
	ask := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, ask.Text, en.RefundAsk("555", message.Cents(16)))
	if got := strings.Join(labels(ask.ReplyMarkup), "|"); got != join(en.T(message.ButtonYesRefund), en.T(message.ButtonNo)) {
		t.Errorf("confirmation buttons %q", got)
	}
	h.tap(alice, aliceChat, card.MessageID, "n:1001:555")
	assertContains(t, h.lastEdit(aliceChat, card.MessageID).Text, cardTitle(en, "555"))
	if n := h.sms.RequestCount("refund"); n != 0 {
		t.Fatalf("asking and cancelling sent %d refunds", n)
	}

	h.tap(alice, aliceChat, card.MessageID, "f:1001:555")
	confirm := buttonWith(t, h.lastEdit(aliceChat, card.MessageID).ReplyMarkup, "F:")
	if toast := h.tap(alice, aliceChat, card.MessageID, confirm); toast != en.T(message.ToastDone) {
		t.Errorf("refund toast %q", toast)
	}
	done := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, done.Text, en.RefundDone("555", message.Cents(16), message.Cents(1516)))
	if got := buttonData(done.ReplyMarkup); !slices.Contains(got, "b:1001:555") {
		t.Errorf("after the refund the card offers %v, want buy again", got)
	}
	if got := h.sms.Balance(smsUser); got != 1516 {
		t.Errorf("balance %d cents after the refund, want 1516", got)
	}
	if _, err := h.store.Watch(context.Background(), alice.ID, "555"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refunded order is still watched: %v", err)
	}

	// The same confirmation pressed again: answered from its record, with
	// no request at all (not even a read of the order).
	before := h.sms.Requests()
	h.tap(alice, aliceChat, card.MessageID, confirm)
	assertContains(t, h.lastEdit(aliceChat, card.MessageID).Text, en.RefundDone("555", message.Cents(16), message.Money{}))
	if n := h.sms.RequestCount("refund"); n != 1 {
		t.Errorf("%d refund requests, want 1", n)
	}
	if n := h.sms.Requests() - before; n != 0 {
		t.Errorf("the used confirmation made %d requests", n)
	}

	// An order that received an SMS is refused here, with why: when asked,
	// and when the SMS came between the question and the answer.
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("556"))
	card2 := h.say(alice, aliceChat, "/order 556")
	h.tap(alice, aliceChat, card2.MessageID, "f:1001:556")
	confirm2 := buttonWith(t, h.lastEdit(aliceChat, card2.MessageID).ReplyMarkup, "F:")
	h.sms.DeliverSMS(smsUser, "556", "Your code is 111111")
	h.tap(alice, aliceChat, card2.MessageID, confirm2)
	assertContains(t, h.lastEdit(aliceChat, card2.MessageID).Text, en.RefundAfterSMS("556"))
	h.tap(alice, aliceChat, card2.MessageID, "f:1001:556")
	assertContains(t, h.lastEdit(aliceChat, card2.MessageID).Text, en.RefundAfterSMS("556"))
	if n := h.sms.RequestCount("refund"); n != 1 {
		t.Errorf("%d refund requests, want 1", n)
	}
}

// refundConfirmation asks for a refund on a card and returns the
// confirmation's button data.
func (h *harness) refundConfirmation(chat models.Chat, messageID int, orderID string) string {
	h.t.Helper()
	h.tap(alice, chat, messageID, "f:1001:"+orderID)
	return buttonWith(h.t, h.lastEdit(chat, messageID).ReplyMarkup, "F:")
}

func TestRefundTimeoutIsSettledNotRepeated(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("556"))

	// The refund is carried out, its answer lost: the reconciler finds the
	// order refunded and says so once.
	h.sms.InjectFault(smsapitest.Fault{Match: "refund", DelayAfter: 5 * time.Second, Times: 1})
	card := h.say(alice, aliceChat, "/order 555")
	if toast := h.tap(alice, aliceChat, card.MessageID, h.refundConfirmation(aliceChat, card.MessageID, "555")); toast != en.T(message.ToastInProgress) {
		t.Errorf("toast %q", toast)
	}
	assertContains(t, h.lastEdit(aliceChat, card.MessageID).Text, en.RefundPending("555"))
	h.waitMessage(aliceChat.ID, en.RefundDone("555", message.Cents(16), message.Money{}))
	if _, err := h.store.Watch(context.Background(), alice.ID, "555"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refunded order is still watched: %v", err)
	}

	// The request is lost before it is carried out: a second tap sends
	// nothing while the outcome is unknown, nor does a second confirmation
	// of the same order; once the reads show nothing happened, the user is
	// told, the used confirmation stays used, and a new one refunds.
	h.sms.InjectFault(smsapitest.Fault{Match: "refund", Delay: 5 * time.Second, Times: 1})
	card2 := h.say(alice, aliceChat, "/order 556")
	confirm := h.refundConfirmation(aliceChat, card2.MessageID, "556")
	h.tap(alice, aliceChat, card2.MessageID, confirm)
	if toast := h.tap(alice, aliceChat, card2.MessageID, confirm); toast != en.T(message.ToastInProgress) {
		t.Errorf("second tap while unknown: toast %q", toast)
	}
	card3 := h.say(alice, aliceChat, "/order 556")
	if toast := h.tap(alice, aliceChat, card3.MessageID, h.refundConfirmation(aliceChat, card3.MessageID, "556")); toast != en.T(message.ToastInProgress) {
		t.Errorf("another confirmation of the same refund while unknown: toast %q", toast)
	}
	h.waitMessage(aliceChat.ID, en.RefundNotDone("556"))
	h.waitCount("refund", 2)
	h.tap(alice, aliceChat, card2.MessageID, confirm)
	assertContains(t, h.lastEdit(aliceChat, card2.MessageID).Text, en.T(message.ConfirmationUsed), en.RefundNotDone("556"))
	h.waitCount("refund", 2)
	h.tap(alice, aliceChat, card2.MessageID, h.refundConfirmation(aliceChat, card2.MessageID, "556"))
	assertContains(t, h.lastEdit(aliceChat, card2.MessageID).Text, en.RefundDone("556", message.Cents(16), message.Money{}))
	h.waitCount("refund", 3)
	if got := h.sms.Balance(smsUser); got != 1500+16+16 {
		t.Errorf("balance %d cents, want both orders refunded once: %d", got, 1500+16+16)
	}
}

func TestAnotherSMS(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	o := smsapitest.NewOrder("555")
	h.sms.AddOrder(smsUser, o)
	h.say(alice, aliceChat, "/order 555")
	h.sms.DeliverSMS(smsUser, "555", "Your code is 111111")
	push := h.waitMessage(aliceChat.ID, "<code>111111</code>")
	another := buttonWith(t, push.ReplyMarkup, "a:1001:555:p")
	buttonWith(t, push.ReplyMarkup, "b:1001:555:p")

	// Pressed on the push: the answer is a new message, the push stays.
	before := len(h.tg.SentTo(aliceChat.ID))
	if toast := h.tap(alice, aliceChat, push.MessageID, another); toast != en.T(message.ToastAsked) {
		t.Errorf("toast %q", toast)
	}
	sent := h.tg.SentTo(aliceChat.ID)
	if len(sent) != before+1 {
		t.Fatalf("pressing on a push sent %d messages, want 1", len(sent)-before)
	}
	assertContains(t, sent[before].Text, en.AnotherSMSAsked("555", true))
	if n := len(h.tg.Edits()); n != 0 {
		t.Errorf("pressing on a push edited %d messages", n)
	}
	h.waitCount("another_sms", 1)
	w, err := h.store.Watch(context.Background(), alice.ID, "555")
	if err != nil || w.FastUntil.IsZero() {
		t.Fatalf("watch after another SMS = %+v, %v; want one at the fast pace until expiry", w, err)
	}

	// The new code is pushed; the old one is not pushed again.
	h.sms.DeliverSMS(smsUser, "555", "Your code is 222222")
	h.waitMessage(aliceChat.ID, "<code>222222</code>")
	if n := countContaining(h.tg.SentTo(aliceChat.ID), "<code>111111</code>"); n != 1 {
		t.Errorf("old code sent %d times, want 1", n)
	}

	// A number still waiting for its first SMS gets none asked for.
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("556"))
	card := h.say(alice, aliceChat, "/order 556")
	h.tap(alice, aliceChat, card.MessageID, "a:1001:556")
	assertContains(t, h.lastEdit(aliceChat, card.MessageID).Text, en.AnotherSMSNotYet("556"))
	if n := h.sms.RequestCount("another_sms"); n != 1 {
		t.Errorf("%d another-SMS requests, want 1", n)
	}
}

func TestMoneyButtonsOnlyForOwner(t *testing.T) {
	// The watcher waits an hour between checks, so every SMSOnline request
	// counted below would come from a press.
	h := newHarness(t, withConfig(func(c *Config) { c.PollInterval, c.CommandBurst = time.Hour, 100 }))
	h.login()
	h.loginBob()
	h.sms.SetOffer(discord)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	ask := h.say(alice, group, "/buy@smsbot_test_bot 555")
	confirm := buttonWith(t, ask.ReplyMarkup, "B:")
	card := h.say(alice, group, "/order@smsbot_test_bot 555")
	before := h.sms.Requests()
	for _, tc := range []struct {
		msg  int
		data string
	}{{card.MessageID, "f:1001:555"}, {card.MessageID, "a:1001:555"}, {card.MessageID, "b:1001:555"},
		{card.MessageID, "b:1001:555:p"}, {card.MessageID, "x:1001:555"}, {ask.MessageID, confirm}, {card.MessageID, confirm}} {
		if toast := h.tap(bob, group, tc.msg, tc.data); toast != en.T(message.NotYourCard) {
			t.Errorf("bob pressing %s: toast %q", tc.data, toast)
		}
	}
	// Forged or mangled data is refused whoever presses it.
	for _, data := range []string{"F:1001:555:zz", "B:1001:555", "B:1001:555:m20", "B:1001:555:kAAAAAAAA", "B:1001:555:m0:kAAAAAAAA",
		"B:1001:555:m20:kAAAA", "b:1001:555:p:p", "y:1001:555", "F:555", "B:1001:5!5:m20:kAAAAAAAA", "b:1001:555:m99999999",
		"B:AAAAAAAAAAAA", "F:AAAAAAAAAAAA", confirm + ":m10000", "r:+1001:555"} {
		if toast := h.tap(alice, group, card.MessageID, data); toast != en.T(message.ButtonExpired) {
			t.Errorf("pressing %q: toast %q, want it refused", data, toast)
		}
	}
	if n := h.sms.Requests() - before; n != 0 {
		t.Errorf("refused presses made %d SMSOnline requests", n)
	}
	if n := len(h.tg.Edits()); n != 0 {
		t.Errorf("refused presses edited %d messages", n)
	}
	if n := len(h.sms.Buys(smsUser)); n != 0 || h.sms.RequestCount("refund") != 0 {
		t.Errorf("refused presses spent money: %d buys, %d refunds", n, h.sms.RequestCount("refund"))
	}
}
