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
	"github.com/smsbot/smsbot/bot/money"
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
		{"555", join(en.T(message.ButtonRefresh), en.T(message.ButtonStop), en.ButtonRefund(message.Cents(16))), []string{"r:1001:555", "s:1001:555", "f:1001:555"}},
		{"556", join(en.T(message.ButtonRefresh), en.T(message.ButtonAnotherSMS), en.T(message.ButtonBuyAgain)), []string{"r:1001:556", "a:1001:556", "b:1001:556"}},
		{"557", en.T(message.ButtonBuyAgain), []string{"b:1001:557"}},
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

func TestBuyAgain(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.SetOffer(discord)
	old := smsapitest.NewOrder("555")
	old.Status = smsapitest.StatusExpired
	h.sms.AddOrder(smsUser, old)
	card := h.say(alice, aliceChat, "/order 555")

	h.tap(alice, aliceChat, card.MessageID, "b:1001:555")
	ask := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, ask.Text, en.BuyAsk(discordOffer(), "555", message.Cents(20)))
	confirm := buttonWith(t, ask.ReplyMarkup, "B:")
	if got := strings.Join(labels(ask.ReplyMarkup), "|"); got != join(en.T(message.ButtonBuy), en.T(message.ButtonCancel)) {
		t.Errorf("confirmation buttons %q", got)
	}

	h.tap(alice, aliceChat, card.MessageID, confirm)
	bought := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, bought.Text, boughtTitle())
	assertContains(t, bought.Text, h.fakeCard("30000001", message.StateWaiting)...)
	buys := h.sms.Buys(smsUser)
	if len(buys) != 1 || buys[0].MaximumPrice != "20" || buys[0].Service != "ds" || buys[0].Country != "12" || buys[0].Carrier != "any" {
		t.Fatalf("buys = %+v, want one of ds/12/any for at most 20", buys)
	}
	if got := h.sms.Balance(smsUser); got != 1500-16 {
		t.Errorf("balance %d cents, want %d", got, 1500-16)
	}

	// The same confirmation pressed again buys nothing: it shows the number.
	h.tap(alice, aliceChat, card.MessageID, confirm)
	assertContains(t, h.lastEdit(aliceChat, card.MessageID).Text, cardTitle(en, "30000001"))
	if n := len(h.sms.Buys(smsUser)); n != 1 {
		t.Errorf("%d purchases, want 1", n)
	}

	// The number is watched: its code comes by itself.
	h.sms.DeliverSMS(smsUser, "30000001", "Your code is 515151")
	h.waitMessage(aliceChat.ID, "<code>515151</code>")
}

func TestBuyRefusals(t *testing.T) {
	h := newBuyHarness(t)
	card := h.say(alice, aliceChat, "/buy 555")
	confirm := buttonWith(t, card.ReplyMarkup, "B:")

	// The price went up: asked again with the new price, a new
	// confirmation whose stored ceiling is what is sent.
	h.sms.SetPrice("ds", "12", "any", 30)
	h.tap(alice, aliceChat, card.MessageID, confirm)
	changed := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, changed.Text, en.BuyPriceChanged(discordOffer(), message.Cents(30)))
	first := confirm
	confirm = buttonWith(t, changed.ReplyMarkup, "B:")
	if confirm == first {
		t.Fatal("the new price reuses the refused confirmation")
	}

	// Out of stock: said, with a button to try again.
	h.sms.SetStock("ds", "12", "any", 0)
	h.tap(alice, aliceChat, card.MessageID, confirm)
	empty := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, empty.Text, en.BuyOutOfStock(discordOffer()))
	retry := buttonWith(t, empty.ReplyMarkup, "B:")
	if !slices.Contains(labels(empty.ReplyMarkup), en.T(message.ButtonTryAgain)) || retry == confirm {
		t.Errorf("out of stock offers %v / %v, want a new Try again", labels(empty.ReplyMarkup), buttonData(empty.ReplyMarkup))
	}

	// Too little money: said, with the top-up hint.
	h.sms.SetStock("ds", "12", "any", -1)
	h.sms.AddAccount(smsUser, smsKey, 5)
	h.tap(alice, aliceChat, card.MessageID, retry)
	assertContains(t, h.lastEdit(aliceChat, card.MessageID).Text, en.LowBalance(message.Cents(5), message.Cents(30)))
	buys := h.sms.Buys(smsUser)
	if len(buys) != 3 || buys[0].MaximumPrice != "20" || buys[1].MaximumPrice != "30" || buys[2].MaximumPrice != "30" {
		t.Errorf("purchase requests %+v, want one per confirmation, at 20, 30, 30", buys)
	}

	// The confirmation says at once when the balance is too low.
	ask := h.say(alice, aliceChat, "/buy 555")
	assertContains(t, ask.Text, en.LowBalance(message.Cents(5), message.Cents(16)))

	// And once topped up, the retry buys.
	h.sms.AddAccount(smsUser, smsKey, 1500)
	h.tap(alice, aliceChat, card.MessageID, buttonWith(t, h.lastEdit(aliceChat, card.MessageID).ReplyMarkup, "B:"))
	bought := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, bought.Text, boughtTitle())
	assertContains(t, bought.Text, h.fakeCard("30000001", message.StateWaiting)...)
}

