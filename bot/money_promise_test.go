package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/store/storetest"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// Regression tests of the money promise (README, "Money promise"): one
// confirmation is one request, ever, across /logout, refusals, lost answers,
// forged buttons and a database that cannot take the outcome.

// TestLogoutWaitsForUnsettledPurchase: /logout while a purchase's outcome
// is unknown keeps the key until the purchase is settled and told, then
// unlinks; the used confirmation stays used after a new /login.
func TestLogoutWaitsForUnsettledPurchase(t *testing.T) {
	h := newBuyHarness(t)
	ask := h.say(alice, aliceChat, "/buy 555")
	confirm := buttonWith(t, ask.ReplyMarkup, "B:")

	// The PUT buys and its answer is lost; SMSOnline then fails every read.
	h.sms.InjectFault(smsapitest.Fault{Match: "buy", DelayAfter: 5 * time.Second, Times: 1})
	h.tap(alice, aliceChat, ask.MessageID, confirm)
	h.sms.InjectFault(smsapitest.Fault{Match: "inventory", Status: 503})
	if got := h.say(alice, aliceChat, "/logout"); got.Text != en.T(message.LogoutWaiting) {
		t.Fatalf("/logout while unsettled = %q", got.Text)
	}
	if acct, err := h.store.Account(context.Background(), alice.ID); err != nil || acct.LogoutAt.IsZero() {
		t.Fatalf("account while logging out = %+v, %v; want it kept, logging out", acct, err)
	}
	if toast := h.tap(alice, aliceChat, ask.MessageID, confirm); toast != en.T(message.LoggingOut) {
		t.Errorf("money press while logging out: toast %q", toast)
	}

	// SMSOnline answers again: the purchase is found and told, then the
	// account is unlinked and that is told.
	h.sms.ClearFaults()
	bought := h.waitMessage(aliceChat.ID, boughtTitle())
	assertContains(t, bought.Text, h.fakeCard("30000001", message.StateWaiting)...)
	bye := h.waitMessage(aliceChat.ID, en.LoggedOutEnded(1))
	if bye.MessageID < bought.MessageID {
		t.Error("the logout was told before the purchase's outcome")
	}
	if _, err := h.store.Account(context.Background(), alice.ID); err == nil {
		t.Error("the key is still stored after the logout finished")
	}

	// Logged in again, the same confirmation buys nothing.
	h.login()
	h.tap(alice, aliceChat, ask.MessageID, confirm)
	assertContains(t, h.lastEdit(aliceChat, ask.MessageID).Text, cardTitle(en, "30000001"))
	if n := len(h.sms.Buys(smsUser)); n != 1 {
		t.Errorf("%d purchase requests, want 1", n)
	}
	if got := h.sms.Balance(smsUser); got != 1500-16 {
		t.Errorf("balance %d cents, want one purchase: %d", got, 1500-16)
	}
	// With nothing unsettled, /logout is immediate.
	if got := h.say(alice, aliceChat, "/logout"); got.Text != en.T(message.LoggedOut) {
		t.Errorf("/logout with nothing unsettled = %q", got.Text)
	}
}

// TestLostPurchaseFoundOnAnotherCarrierWithSkewedClock: SMSOnline fills
// the purchase on another carrier and its clock reads three hours behind;
// the number is still found (it is new), told once and watched.
func TestLostPurchaseFoundOnAnotherCarrierWithSkewedClock(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	tmobile, att := discord, discord
	tmobile.Carrier, tmobile.Stock = "tmobile", 0
	att.Carrier = "att"
	h.sms.SetOffer(tmobile)
	h.sms.SetOffer(att)
	h.sms.SetFailover(smsapitest.FailoverWhenOut)
	h.sms.SetClockSkew(-3 * time.Hour)
	src := smsapitest.NewOrder("555")
	src.Carrier = "tmobile"
	h.sms.AddOrder(smsUser, src)
	// An older number of the same service and country is not new.
	older := smsapitest.NewOrder("556")
	h.sms.AddOrder(smsUser, older)

	h.sms.InjectFault(smsapitest.Fault{Match: "buy", DelayAfter: 5 * time.Second, Times: 1})
	ask := h.say(alice, aliceChat, "/buy 555")
	h.tap(alice, aliceChat, ask.MessageID, buttonWith(t, ask.ReplyMarkup, "B:"))
	found := h.waitMessage(aliceChat.ID, boughtTitle())
	assertContains(t, found.Text, h.fakeCard("30000001", message.StateWaiting)...)
	if n := countContaining(h.tg.SentTo(aliceChat.ID), boughtTitle()); n != 1 {
		t.Errorf("told %d times", n)
	}
	if _, err := h.store.Watch(context.Background(), alice.ID, "30000001"); err != nil {
		t.Errorf("the number found is not watched: %v", err)
	}
	if buys := h.sms.Buys(smsUser); len(buys) != 1 || buys[0].Carrier != "tmobile" {
		t.Errorf("purchase requests %+v, want one for tmobile", buys)
	}

	// The inventory can't be read before the PUT: said, and not sent.
	h.sms.InjectFault(smsapitest.Fault{Match: "inventory", Status: 500, Times: 1})
	ask = h.say(alice, aliceChat, "/buy 555")
	h.tap(alice, aliceChat, ask.MessageID, buttonWith(t, ask.ReplyMarkup, "B:"))
	notSent := h.lastEdit(aliceChat, ask.MessageID)
	assertContains(t, notSent.Text, en.BuyNotSent(en.Offer("Discord", "United States", "tmobile"), ""))
	buttonWith(t, notSent.ReplyMarkup, "B:")
	if n := len(h.sms.Buys(smsUser)); n != 1 {
		t.Errorf("%d purchase requests, want 1: the second was not to be sent", n)
	}
}

