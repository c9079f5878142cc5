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
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

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
	if got := strings.Join(labels(ask.ReplyMarkup), "|"); got != join(en.T(message.ButtonBuy), en.T(message.ButtonCancel), "• ×1", "×3", "×5", "×10", en.T(message.ButtonFavourite)) {
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
	for text, want := range map[string]message.Text{"/buy 50!1": message.BadOrderID, "/buy 1 2 3 4": message.BuyUsage, "/buy 501 0.50 11": message.BuyUsage} {
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

// TestBuyInGroupSaysCodesGoPrivately: a number bought from a card in a
// group has its codes sent to the owner's private chat, and the card says
// so rather than "here".
func TestBuyInGroupSaysCodesGoPrivately(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.SetOffer(discord)
	old := smsapitest.NewOrder("555")
	old.Status = smsapitest.StatusExpired
	h.sms.AddOrder(smsUser, old)
	card := h.say(alice, group, "/order@smsbot_test_bot 555")

	h.tap(alice, group, card.MessageID, "b:1001:555")
	confirm := buttonWith(t, h.lastEdit(group, card.MessageID).ReplyMarkup, "B:")
	h.tap(alice, group, card.MessageID, confirm)
	bought := h.lastEdit(group, card.MessageID)
	assertContains(t, bought.Text, boughtTitle(), en.T(message.WatchingPrivately))
	if strings.Contains(bought.Text, en.T(message.Watching)) {
		t.Errorf("a card in a group says the code comes here:\n%s", bought.Text)
	}
	h.sms.DeliverSMS(smsUser, "30000001", "Your code is 515151")
	h.waitMessage(aliceChat.ID, "<code>515151</code>")
}
