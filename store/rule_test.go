package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRuleCheck(t *testing.T) {
	good := []Rule{
		{Kind: RuleOff},
		{Kind: RuleRefund, Minutes: 2}, {Kind: RuleRefund, Minutes: 19},
		{Kind: RuleRetry, Minutes: 5, MaxNumbers: 2, MaxSpend: 1}, {Kind: RuleRetry, Minutes: 5, MaxNumbers: 10, MaxSpend: 100_00},
	}
	for _, r := range good {
		if err := r.Check(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	bad := []Rule{
		{}, {Kind: "sometimes", Minutes: 5}, {Kind: RuleOff, Minutes: 5},
		{Kind: RuleRefund, Minutes: 1}, {Kind: RuleRefund, Minutes: 20}, {Kind: RuleRefund, Minutes: 5, MaxNumbers: 3},
		{Kind: RuleRetry, Minutes: 5, MaxNumbers: 1, MaxSpend: 100}, {Kind: RuleRetry, Minutes: 5, MaxNumbers: 11, MaxSpend: 100},
		{Kind: RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 0}, {Kind: RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 100_01},
	}
	for _, r := range bad {
		if err := r.Check(); !errors.Is(err, ErrBadRule) {
			t.Errorf("%+v: %v, want ErrBadRule", r, err)
		}
	}
}

// TestRuleTimesWatches: the rule acts N minutes after the order was made
// (SMSOnline's time, else when the bot first saw it); a new rule retimes
// the numbers watched, off clears them, a kept number stays kept, an SMS
// ends it; the rule and the times survive a restart.
func TestRuleTimesWatches(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	addAccount(t, s, 1)
	if r, err := s.UserRule(ctx, 1); err != nil || r.Kind != RuleOff {
		t.Fatalf("default rule %+v, %v", r, err)
	}
	ordered := t0.Add(-2 * time.Minute)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", OrderedAt: ordered, CreatedAt: t0})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "101", CreatedAt: t0})
	// An orderedAt after the bot saw the order is a skewed clock: not later than that.
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "102", OrderedAt: t0.Add(time.Hour), CreatedAt: t0})
	ruleAt := func(order string) time.Time {
		t.Helper()
		w, err := s.Watch(ctx, 1, order)
		if err != nil {
			t.Fatal(err)
		}
		return w.RuleAt
	}
	if !ruleAt("100").IsZero() {
		t.Fatal("timed with the rule off")
	}
	if err := s.SetRule(ctx, 1, Rule{Kind: RuleRefund, Minutes: 5}, t0); err != nil {
		t.Fatal(err)
	}
	for order, want := range map[string]time.Time{"100": ordered.Add(5 * time.Minute), "101": t0.Add(5 * time.Minute), "102": t0.Add(5 * time.Minute)} {
		if got := ruleAt(order); !got.Equal(want) {
			t.Errorf("%s acts at %v, want %v", order, got, want)
		}
	}
	// A number watched later is timed as it is added.
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "103", CreatedAt: t0.Add(time.Minute)})
	if got := ruleAt("103"); !got.Equal(t0.Add(6 * time.Minute)) {
		t.Errorf("103 acts at %v", got)
	}
	if ok, err := s.KeepNumber(ctx, 1, "101", t0); !ok || err != nil {
		t.Fatalf("KeepNumber = %v, %v", ok, err)
	}
	if ok, _ := s.KeepNumber(ctx, 1, "999", t0); ok {
		t.Error("kept an order nobody watches")
	}
	// An SMS ends the rule for its number.
	if _, err := s.ApplyOutcomes(ctx, []CheckOutcome{{TelegramUserID: 1, OrderID: "102", NextCheckAt: t0, SMS: "code 1"}}, t0); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueRules(ctx, t0.Add(10*time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].Watch.OrderID != "100" || due[1].Watch.OrderID != "103" ||
		due[0].Rule.Minutes != 5 || due[0].Account.APIKey == "" {
		t.Fatalf("due = %+v", due)
	}
	if due, _ := s.DueRules(ctx, t0.Add(3*time.Minute+59*time.Second), 10); len(due) != 1 {
		t.Errorf("%d due before their time, want only 100", len(due))
	}

	// The rule and the times survive a restart; a retry rule keeps the
	// kept number kept; off clears every time.
	s.Close()
	s = openAt(t, path, testKey(1))
	if r, _ := s.UserRule(ctx, 1); r != (Rule{Kind: RuleRefund, Minutes: 5}) {
		t.Errorf("rule after restart %+v", r)
	}
	if err := s.SetRule(ctx, 1, Rule{Kind: RuleRetry, Minutes: 3, MaxNumbers: 3, MaxSpend: 100}, t0); err != nil {
		t.Fatal(err)
	}
	if got := ruleAt("100"); !got.Equal(ordered.Add(3 * time.Minute)) {
		t.Errorf("100 acts at %v after the new rule", got)
	}
	if !ruleAt("101").IsZero() {
		t.Error("the kept number is timed again")
	}
	if err := s.SetRule(ctx, 1, Rule{Kind: RuleOff}, t0); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueRules(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("%d due with the rule off", len(due))
	}
	if err := s.SetRule(ctx, 1, Rule{Kind: RuleRefund, Minutes: 1}, t0); !errors.Is(err, ErrBadRule) {
		t.Errorf("a bad rule: %v", err)
	}
	if r, _ := s.UserRule(ctx, 1); r.Kind != RuleOff {
		t.Errorf("a bad rule changed the stored one: %+v", r)
	}
}

