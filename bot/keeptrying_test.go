package bot

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// "⏳ Keep trying" after a purchase refused for stock: a try every 30 s
// (the bot's clock is moved ahead), one message edited with the progress,
// the card when a number is bought; Stop ends it.

// stockRefusal buys the same as 555 again while the offer is out of stock
// and returns the card's message id and the Keep trying button's data.
func stockRefusal(t *testing.T, h *harness) (int, string) {
	t.Helper()
	card := h.say(alice, aliceChat, "/order 555")
	h.tap(alice, aliceChat, card.MessageID, "b:1001:555")
	h.tap(alice, aliceChat, card.MessageID, buttonWith(t, h.lastEdit(aliceChat, card.MessageID).ReplyMarkup, "B:"))
	refused := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, refused.Text, en.BuyOutOfStock(discordOffer()))
	return card.MessageID, buttonWith(t, refused.ReplyMarkup, "T:")
}

// waitEdit waits until the last edit of a message holds every want.
func (h *harness) waitEdit(chat models.Chat, messageID int, want ...string) telegramtest.Edit {
	h.t.Helper()
	var last telegramtest.Edit
	h.tg.WaitFor(h.t, 10*time.Second, func() bool {
		edits := h.tg.Edits()
		for i := len(edits) - 1; i >= 0; i-- {
			if e := edits[i]; e.ChatID == chat.ID && e.MessageID == messageID {
				last = e
				for _, w := range want {
					if !strings.Contains(e.Text, w) {
						return false
					}
				}
				return true
			}
		}
		return false
	})
	return last
}

func newKeepTryingHarness(t *testing.T, clk *offsetClock) *harness {
	t.Helper()
	h := newHarness(t, withFastMoney(), withConfig(func(c *Config) { c.Now = clk.Now }))
	h.login()
	h.sms.SetOffer(discord)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	return h
}

func TestKeepTryingBuysOnceStockIsBack(t *testing.T) {
	clk := &offsetClock{}
	h := newKeepTryingHarness(t, clk)
	h.sms.SetStockOutForNext("ds", "12", "any", 3) // the tap and two tries are refused
	card, keep := stockRefusal(t, h)
	if toast := h.tap(alice, aliceChat, card, keep); toast != en.T(message.ToastDone) {
		t.Errorf("toast %q", toast)
	}
	progress := h.lastEdit(aliceChat, card)
	assertContains(t, progress.Text, en.StockTrying(discordOffer(), message.Cents(20), 30*time.Second, 10*time.Minute, 0))
	stop := buttonWith(t, progress.ReplyMarkup, "y:1001:")
	// A double tap starts nothing more.
	if toast := h.tap(alice, aliceChat, card, keep); toast != en.T(message.ToastInProgress) {
		t.Errorf("second tap: toast %q", toast)
	}
	h.settleFor(300*time.Millisecond, 1, 0) // nothing before its first 30 s
	for try := 1; try <= 2; try++ {
		clk.advance(30 * time.Second)
		h.waitCounts(1+try, 0)
		e := h.waitEdit(aliceChat, card, "Tries so far: "+strconv.Itoa(try))
		buttonWith(t, e.ReplyMarkup, "y:1001:")
	}
	clk.advance(30 * time.Second)
	h.waitCounts(4, 0)
	h.waitEdit(aliceChat, card, boughtTitle())
	if !h.watched("30000001") {
		t.Error("the number bought is not watched")
	}
	for _, b := range h.sms.Buys(smsUser) {
		if b.MaximumPrice != "20" {
			t.Errorf("a try with ceiling %s, want the confirmed 20", b.MaximumPrice)
		}
	}
	// Bought: no more tries, and Stop now says it had ended.
	clk.advance(time.Minute)
	h.settleFor(300*time.Millisecond, 4, 0)
	if toast := h.tap(alice, aliceChat, card, stop); toast != en.T(message.StockStopTooLate) {
		t.Errorf("Stop after the purchase: toast %q", toast)
	}
}

func TestKeepTryingStops(t *testing.T) {
	clk := &offsetClock{}
	h := newKeepTryingHarness(t, clk)
	h.sms.SetStock("ds", "12", "any", 0)
	card, keep := stockRefusal(t, h)
	h.tap(alice, aliceChat, card, keep)
	stop := buttonWith(t, h.lastEdit(aliceChat, card).ReplyMarkup, "y:1001:")
	clk.advance(30 * time.Second)
	h.waitCounts(2, 0)
	// Someone else's Stop does nothing.
	if toast := h.tap(bob, aliceChat, card, stop); toast != en.T(message.NotYourCard) {
		t.Errorf("bob's Stop: toast %q", toast)
	}
	h.tap(alice, aliceChat, card, stop)
	assertContains(t, h.lastEdit(aliceChat, card).Text, en.StockStopped(discordOffer(), 1))
	clk.advance(5 * time.Minute)
	h.settleFor(500*time.Millisecond, 2, 0)
}

func TestKeepTryingEndsAfterTenMinutes(t *testing.T) {
	clk := &offsetClock{}
	h := newKeepTryingHarness(t, clk)
	h.sms.SetStock("ds", "12", "any", 0)
	card, keep := stockRefusal(t, h)
	h.tap(alice, aliceChat, card, keep)
	for try := 1; try <= 20; try++ {
		clk.advance(30 * time.Second)
		h.waitCounts(1+try, 0)
	}
	clk.advance(30 * time.Second)
	h.waitEdit(aliceChat, card, en.StockGaveUp(discordOffer(), 10*time.Minute, 20))
	h.settleFor(300*time.Millisecond, 21, 0)
}

func TestKeepTryingNewNumberRefundsTheOldOneOnceBought(t *testing.T) {
	clk := &offsetClock{}
	h := newKeepTryingHarness(t, clk)
	h.sms.SetStockOutForNext("ds", "12", "any", 1)
	card := h.say(alice, aliceChat, "/order 555")
	h.tap(alice, aliceChat, card.MessageID, h.newNumberConfirmation(card.MessageID, "555"))
	keep := buttonWith(t, h.lastEdit(aliceChat, card.MessageID).ReplyMarkup, "T:")
	h.tap(alice, aliceChat, card.MessageID, keep)
	clk.advance(30 * time.Second)
	h.waitCounts(2, 1)
	h.waitEdit(aliceChat, card.MessageID, boughtTitle(), en.RefundDone("555", message.Cents(16), message.Cents(1500)))
	if h.watched("555") {
		t.Error("the replaced number is still watched")
	}
	if a, err := h.store.ActionByKey(context.Background(), store.ActionBuy, store.StockTryKey(1, 1)); err != nil || a.ReplaceOrder != "555" {
		t.Errorf("the try: %+v, %v", a, err)
	}
}
