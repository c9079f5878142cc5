package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func buyAction(user int64, key string) Action {
	return Action{TelegramUserID: user, Kind: ActionBuy, Key: key, SourceOrderID: "100",
		Service: "ds", Country: "12", Carrier: "any", ServiceName: "Discord", CountryName: "United States",
		MaxPrice: 20, ChatID: user}
}

// TestBeginActionOnce is the heart of at-most-once: the second tap on the
// same confirmation gets the first one's row back and may not send.
func TestBeginActionOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	first, begun, err := s.BeginAction(ctx, buyAction(1, "n1"), t0)
	if err != nil || !begun || first.State != ActionIntent || first.ID == 0 {
		t.Fatalf("BeginAction = %+v, %v, %v", first, begun, err)
	}
	if err := s.MarkActionSent(ctx, first.ID, t0); err != nil {
		t.Fatal(err)
	}
	again, begun, err := s.BeginAction(ctx, buyAction(1, "n1"), t0.Add(time.Second))
	if err != nil || begun || again.ID != first.ID || again.State != ActionSent {
		t.Fatalf("second BeginAction = %+v, %v, %v; want the sent row, not begun", again, begun, err)
	}
	// Another user's action with the same key is theirs.
	addAccount(t, s, 2)
	if _, begun, err := s.BeginAction(ctx, buyAction(2, "n1"), t0); err != nil || !begun {
		t.Fatalf("other user's BeginAction = %v, %v", begun, err)
	}
	// A second MarkActionSent (a racing tap) is refused.
	if err := s.MarkActionSent(ctx, first.ID, t0); !errors.Is(err, ErrActionState) {
		t.Errorf("second MarkActionSent = %v, want ErrActionState", err)
	}
}