// TestChain: a number starts one chain at most; its purchases are its
// steps, found by their keys; stopping it keeps its numbers; a new rule
// and /logout stop it (and /logout "Keep trying" too).
func TestChain(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	if err := s.SetRule(ctx, 1, Rule{Kind: RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 100}, t0); err != nil {
		t.Fatal(err)
	}
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "555", CreatedAt: t0})
	c, err := s.StartChain(ctx, Chain{TelegramUserID: 1, FirstOrder: "555", FirstPrice: 16, Minutes: 5, MaxNumbers: 3, MaxSpend: 100}, t0)
	if err != nil || c.ID == 0 || c.State != ChainRunning {
		t.Fatalf("StartChain = %+v, %v", c, err)
	}
	again, err := s.StartChain(ctx, Chain{TelegramUserID: 1, FirstOrder: "555", FirstPrice: 99, Minutes: 7, MaxNumbers: 9, MaxSpend: 999}, t0)
	if err != nil || again != c {
		t.Fatalf("a second chain for one number: %+v, %v", again, err)
	}
	// Its purchase of number 2, keyed by chain and step, offered once.
	buy := buyAction(1, ChainKey(c.ID, 2))
	buy.ReplaceOrder = "555"
	first, err := s.OfferKeyedAction(ctx, buy, t0)
	if err != nil {
		t.Fatal(err)
	}
	if second, err := s.OfferKeyedAction(ctx, buy, t0.Add(time.Second)); err != nil || second.ID != first.ID {
		t.Fatalf("offered twice: %+v, %v", second, err)
	}
	a, begun, err := s.BeginAction(ctx, first.ID, t0)
	if err != nil || !begun {
		t.Fatal(err)
	}
	_ = s.MarkActionSent(ctx, a.ID, t0)
	if err := s.SettleAction(ctx, a, Settlement{OrderID: "600", Price: 17, Watch: &Watch{TelegramUserID: 1, OrderID: "600", ChatID: 1}}, t0); err != nil {
		t.Fatal(err)
	}
	got, n, err := s.ChainOf(ctx, 1, "600")
	if err != nil || got.ID != c.ID || n != 2 {
		t.Fatalf("ChainOf(600) = %+v, %d, %v", got, n, err)
	}
	if _, n, _ := s.ChainOf(ctx, 1, "555"); n != 1 {
		t.Errorf("the first number is number %d", n)
	}
	if _, _, err := s.ChainOf(ctx, 1, "777"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ChainOf(a number in none) = %v", err)
	}
	steps, err := s.ChainSteps(ctx, c)
	if err != nil || len(steps) != 1 || steps[0].OrderID != "600" || steps[0].Price != 17 {
		t.Fatalf("steps = %+v, %v", steps, err)
	}
	if yes, _ := s.IsReplaced(ctx, 1, "555"); !yes {
		t.Error("555 is not known as replaced")
	}
	// Stop: nothing more for its numbers.
	if ok, err := s.StopChainOf(ctx, 1, "600", t0); !ok || err != nil {
		t.Fatalf("StopChainOf = %v, %v", ok, err)
	}
	if ok, _ := s.StopChainOf(ctx, 1, "600", t0); ok {
		t.Error("stopped twice")
	}
	for _, order := range []string{"555", "600"} {
		if w, _ := s.Watch(ctx, 1, order); !w.Kept || !w.RuleAt.IsZero() {
			t.Errorf("%s after Stop: %+v", order, w)
		}
	}

	// A chain that buys no more is still stopped by Stop.
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "650", CreatedAt: t0})
	c4, _ := s.StartChain(ctx, Chain{TelegramUserID: 1, FirstOrder: "650", FirstPrice: 16, Minutes: 5, MaxNumbers: 3, MaxSpend: 100}, t0)
	if err := s.EndChainBuying(ctx, c4.ID, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Chain(ctx, c4.ID); got.State != ChainEnding {
		t.Errorf("chain after EndChainBuying: %s", got.State)
	}
	if ok, _ := s.StopChainOf(ctx, 1, "650", t0); !ok {
		t.Error("an ending chain was not stopped")
	}

	// A new rule and /logout stop running chains.
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "700", CreatedAt: t0})
	c2, _ := s.StartChain(ctx, Chain{TelegramUserID: 1, FirstOrder: "700", FirstPrice: 16, Minutes: 5, MaxNumbers: 3, MaxSpend: 100}, t0)
	if err := s.SetRule(ctx, 1, Rule{Kind: RuleRefund, Minutes: 5}, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Chain(ctx, c2.ID); got.State != ChainStopped {
		t.Errorf("chain after a new rule: %s", got.State)
	}
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "800", CreatedAt: t0})
	c3, _ := s.StartChain(ctx, Chain{TelegramUserID: 1, FirstOrder: "800", FirstPrice: 16, Minutes: 5, MaxNumbers: 3, MaxSpend: 100}, t0)
	try, started, err := s.StartStockTry(ctx, StockTry{TelegramUserID: 1, SourceAction: 99, ChatID: 1, MessageID: 5, NextAt: t0, Until: t0.Add(time.Minute)}, t0)
	if err != nil || !started {
		t.Fatal(err)
	}
	if again, started, _ := s.StartStockTry(ctx, StockTry{TelegramUserID: 1, SourceAction: 99, ChatID: 1, MessageID: 6, NextAt: t0, Until: t0}, t0); started || again.ID != try.ID || again.MessageID != 5 {
		t.Errorf("a second keep trying for one purchase: %+v, %v", again, started)
	}
	if due, err := s.DueStockTries(ctx, t0, 10); err != nil || len(due) != 1 || due[0].Account.APIKey == "" {
		t.Errorf("DueStockTries = %+v, %v", due, err)
	}
	if _, err := s.LogoutAccount(ctx, 1, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Chain(ctx, c3.ID); got.State != ChainStopped {
		t.Errorf("chain after /logout: %s", got.State)
	}
	if got, _ := s.StockTryByID(ctx, try.ID); got.State != StockStopped {
		t.Errorf("keep trying after /logout: %s", got.State)
	}
}