func TestBuyTimeoutIsSettledFromInventory(t *testing.T) {
	h := newBuyHarness(t)
	// The PUT buys, and its answer never comes back in time.
	h.sms.InjectFault(smsapitest.Fault{Match: "buy", DelayAfter: 5 * time.Second, Times: 1})
	ask := h.say(alice, aliceChat, "/buy 555")
	confirm := buttonWith(t, ask.ReplyMarkup, "B:")
	h.tap(alice, aliceChat, ask.MessageID, confirm)
	assertContains(t, h.lastEdit(aliceChat, ask.MessageID).Text, en.BuyPending(discordOffer()))
	if toast := h.tap(alice, aliceChat, ask.MessageID, confirm); toast != en.T(message.ToastInProgress) {
		t.Errorf("second tap while unknown: toast %q", toast)
	}

	found := h.waitMessage(aliceChat.ID, boughtTitle())
	assertContains(t, found.Text, h.fakeCard("30000001", message.StateWaiting)...)
	buttonWith(t, found.ReplyMarkup, "s:1001:30000001")
	if _, err := h.store.Watch(context.Background(), alice.ID, "30000001"); err != nil {
		t.Errorf("the number found is not watched: %v", err)
	}
	if n := len(h.sms.Buys(smsUser)); n != 1 {
		t.Errorf("%d purchase requests, want 1", n)
	}
	if got := h.sms.Balance(smsUser); got != 1500-16 {
		t.Errorf("balance %d cents, want one purchase: %d", got, 1500-16)
	}

	// A purchase lost before it was made is given up after the reads, and
	// never sent again.
	h.sms.InjectFault(smsapitest.Fault{Match: "buy", Delay: 5 * time.Second, Times: 1})
	ask = h.say(alice, aliceChat, "/buy 555")
	h.tap(alice, aliceChat, ask.MessageID, buttonWith(t, ask.ReplyMarkup, "B:"))
	notBought := h.waitMessage(aliceChat.ID, en.BuyNotDone(discordOffer()))
	if notBought.ReplyMarkup != nil {
		t.Errorf("\"nothing was bought\" offers %v: it must not invite a second purchase", buttonData(notBought.ReplyMarkup))
	}
	if n := len(h.sms.Buys(smsUser)); n != 2 {
		t.Errorf("%d purchase requests, want 2", n)
	}
}

func TestBuyList(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.PollInterval, c.CommandBurst = time.Hour, 100 }))
	h.login()
	if got := h.say(alice, aliceChat, "/buy"); got.Text != en.T(message.NothingBought) {
		t.Errorf("/buy with no numbers = %q", got.Text)
	}
	now := time.Now().UTC().Truncate(time.Second)
	add := func(id, service, serviceName string, ago time.Duration, price int64) {
		o := smsapitest.NewOrder(id)
		o.ServiceCode, o.Service, o.Price, o.Status = service, serviceName, price, smsapitest.StatusExpired
		o.OrderedAt, o.ExpiresAt = now.Add(-ago), now.Add(-ago+20*time.Minute)
		h.sms.AddOrder(smsUser, o)
	}
	add("501", "ds", "Discord", 3*time.Hour, 16)
	add("502", "tg", "Telegram", 2*time.Hour, 40)
	add("503", "ds", "Discord <b>", time.Hour, 18)
	list := h.say(alice, aliceChat, "/buy")
	wantList, wantKeyboard := en.BuyList(alice.ID, []message.BuyEntry{
		{OrderID: "503", Service: "Discord <b>", Country: "United States", Carrier: "any", Price: message.Cents(18)},
		{OrderID: "502", Service: "Telegram", Country: "United States", Carrier: "any", Price: message.Cents(40)},
	})
	if list.Text != wantList {
		t.Errorf("/buy = %q, want %q", list.Text, wantList)
	}
	var wantLabels []string
	for _, row := range wantKeyboard.InlineKeyboard {
		for _, b := range row {
			wantLabels = append(wantLabels, b.Text)
		}
	}
	if got := strings.Join(labels(list.ReplyMarkup), "|"); got != join(wantLabels...) {
		t.Errorf("/buy lists %q", got)
	}
	if got := strings.Join(buttonData(list.ReplyMarkup), " "); got != "b:1001:503 b:1001:502" {
		t.Errorf("/buy buttons %q", got)
	}
	h.tap(alice, aliceChat, list.MessageID, "b:1001:503")
	assertContains(t, h.lastEdit(aliceChat, list.MessageID).Text, en.BuyAsk(en.Offer("Discord <b>", "United States", "any"), "503", message.Cents(23)))

	// A limit of one's own, and bad input that changes nothing.
	assertContains(t, h.say(alice, aliceChat, "/buy 501 0.50").Text, en.BuyAsk(discordOffer(), "501", message.Cents(50)))
	for _, bad := range []string{"/buy 501 abc", "/buy 501 0", "/buy 501 -1", "/buy 501 500", "/buy 501 1e3"} {
		if got := h.say(alice, aliceChat, bad).Text; got != en.BadMaxPrice(message.Cents(money.MaxBuyCeiling)) {
			t.Errorf("%s = %q", bad, got)
		}
	}
	for text, want := range map[string]message.Text{"/buy 50!1": message.BadOrderID, "/buy 1 2 3": message.BuyUsage} {
		if got := h.say(alice, aliceChat, text).Text; got != en.T(want) {
			t.Errorf("%s = %q, want %q", text, got, en.T(want))
		}
	}
	if n := len(h.sms.Buys(smsUser)); n != 0 {
		t.Errorf("%d purchase requests, want none", n)
	}
}

