package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/store"
)

// Several numbers in one confirmation: ×N asks again, each number is its
// own purchase, at most N, one message lists them.

// askForSeveral asks to buy the same as 555 again, picks n on the
// confirmation and returns the card's message id and the Buy button.
func askForSeveral(t *testing.T, h *harness, n int) (int, string) {
	t.Helper()
	card := h.say(alice, aliceChat, "/order 555")
	h.tap(alice, aliceChat, card.MessageID, "b:1001:555")
	ask := h.lastEdit(aliceChat, card.MessageID)
	pick := buttonWith(t, ask.ReplyMarkup, "Q:")
	nonce := strings.Split(pick, ":")[1]
	h.tap(alice, aliceChat, card.MessageID, "Q:"+nonce+":"+string(rune('0'+n)))
	many := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, many.Text, en.BuyAskMany(discordOffer(), n, message.Cents(20)))
	if got := h.sms.Buys(smsUser); len(got) != 0 {
		t.Fatalf("asking bought %d", len(got))
	}
	return card.MessageID, buttonWith(t, many.ReplyMarkup, "B:")
}

func TestBuySeveral(t *testing.T) {
	h := newBuyHarness(t)
	card, buy := askForSeveral(t, h, 5)
	if toast := h.tap(alice, aliceChat, card, buy); toast != en.T(message.ToastDone) {
		t.Errorf("toast %q", toast)
	}
	done := h.lastEdit(aliceChat, card)
	assertContains(t, done.Text, en.T(message.Text("BatchAll")))
	for _, id := range []string{"30000001", "30000002", "30000003", "30000004", "30000005"} {
		assertContains(t, done.Text, "<code>"+id+"</code>")
		if !h.watched(id) {
			t.Errorf("%s is not watched", id)
		}
	}
	if n := len(h.sms.Buys(smsUser)); n != 5 {
		t.Errorf("%d purchases, want 5", n)
	}
	// Pressed again: what it bought, nothing more.
	h.tap(alice, aliceChat, card, buy)
	assertContains(t, h.lastEdit(aliceChat, card).Text, en.T(message.ConfirmationUsed))
	if n := len(h.sms.Buys(smsUser)); n != 5 {
		t.Errorf("pressed again: %d purchases, want 5", n)
	}
}

func TestBuySeveralStopsAtTheFirstRefusal(t *testing.T) {
	h := newBuyHarness(t)
	h.sms.SetStock("ds", "12", "any", 2)
	card, buy := askForSeveral(t, h, 5)
	h.tap(alice, aliceChat, card, buy)
	done := h.lastEdit(aliceChat, card)
	assertContains(t, done.Text, "2 of 5 bought", en.T(message.Text("BatchStopped")), "none are in stock")
	if n := len(h.sms.Buys(smsUser)); n != 3 {
		t.Errorf("%d purchase requests, want 2 bought and the third refused", n)
	}
}

func TestBuySeveralDoubleTap(t *testing.T) {
	h := newBuyHarness(t)
	card, buy := askForSeveral(t, h, 5)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { h.tap(alice, aliceChat, card, buy) })
	}
	wg.Wait()
	h.waitEdit(aliceChat, card, en.T(message.Text("BatchAll")))
	if n := len(h.sms.Buys(smsUser)); n != 5 {
		t.Errorf("three taps bought %d, want 5", n)
	}
}

func TestBuySeveralByCommand(t *testing.T) {
	h := newBuyHarness(t)
	ask := h.say(alice, aliceChat, "/buy 555 0.18 3")
	assertContains(t, ask.Text, en.BuyAskMany(discordOffer(), 3, message.Cents(18)))
	for _, bad := range []string{"/buy 555 0.18 0", "/buy 555 0.18 11", "/buy 555 0.18 03", "/buy 555 0.18 x", "/buy 555 0.18 3 4"} {
		if got := h.say(alice, aliceChat, bad); !strings.Contains(got.Text, "/buy 20046875 0.50 5") {
			t.Errorf("%s: %q", bad, got.Text)
		}
	}
	if n := len(h.sms.Buys(smsUser)); n != 0 {
		t.Errorf("asking bought %d", n)
	}
}

// TestCutBatchIsTold: a batch a restart stopped is cut at start-up, and
// its user told what it bought; nothing more is bought for it.
func TestCutBatchIsTold(t *testing.T) {
	h := newBuyHarness(t)
	ctx := context.Background()
	card, buy := askForSeveral(t, h, 3)
	_ = card
	nonce := strings.TrimPrefix(buy, "B:")
	head, err := h.store.ActionByKey(ctx, store.ActionBuy, nonce)
	if err != nil {
		t.Fatal(err)
	}
	// As a crash after its first number leaves it: running, one bought.
	if ok, err := h.store.StartBatch(ctx, head.ID, time.Now()); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, _, err := h.store.BeginAction(ctx, head.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	_ = h.store.MarkActionSent(ctx, head.ID, time.Now())
	if err := h.store.SettleAction(ctx, head, store.Settlement{OrderID: "777", Price: 16}, time.Now()); err != nil {
		t.Fatal(err)
	}
	h.stop()
	h.start()
	m := h.waitMessage(aliceChat.ID, "1 of 3 bought")
	assertContains(t, m.Text, "<code>777</code>", en.T(message.Text("BatchCut")))
	h.tap(alice, aliceChat, card, buy)
	if n := len(h.sms.Buys(smsUser)); n != 0 {
		t.Errorf("%d purchases after the cut", n)
	}
}