// TestFailedRefunds: refusals are told apart from requests never sent.
func TestFailedRefunds(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	for i, f := range []Failure{FailRefused, FailNotSent, FailRateLimited, FailRefused} {
		a, err := s.OfferKeyedAction(ctx, Action{TelegramUserID: 1, Kind: ActionRefund, Key: "rule-555-" + string(rune('1'+i)), OrderID: "555"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.BeginAction(ctx, a.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.FailAction(ctx, a.ID, f, "no", 0, t0); err != nil {
			t.Fatal(err)
		}
	}
	failed, refusals, err := s.FailedRefunds(ctx, 1, "555")
	if err != nil || failed != 4 || refusals != 2 {
		t.Errorf("FailedRefunds = %d, %d, %v; want 4, 2", failed, refusals, err)
	}
}

func TestParseChainKey(t *testing.T) {
	if id, n, ok := ParseChainKey(ChainKey(42, 3)); !ok || id != 42 || n != 3 {
		t.Errorf("round trip: %d %d %v", id, n, ok)
	}
	for _, k := range []string{"", "chain-", "chain-1", "chain-1-1", "chain-x-2", "chain-1-x", "rule-1-2", "chain--1-2", "chain-0-2"} {
		if _, _, ok := ParseChainKey(k); ok {
			t.Errorf("%q parsed", k)
		}
	}
}

// TestLoginAfterWaitingLogoutRetimesTheRule: a /logout waiting for an
// unsettled action takes the rule off the numbers; /login, calling it off,
// puts it back.
func TestLoginAfterWaitingLogoutRetimesTheRule(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	if err := s.SetRule(ctx, 1, Rule{Kind: RuleRefund, Minutes: 5}, t0); err != nil {
		t.Fatal(err)
	}
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", CreatedAt: t0})
	begin(t, s, buyAction(1, "pending-buy")) // unsettled: /logout waits
	if out, err := s.LogoutAccount(ctx, 1, t0); err != nil || out.Unsettled == 0 {
		t.Fatalf("LogoutAccount = %+v, %v", out, err)
	}
	if w, _ := s.Watch(ctx, 1, "100"); !w.RuleAt.IsZero() {
		t.Fatalf("rule still on during the logout: %v", w.RuleAt)
	}
	addAccount(t, s, 1)
	if w, _ := s.Watch(ctx, 1, "100"); !w.RuleAt.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("rule after /login acts at %v, want %v", w.RuleAt, t0.Add(5*time.Minute))
	}
}