// TestRefusedConfirmationIsNotRearmed: a refusal ends its confirmation;
// pressing it again tells what happened and sends nothing, whatever the
// refusal was (out of stock, 429); "Try again" is a new confirmation.
func TestRefusedConfirmationIsNotRearmed(t *testing.T) {
	h := newBuyHarness(t)
	offer := discordOffer()
	for i, refuse := range []func(){
		func() { h.sms.SetStock("ds", "12", "any", 0) },
		func() { h.sms.InjectFault(smsapitest.Fault{Match: "buy", Status: 429, Times: 1}) },
	} {
		ask := h.say(alice, aliceChat, "/buy 555")
		confirm := buttonWith(t, ask.ReplyMarkup, "B:")
		refuse()
		h.tap(alice, aliceChat, ask.MessageID, confirm)
		retry := buttonWith(t, h.lastEdit(aliceChat, ask.MessageID).ReplyMarkup, "B:")
		h.sms.SetStock("ds", "12", "any", -1)
		h.tap(alice, aliceChat, ask.MessageID, confirm)
		again := h.lastEdit(aliceChat, ask.MessageID)
		assertContains(t, again.Text, en.T(message.ConfirmationUsed))
		if n := len(h.sms.Buys(smsUser)); n != 2*i+1 {
			t.Fatalf("case %d: %d purchase requests after pressing a refused confirmation again, want %d", i, n, 2*i+1)
		}
		if i == 0 {
			assertContains(t, again.Text, en.BuyOutOfStock(offer))
		}
		h.tap(alice, aliceChat, ask.MessageID, retry)
		assertContains(t, h.lastEdit(aliceChat, ask.MessageID).Text, boughtTitle())
		if n := len(h.sms.Buys(smsUser)); n != 2*i+2 {
			t.Fatalf("case %d: %d purchase requests after trying again, want %d", i, n, 2*i+2)
		}
	}
}

// TestAnotherSMSOncePerSMS: three taps on "Another SMS" in one batch ask
// once; a new SMS may be asked about again.
func TestAnotherSMSOncePerSMS(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	o := smsapitest.NewOrder("555")
	o.Status, o.SMS = smsapitest.StatusCompleted, "Your code is 111111"
	h.sms.AddOrder(smsUser, o)
	card := h.say(alice, aliceChat, "/order 555")
	before := len(h.tg.CallsTo("answerCallbackQuery"))
	for range 3 {
		h.tg.PressButton(alice, aliceChat, card.MessageID, "a:1001:555")
	}
	h.tg.WaitFor(t, 10*time.Second, func() bool { return len(h.tg.CallsTo("answerCallbackQuery")) >= before+3 })
	if n := h.sms.RequestCount("another_sms"); n != 1 {
		t.Fatalf("three taps sent %d another-SMS requests, want 1", n)
	}
	assertContains(t, h.lastEdit(aliceChat, card.MessageID).Text, en.AnotherSMSAlready("555"))

	h.sms.DeliverSMS(smsUser, "555", "Your code is 222222")
	h.waitMessage(aliceChat.ID, "<code>222222</code>")
	h.tap(alice, aliceChat, card.MessageID, "a:1001:555")
	h.waitCount("another_sms", 2)
}

