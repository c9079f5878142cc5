package bot

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// The rule for numbers that get no SMS, through the fakes: the bot's clock
// is moved ahead of the real one to make a number's time come.

// offsetClock is the real clock plus an offset the test moves ahead.
type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *offsetClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// newRuleHarness is a bot with fast money on clk, alice logged in with rule
// r, and her order 555 (no SMS yet) looked up: watched.
func newRuleHarness(t *testing.T, clk *offsetClock, r store.Rule) *harness {
	t.Helper()
	h := newHarness(t, withFastMoney(), withConfig(func(c *Config) { c.Now = clk.Now }))
	h.login()
	h.sms.SetOffer(discord)
	if err := h.store.SetRule(context.Background(), alice.ID, r, clk.Now()); err != nil {
		t.Fatal(err)
	}
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.say(alice, aliceChat, "/order 555")
	return h
}

// counts returns the purchases and refunds SMSOnline was asked for.
func (h *harness) counts() (buys, refunds int) {
	return len(h.sms.Buys(smsUser)), h.sms.RequestCount("refund")
}

// settleFor gives the bot a moment in which nothing more may happen, and
// fails if the money requests change meanwhile.
func (h *harness) settleFor(d time.Duration, buys, refunds int) {
	h.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if b, r := h.counts(); b != buys || r != refunds {
			h.t.Fatalf("%d purchases and %d refunds, want %d and %d", b, r, buys, refunds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitCounts waits until SMSOnline was asked for buys purchases and
// refunds refunds.
func (h *harness) waitCounts(buys, refunds int) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, r := h.counts()
		if b == buys && r == refunds {
			return
		}
		if b > buys || r > refunds || time.Now().After(deadline) {
			h.t.Fatalf("%d purchases and %d refunds, want %d and %d", b, r, buys, refunds)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitWatched waits until orderID is watched (want) or not.
func (h *harness) waitWatched(orderID string, want bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.watched(orderID) != want {
		if time.Now().After(deadline) {
			h.t.Fatalf("order %s watched = %v, want %v", orderID, !want, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) watched(orderID string) bool {
	h.t.Helper()
	_, err := h.store.Watch(context.Background(), alice.ID, orderID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.t.Fatal(err)
	}
	return err == nil
}

func TestRuleRefundsOnceAtItsTime(t *testing.T) {
	clk := &offsetClock{}
	h := newRuleHarness(t, clk, store.Rule{Kind: store.RuleRefund, Minutes: 5})
	// 556 gets its SMS in time; 557 is kept by its owner.
	for _, id := range []string{"556", "557"} {
		h.sms.AddOrder(smsUser, smsapitest.NewOrder(id))
		h.say(alice, aliceChat, "/order "+id)
	}
	h.sms.DeliverSMS(smsUser, "556", "Your code is 123456")
	h.waitMessage(aliceChat.ID, "<code>123456</code>")
	if ok, err := h.store.KeepNumber(context.Background(), alice.ID, "557", clk.Now()); !ok || err != nil {
		t.Fatalf("keep: %v %v", ok, err)
	}

	clk.advance(4 * time.Minute)
	h.settleFor(300*time.Millisecond, 0, 0)
	clk.advance(61 * time.Second)
	h.waitMessage(aliceChat.ID, en.RuleRefunded("1234567890", 5*time.Minute, message.Cents(16), message.ChainEnd{}))
	h.waitCounts(0, 1)
	for _, r := range h.sms.Log() {
		if r.Kind == "refund" && r.OrderID != "555" {
			t.Errorf("refunded %s", r.OrderID)
		}
	}
	if h.watched("555") {
		t.Error("555 is still watched after its refund")
	}
	clk.advance(10 * time.Minute)
	h.settleFor(500*time.Millisecond, 0, 1)
	if !h.watched("557") {
		t.Error("the kept number is no longer watched")
	}
	if o, _ := h.sms.Order(smsUser, "556"); o.Status == smsapitest.StatusRefunded {
		t.Error("the number that got its SMS was refunded")
	}
}

func TestRuleRetryChainEndsOnSMS(t *testing.T) {
	clk := &offsetClock{}
	h := newRuleHarness(t, clk, store.Rule{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 100})
	clk.advance(5*time.Minute + time.Second)
	h.waitCounts(1, 1)
	bought, _ := h.sms.Order(smsUser, "30000001")
	step := h.waitMessage(aliceChat.ID, en.ChainStep("1234567890", 5*time.Minute, bought.PhoneNumber,
		en.Offer("Discord", "United States", "any"), message.Cents(16), 2, 3, message.OldRefunded, message.Cents(16)))
	if got := buttonWith(t, step.ReplyMarkup, "z:"); got != "z:1001:30000001" {
		t.Errorf("stop button %q", got)
	}
	if b := h.sms.Buys(smsUser); b[0].MaximumPrice != "20" {
		t.Errorf("ceiling %s, want the first price + 25%% = 20", b[0].MaximumPrice)
	}
	if h.watched("555") || !h.watched("30000001") {
		t.Error("the old number is watched or the new one is not")
	}
	h.sms.DeliverSMS(smsUser, "30000001", "Your code is 424242")
	h.waitMessage(aliceChat.ID, "<code>424242</code>")
	clk.advance(6 * time.Minute)
	h.settleFor(500*time.Millisecond, 1, 1)
}

func TestRuleRetryChainStopsAtItsNumberLimit(t *testing.T) {
	clk := &offsetClock{}
	h := newRuleHarness(t, clk, store.Rule{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 100})
	for i, want := range [][2]int{{1, 1}, {2, 2}, {2, 3}} {
		clk.advance(5*time.Minute + time.Second)
		h.waitCounts(want[0], want[1])
		t.Logf("step %d: %v", i+1, want)
	}
	last, _ := h.sms.Order(smsUser, "30000002")
	h.waitMessage(aliceChat.ID, en.RuleRefunded(last.PhoneNumber, 5*time.Minute, message.Cents(16),
		message.ChainEnd{Why: message.WhyNumbers, N: 3, Max: 3}))
	clk.advance(6 * time.Minute)
	h.settleFor(500*time.Millisecond, 2, 3)
	if got := h.sms.Balance(smsUser); got != 1516 {
		t.Errorf("balance %d cents, want 1500 + 16 (555, added unpaid, refunded): every number refunded", got)
	}
}

func TestRuleRetryChainStopsBeforeItsMoneyLimit(t *testing.T) {
	clk := &offsetClock{}
	// $0.40 for replacements at $0.16 each: two fit, a third would pass it.
	h := newRuleHarness(t, clk, store.Rule{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 10, MaxSpend: 40})
	for _, want := range [][2]int{{1, 1}, {2, 2}, {2, 3}} {
		clk.advance(5*time.Minute + time.Second)
		h.waitCounts(want[0], want[1])
	}
	buys := h.sms.Buys(smsUser)
	if buys[0].MaximumPrice != "20" || buys[1].MaximumPrice != "20" {
		t.Errorf("ceilings %s and %s, want 20 and 20 (first price + 25%%, within 40-16)", buys[0].MaximumPrice, buys[1].MaximumPrice)
	}
	last, _ := h.sms.Order(smsUser, "30000002")
	h.waitMessage(aliceChat.ID, en.RuleRefunded(last.PhoneNumber, 5*time.Minute, message.Cents(16),
		message.ChainEnd{Why: message.WhySpend, Limit: message.Cents(40), Spent: message.Cents(32)}))
	clk.advance(6 * time.Minute)
	h.settleFor(300*time.Millisecond, 2, 3)
}

func TestRuleRefundRefusedTwiceGivesUpAndStopsTheChain(t *testing.T) {
	clk := &offsetClock{}
	h := newRuleHarness(t, clk, store.Rule{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 100})
	h.sms.SetRefundAfter(time.Hour) // SMSOnline refuses these refunds
	clk.advance(5*time.Minute + time.Second)
	h.waitCounts(1, 1)
	bought, _ := h.sms.Order(smsUser, "30000001")
	h.waitMessage(aliceChat.ID, en.ChainStep("1234567890", 5*time.Minute, bought.PhoneNumber,
		en.Offer("Discord", "United States", "any"), message.Cents(16), 2, 3, message.OldRetry, message.Money{}))
	h.settleFor(300*time.Millisecond, 1, 1)
	clk.advance(61 * time.Second)
	h.waitCounts(1, 2)
	h.waitMessage(aliceChat.ID, en.RuleGaveUp("1234567890"))
	// The chain stopped: its new number is kept, and the old one stays watched.
	clk.advance(10 * time.Minute)
	h.settleFor(500*time.Millisecond, 1, 2)
	if !h.watched("555") || !h.watched("30000001") {
		t.Error("a number of the stopped chain is no longer watched")
	}
	c, _, err := h.store.ChainOf(context.Background(), alice.ID, "555")
	if err != nil || c.State != store.ChainStopped {
		t.Errorf("chain %+v, %v: want stopped", c, err)
	}
}

func TestRuleRetryOutOfStockRefundsAndStops(t *testing.T) {
	clk := &offsetClock{}
	h := newRuleHarness(t, clk, store.Rule{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 100})
	h.sms.SetStock("ds", "12", "any", 0)
	clk.advance(5*time.Minute + time.Second)
	h.waitCounts(1, 1)
	m := h.waitMessage(aliceChat.ID, en.RuleRefunded("1234567890", 5*time.Minute, message.Cents(16), message.ChainEnd{Why: message.WhyStock}))
	buttonWith(t, m.ReplyMarkup, "b:1001:555")
	clk.advance(10 * time.Minute)
	h.settleFor(300*time.Millisecond, 1, 1)
}

func TestRuleSurvivesRestart(t *testing.T) {
	clk := &offsetClock{}
	h := newRuleHarness(t, clk, store.Rule{Kind: store.RuleRefund, Minutes: 3})
	h.stop()
	clk.advance(4 * time.Minute) // its time came while the bot was down
	h.start()
	h.waitCounts(0, 1)
	h.waitMessage(aliceChat.ID, en.RuleRefunded("1234567890", 3*time.Minute, message.Cents(16), message.ChainEnd{}))
}

// TestRuleChainStepWaitsWhenNothingWasSent: a chain's purchase that never
// left (the inventory could not be read first) is no refusal: the chain
// makes the step a minute later instead of ending.
func TestRuleChainStepWaitsWhenNothingWasSent(t *testing.T) {
	clk := &offsetClock{}
	h := newRuleHarness(t, clk, store.Rule{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 100})
	h.sms.InjectFault(smsapitest.Fault{Match: "inventory", Status: 503, Times: 1000})
	clk.advance(5*time.Minute + time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for h.sms.RequestCount("inventory") == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	h.settleFor(300*time.Millisecond, 0, 0)
	h.sms.ClearFaults()
	clk.advance(61 * time.Second)
	h.waitCounts(1, 1)
	h.waitWatched("30000001", true)
	h.waitWatched("555", false) // refunded: its watch ends with the settlement
	c, _, err := h.store.ChainOf(context.Background(), alice.ID, "30000001")
	if err != nil || c.State != store.ChainRunning {
		t.Errorf("chain %+v, %v", c, err)
	}
}