func TestTopUp(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	for _, step := range []struct {
		chat models.Chat
		text string
		want message.Text
	}{
		{aliceChat, "/topup abc", message.TopUpBadAmount},
		{aliceChat, "/topup -5", message.TopUpBadAmount},
		{aliceChat, "/topup 100000", message.TopUpBadAmount},
		{aliceChat, "/topup 0.5", message.TopUpBadAmount},
		{aliceChat, "/topup 5.123", message.TopUpBadAmount},
		{aliceChat, "/topup", message.TopUpUsage},
		{aliceChat, "/topup 5 bad!coupon", message.BadCoupon},
		{group, "/topup 5", message.TopUpInGroup},
	} {
		if got := h.say(alice, step.chat, step.text).Text; got != en.T(step.want) {
			t.Errorf("%s = %q, want %q", step.text, got, en.T(step.want))
		}
	}
	if n := h.sms.RequestCount("invoice"); n != 0 {
		t.Fatalf("bad input made %d invoices", n)
	}

	h.sms.AddCoupon(smsUser, smsapitest.Coupon{Code: "SAVE10", Status: "issued", Percentage: 10, TargetPay: "crypto",
		IssuedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(24 * time.Hour)})
	links := h.say(alice, aliceChat, "/topup 5")
	coupons := []message.Coupon{{Code: "SAVE10", Percentage: 10, TargetPay: "crypto"}}
	if want := en.TopUp(message.Cents(500), time.Hour, "", true, coupons); links.Text != want {
		t.Errorf("/topup 5 = %q, want %q", links.Text, want)
	}
	var urls []string
	for _, row := range links.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			urls = append(urls, b.Text+"="+b.URL)
		}
	}
	if len(urls) != 2 || !strings.HasPrefix(urls[0], en.T(message.ButtonPayCrypto)+"=https://pay.cryptomus.com/pay/") ||
		!strings.HasPrefix(urls[1], en.T(message.ButtonPayCard)+"=https://api.pay4bit.net/pay?amount=500&") {
		t.Errorf("payment buttons %v", urls)
	}
	withCoupon := h.say(alice, aliceChat, "/topup 12.50 SAVE10")
	if want := en.TopUp(message.Cents(1250), time.Hour, "SAVE10", true, coupons); withCoupon.Text != want {
		t.Errorf("/topup 12.50 SAVE10 = %q, want %q", withCoupon.Text, want)
	}
	invoices := h.sms.Invoices(smsUser)
	if len(invoices) != 4 || invoices[2].Amount != 1250 || invoices[2].Coupon != "SAVE10" || invoices[3].Coupon != "" {
		t.Errorf("invoices %+v", invoices)
	}

	// The money arrives: told once, with the new balance.
	h.sms.PayInvoices(smsUser)
	paid := h.sms.Balance(smsUser)
	want := en.BalanceArrived(message.Cents(paid-1500), message.Cents(paid))
	arrived := h.waitMessage(aliceChat.ID, want)
	if arrived.Text != want {
		t.Errorf("arrival = %q, want %q", arrived.Text, want)
	}
	if _, err := h.store.BalanceWatchOf(context.Background(), alice.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the balance is still watched: %v", err)
	}
	if n := countContaining(h.tg.SentTo(aliceChat.ID), want); n != 1 {
		t.Errorf("arrival told %d times, want 1", n)
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
		{card.MessageID, "b:1001:555:p"}, {ask.MessageID, confirm}, {card.MessageID, confirm}} {
		if toast := h.tap(bob, group, tc.msg, tc.data); toast != en.T(message.NotYourCard) {
			t.Errorf("bob pressing %s: toast %q", tc.data, toast)
		}
	}
	// Forged or mangled data is refused whoever presses it.
	for _, data := range []string{"F:1001:555:zz", "B:1001:555", "B:1001:555:m20", "B:1001:555:kAAAAAAAA", "B:1001:555:m0:kAAAAAAAA",
		"B:1001:555:m20:kAAAA", "b:1001:555:p:p", "x:1001:555", "F:555", "B:1001:5!5:m20:kAAAAAAAA", "b:1001:555:m99999999",
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
