package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// "🆕 New number": a purchase first, then the old number's refund, each at
// most once; a refused purchase refunds nothing; an unknown one refunds
// only once the reconciler found the new number.

// newNumberConfirmation asks for a new number on a card and returns the
// confirmation's button data.
func (h *harness) newNumberConfirmation(messageID int, orderID string) string {
	h.t.Helper()
	h.tap(alice, aliceChat, messageID, "x:1001:"+orderID)
	ask := h.lastEdit(aliceChat, messageID)
	assertContains(h.t, ask.Text, en.ReplaceAsk(en.Offer("Discord", "United States", "any"), message.Cents(20), orderID, message.Cents(16)))
	return buttonWith(h.t, ask.ReplyMarkup, "X:")
}

func TestNewNumber(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.SetOffer(discord)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	card := h.say(alice, aliceChat, "/order 555")
	confirm := h.newNumberConfirmation(card.MessageID, "555")
	if n := len(h.sms.Buys(smsUser)) + h.sms.RequestCount("refund"); n != 0 {
		t.Fatalf("asking made %d money requests", n)
	}

	if toast := h.tap(alice, aliceChat, card.MessageID, confirm); toast != en.T(message.ToastDone) {
		t.Errorf("toast %q", toast)
	}
	done := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, done.Text, "<b>Order 30000001</b>", en.RefundDone("555", message.Cents(16), message.Cents(1500)))
	buys := h.sms.Buys(smsUser)
	if len(buys) != 1 || buys[0].MaximumPrice != "20" || h.sms.RequestCount("refund") != 1 {
		t.Fatalf("%d purchases %+v and %d refunds, want 1 and 1", len(buys), buys, h.sms.RequestCount("refund"))
	}
	// The purchase came first: the refund followed a number in hand.
	log := h.sms.Log()
	buyAt, refundAt := -1, -1
	for i, r := range log {
		switch r.Kind {
		case "buy":
			buyAt = i
		case "refund":
			refundAt = i
		}
	}
	if buyAt < 0 || refundAt < buyAt {
		t.Errorf("refund at request %d, purchase at %d: the refund must follow the purchase", refundAt, buyAt)
	}
	if _, err := h.store.Watch(context.Background(), alice.ID, "555"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old number is still watched: %v", err)
	}
	if _, err := h.store.Watch(context.Background(), alice.ID, "30000001"); err != nil {
		t.Errorf("the new number is not watched: %v", err)
	}
	if got := h.sms.Balance(smsUser); got != 1500 {
		t.Errorf("balance %d cents, want 1500-16+16", got)
	}
	// The same confirmation again: nothing more.
	h.tap(alice, aliceChat, card.MessageID, confirm)
	if n := len(h.sms.Buys(smsUser)); n != 1 || h.sms.RequestCount("refund") != 1 {
		t.Errorf("pressed again: %d purchases, %d refunds", n, h.sms.RequestCount("refund"))
	}
	// Its code comes by itself.
	h.sms.DeliverSMS(smsUser, "30000001", "Your code is 737373")
	h.waitMessage(aliceChat.ID, "<code>737373</code>")
}

func TestNewNumberOutOfStockRefundsNothing(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	out := discord
	out.Stock = 0
	h.sms.SetOffer(out)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	card := h.say(alice, aliceChat, "/order 555")
	h.tap(alice, aliceChat, card.MessageID, h.newNumberConfirmation(card.MessageID, "555"))
	refused := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, refused.Text, en.BuyOutOfStock(en.Offer("Discord", "United States", "any")))
	retry := buttonWith(t, refused.ReplyMarkup, "B:")
	if n := h.sms.RequestCount("refund"); n != 0 {
		t.Fatalf("%d refunds after a refused purchase", n)
	}
	if _, err := h.store.Watch(context.Background(), alice.ID, "555"); err != nil {
		t.Errorf("the old number is no longer watched: %v", err)
	}
	// Try again, once there is stock: still a New number (bought, then refunded).
	h.sms.SetStock("ds", "12", "any", -1)
	h.tap(alice, aliceChat, card.MessageID, retry)
	assertContains(t, h.lastEdit(aliceChat, card.MessageID).Text, "<b>Order 30000001</b>", en.RefundDone("555", message.Cents(16), message.Cents(1500)))
	if n := h.sms.RequestCount("refund"); n != 1 {
		t.Errorf("%d refunds, want 1", n)
	}
}

func TestNewNumberUnknownPurchaseRefundsAfterSettling(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.SetOffer(discord)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	card := h.say(alice, aliceChat, "/order 555")
	confirm := h.newNumberConfirmation(card.MessageID, "555")
	h.sms.InjectFault(smsapitest.Fault{Match: "buy", DelayAfter: 5 * time.Second, Times: 1})
	// The read before the PUT goes through; the reads that would settle it
	// fail until the test says.
	h.sms.InjectFault(smsapitest.Fault{Match: "inventory", Times: 1})
	h.sms.InjectFault(smsapitest.Fault{Match: "inventory", Status: 503, Times: 1000})
	if toast := h.tap(alice, aliceChat, card.MessageID, confirm); !strings.Contains(toast, "progress") {
		t.Errorf("toast %q", toast)
	}
	assertContains(t, h.lastEdit(aliceChat, card.MessageID).Text, en.ReplaceRefundLater("555"))
	if n := h.sms.RequestCount("refund"); n != 0 {
		t.Fatalf("refunded before the purchase was known: %d", n)
	}
	h.sms.ClearFaults()
	h.waitMessage(aliceChat.ID, "<b>Bought!</b>")
	h.waitMessage(aliceChat.ID, en.RefundDone("555", message.Cents(16), message.Money{}))
	if n, r := len(h.sms.Buys(smsUser)), h.sms.RequestCount("refund"); n != 1 || r != 1 {
		t.Errorf("%d purchases, %d refunds; want 1 and 1", n, r)
	}
}

func TestNewNumberRefundRefusedKeepsTheOldOneWatched(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.SetOffer(discord)
	h.sms.SetRefundAfter(time.Hour) // SMSOnline refuses refunds this early
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	card := h.say(alice, aliceChat, "/order 555")
	h.tap(alice, aliceChat, card.MessageID, h.newNumberConfirmation(card.MessageID, "555"))
	done := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, done.Text, "<b>Order 30000001</b>", en.ReplaceRefundFailed("555"))
	if n, r := len(h.sms.Buys(smsUser)), h.sms.RequestCount("refund"); n != 1 || r != 1 {
		t.Errorf("%d purchases, %d refunds; want 1 and 1", n, r)
	}
	for _, id := range []string{"555", "30000001"} {
		if _, err := h.store.Watch(context.Background(), alice.ID, id); err != nil {
			t.Errorf("order %s is not watched: %v", id, err)
		}
	}
}