// TestFailedActionMayBeginAgain: a definite refusal did nothing, so the same
// action can be tried again; done and unknown ones cannot.
func TestFailedActionMayBeginAgain(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	refund := Action{TelegramUserID: 1, Kind: ActionRefund, Key: "200", OrderID: "200", Price: 16}
	a, _, err := s.BeginAction(ctx, refund, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkActionSent(ctx, a.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.FailAction(ctx, a.ID, "rate limited", t0); err != nil {
		t.Fatal(err)
	}
	b, begun, err := s.BeginAction(ctx, refund, t0.Add(time.Minute))
	if err != nil || !begun || b.ID != a.ID || b.State != ActionIntent {
		t.Fatalf("BeginAction after failure = %+v, %v, %v", b, begun, err)
	}
	if err := s.MarkActionSent(ctx, b.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkActionUnknown(ctx, b.ID, t0, t0); err != nil {
		t.Fatal(err)
	}
	if c, begun, err := s.BeginAction(ctx, refund, t0); err != nil || begun || c.State != ActionUnknown {
		t.Fatalf("BeginAction while unknown = %+v, %v, %v", c, begun, err)
	}
}

// TestRecoverActions: after a crash an intent was never sent (failed), a
// sent one may have been carried out (unknown, due at once).
func TestRecoverActions(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	addAccount(t, s, 1)
	intent, _, _ := s.BeginAction(ctx, buyAction(1, "a"), t0)
	sent, _, _ := s.BeginAction(ctx, buyAction(1, "b"), t0)
	if err := s.MarkActionSent(ctx, sent.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, testKey(1))
	failed, unknown, err := s.RecoverActions(ctx, t0.Add(time.Minute))
	if err != nil || failed != 1 || unknown != 1 {
		t.Fatalf("RecoverActions = %d, %d, %v; want 1, 1", failed, unknown, err)
	}
	if a, _ := s.Action(ctx, intent.ID); a.State != ActionFailed || a.Detail != RestartedDetail {
		t.Errorf("intent after restart = %+v", a)
	}
	due, err := s.DueActions(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].ID != sent.ID || due[0].Account.APIKey == "" {
		t.Fatalf("DueActions = %+v, %v; want the sent one with its key", due, err)
	}
	if due[0].MaxPrice != 20 || due[0].Service != "ds" || !due[0].CreatedAt.Equal(t0) {
		t.Errorf("due action lost its request: %+v", due[0].Action)
	}
}

// TestSettleBuyWatchesAndLinksTheOrder: a settled purchase starts the
// bought order's watch, lowers the balance baseline, enqueues its notice,
// all at once; an order settles one purchase only, and a settled action
// cannot be settled again.
func TestSettleBuyWatchesAndLinksTheOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	if err := s.WatchBalance(ctx, BalanceWatch{TelegramUserID: 1, ChatID: 1, Baseline: 500, Amount: 500,
		Until: t0.Add(time.Hour), NextCheckAt: t0}, t0); err != nil {
		t.Fatal(err)
	}
	a, _, _ := s.BeginAction(ctx, buyAction(1, "n1"), t0)
	_ = s.MarkActionSent(ctx, a.ID, t0)
	w := Watch{TelegramUserID: 1, OrderID: "300", ChatID: 1, Service: "Discord"}
	notice := &Message{ChatID: 1, TelegramUserID: 1, Priority: PriorityNotice, Text: "bought"}
	if err := s.SettleAction(ctx, a, Settlement{OrderID: "300", Price: 16, Watch: &w, Notice: notice}, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Action(ctx, a.ID); got.State != ActionDone || got.OrderID != "300" || got.Price != 16 {
		t.Errorf("settled action = %+v", got)
	}
	if _, err := s.Watch(ctx, 1, "300"); err != nil {
		t.Errorf("bought order not watched: %v", err)
	}
	if bw, _ := s.BalanceWatchOf(ctx, 1); bw.Baseline != 484 {
		t.Errorf("baseline = %d, want 500-16", bw.Baseline)
	}
	if texts := dueTexts(t, s, t0); len(texts) != 1 || texts[0] != "bought" {
		t.Errorf("outbox = %q", texts)
	}
	if bought, _ := s.BoughtOrders(ctx, 1); !bought["300"] {
		t.Errorf("BoughtOrders = %v", bought)
	}
	if err := s.SettleAction(ctx, a, Settlement{OrderID: "301"}, t0); !errors.Is(err, ErrActionState) {
		t.Errorf("second settle = %v, want ErrActionState", err)
	}
	b, _, _ := s.BeginAction(ctx, buyAction(1, "n2"), t0)
	_ = s.MarkActionSent(ctx, b.ID, t0)
	if err := s.SettleAction(ctx, b, Settlement{OrderID: "300"}, t0); err == nil {
		t.Error("an order settled two purchases")
	}
	if texts := dueTexts(t, s, t0); len(texts) != 1 {
		t.Errorf("a failed settlement enqueued its notice: %q", texts)
	}
}

// TestSettleRefundEndsTheWatch: a refunded order is no longer watched and
// the refund is not taken for a top-up.
func TestSettleRefundEndsTheWatch(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "200", ChatID: 1})
	_ = s.WatchBalance(ctx, BalanceWatch{TelegramUserID: 1, ChatID: 1, Baseline: 100, Until: t0.Add(time.Hour)}, t0)
	a, _, _ := s.BeginAction(ctx, Action{TelegramUserID: 1, Kind: ActionRefund, Key: "200", OrderID: "200"}, t0)
	_ = s.MarkActionSent(ctx, a.ID, t0)
	if err := s.SettleAction(ctx, a, Settlement{OrderID: "200", Price: 16}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Watch(ctx, 1, "200"); !errors.Is(err, ErrNotFound) {
		t.Errorf("refunded order still watched: %v", err)
	}
	if bw, _ := s.BalanceWatchOf(ctx, 1); bw.Baseline != 116 {
		t.Errorf("baseline = %d, want 100+16", bw.Baseline)
	}
}

// TestBalanceWatchLifecycle: a second link keeps the first baseline, the
// watch is due by its schedule, and it ends with its notice exactly once.
func TestBalanceWatchLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	first := BalanceWatch{TelegramUserID: 1, ChatID: 1, Baseline: 500, Amount: 500, Until: t0.Add(time.Hour), NextCheckAt: t0.Add(time.Minute)}
	if err := s.WatchBalance(ctx, first, t0); err != nil {
		t.Fatal(err)
	}
	second := first
	second.Baseline, second.Amount, second.Until = 900, 1000, t0.Add(2*time.Hour)
	if err := s.WatchBalance(ctx, second, t0); err != nil {
		t.Fatal(err)
	}
	bw, err := s.BalanceWatchOf(ctx, 1)
	if err != nil || bw.Baseline != 500 || bw.Amount != 1000 || !bw.Until.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("after second link = %+v, %v", bw, err)
	}
	if due, _ := s.DueBalanceWatches(ctx, t0, 10); len(due) != 0 {
		t.Errorf("due before its time: %+v", due)
	}
	due, err := s.DueBalanceWatches(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].Account.APIKey == "" {
		t.Fatalf("DueBalanceWatches = %+v, %v", due, err)
	}
	notice := &Message{ChatID: 1, TelegramUserID: 1, Priority: PriorityNotice, Text: "arrived"}
	for i, want := range []bool{true, false} {
		if ended, err := s.EndBalanceWatch(ctx, 1, notice, t0); err != nil || ended != want {
			t.Errorf("EndBalanceWatch #%d = %v, %v; want %v", i+1, ended, err, want)
		}
	}
	if texts := dueTexts(t, s, t0); len(texts) != 1 {
		t.Errorf("notices = %q, want one", texts)
	}
}

// TestLogoutDropsMoneyRows: the rows need the account's key; they go with it.
func TestLogoutDropsMoneyRows(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	a, _, _ := s.BeginAction(ctx, buyAction(1, "n1"), t0)
	_ = s.WatchBalance(ctx, BalanceWatch{TelegramUserID: 1, ChatID: 1, Until: t0.Add(time.Hour)}, t0)
	if _, err := s.DeleteAccount(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Action(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("action after logout: %v", err)
	}
	if _, err := s.BalanceWatchOf(ctx, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("balance watch after logout: %v", err)
	}
}

// TestFastUntilKeepsTheLater: asking for another SMS twice never shortens
// the fast pace.
func TestFastUntilKeepsTheLater(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "1", ChatID: 1, FastUntil: t0.Add(10 * time.Minute)})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "1", ChatID: 1, FastUntil: t0.Add(5 * time.Minute)})
	if w, _ := s.Watch(ctx, 1, "1"); !w.FastUntil.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("FastUntil = %v", w.FastUntil)
	}
}