// TestForgedButtonsChangeNothing: button data is client input. A group
// member pressing his own well-formed button on someone else's card, an
// owner written "+1001" and a purchase button with a ceiling added change
// nothing; what a confirmation sends is what it stored.
func TestForgedButtonsChangeNothing(t *testing.T) {
	h := newHarness(t, withConfig(func(c *Config) { c.PollInterval, c.CommandBurst = time.Hour, 100 }))
	h.login()
	h.loginBob()
	h.sms.SetOffer(discord)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.sms.AddOrder(bobSMSUser, smsapitest.NewOrder("777"))
	card := h.say(alice, group, "/order@smsbot_test_bot 555")
	ask := h.say(alice, group, "/buy@smsbot_test_bot 555")
	confirm := buttonWith(t, ask.ReplyMarkup, "B:")
	edits, requests := len(h.tg.Edits()), h.sms.Requests()

	for _, tc := range []struct {
		from telegramtest.User
		msg  int
		data string
		want string
	}{
		{bob, card.MessageID, "r:1002:777", en.T(message.NotYourCard)},
		{bob, card.MessageID, "s:1002:777", en.T(message.NotYourCard)},
		{bob, ask.MessageID, "b:1002:777", en.T(message.NotYourCard)},
		{bob, card.MessageID, "r:+1002:777", en.T(message.ButtonExpired)},
		{alice, card.MessageID, "r:+1001:555", en.T(message.ButtonExpired)},
		{alice, ask.MessageID, confirm + ":m10000", en.T(message.ButtonExpired)},
	} {
		if toast := h.tap(tc.from, group, tc.msg, tc.data); toast != tc.want {
			t.Errorf("%s pressing %q: toast %q, want %q", tc.from.FirstName, tc.data, toast, tc.want)
		}
	}
	if n := len(h.tg.Edits()) - edits; n != 0 {
		t.Errorf("forged presses edited %d messages", n)
	}
	if n := h.sms.Requests() - requests; n != 0 {
		t.Errorf("forged presses made %d SMSOnline requests", n)
	}

	// The real confirmation sends the ceiling it stored: $0.20.
	h.tap(alice, group, ask.MessageID, confirm)
	if buys := h.sms.Buys(smsUser); len(buys) != 1 || buys[0].MaximumPrice != "20" {
		t.Errorf("purchase requests %+v, want one at maximumPrice 20", buys)
	}
}

// TestMoneyOutcomeRecordedAfterStoreRecovers: SMSOnline confirms a
// purchase while the database cannot take a write. The user hears the real
// outcome, /healthz is unhealthy while it waits, and once the database
// takes writes again the outcome is recorded and the number watched,
// without a restart.
func TestMoneyOutcomeRecordedAfterStoreRecovers(t *testing.T) {
	h := newBuyHarness(t)
	ask := h.say(alice, aliceChat, "/buy 555")
	confirm := buttonWith(t, ask.ReplyMarkup, "B:")
	nonce := strings.TrimPrefix(confirm, "B:")

	// The PUT is held a second before it is carried out; meanwhile another
	// connection takes the database's write lock.
	h.sms.InjectFault(smsapitest.Fault{Match: "buy", Delay: time.Second, Times: 1})
	before := len(h.tg.CallsTo("answerCallbackQuery"))
	h.tg.PressButton(alice, aliceChat, ask.MessageID, confirm)
	h.tg.WaitFor(t, 5*time.Second, func() bool {
		a, err := h.store.ActionByKey(context.Background(), store.ActionBuy, nonce)
		return err == nil && a.State == store.ActionSent
	})
	release := storetest.LockWrites(t, h.dbPath)
	h.tg.WaitFor(t, 20*time.Second, func() bool { return len(h.tg.CallsTo("answerCallbackQuery")) > before })
	assertContains(t, h.lastEdit(aliceChat, ask.MessageID).Text, boughtTitle(), cardTitle(en, "30000001"))
	err := h.bot.Health(context.Background())
	if err == nil || !strings.Contains(err.Error(), "money: 1 outcome") {
		t.Errorf("Health while the outcome waits = %v", err)
	}

	release()
	h.tg.WaitFor(t, 20*time.Second, func() bool {
		a, err := h.store.ActionByKey(context.Background(), store.ActionBuy, nonce)
		return err == nil && a.State == store.ActionDone && a.OrderID == "30000001"
	})
	if n, _ := h.bot.money.Unwritten(); n != 0 {
		t.Errorf("%d outcomes still unwritten", n)
	}
	h.sms.DeliverSMS(smsUser, "30000001", "Your code is 616161")
	h.waitMessage(aliceChat.ID, "<code>616161</code>")
	if n := len(h.sms.Buys(smsUser)); n != 1 {
		t.Errorf("%d purchase requests, want 1", n)
	}
}

// TestRefundUnconfirmedWhenOrderVanishes: a refund SMSOnline carried out
// whose answer was lost, then an order that reads 404: the user is not told
// "not refunded" but that it could not be confirmed, with the balance.
func TestRefundUnconfirmedWhenOrderVanishes(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	card := h.say(alice, aliceChat, "/order 555")
	confirm := h.refundConfirmation(aliceChat, card.MessageID, "555")
	h.sms.InjectFault(smsapitest.Fault{Match: "refund", DelayAfter: 5 * time.Second, Times: 1})
	h.tap(alice, aliceChat, card.MessageID, confirm)
	h.sms.InjectFault(smsapitest.Fault{Match: "order", Status: 404})
	want := en.RefundUnconfirmed("555", message.Cents(1516))
	h.waitMessage(aliceChat.ID, want)
	for _, notRefunded := range []string{en.RefundNotDone("555"), en.RefundNotSent("555", ""), firstLine(en.RefundFailed("555", ""))} {
		assertNothingContains(t, h.tg, aliceChat.ID, notRefunded)
	}
	if n := h.sms.RequestCount("refund"); n != 1 {
		t.Errorf("%d refund requests, want 1", n)
	}
}
