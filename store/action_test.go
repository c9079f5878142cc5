package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func buyAction(user int64, key string) Action {
	return Action{TelegramUserID: user, Kind: ActionBuy, Key: key, SourceOrderID: "100",
		Service: "ds", Country: "12", Carrier: "any", ServiceName: "Discord", CountryName: "United States",
		MaxPrice: 20, ChatID: user}
}

func refundAction(user int64, key, order string) Action {
	return Action{TelegramUserID: user, Kind: ActionRefund, Key: key, OrderID: order, Price: 16, ChatID: user}
}

// offer stores a as a confirmation shown to its user.
func offer(t *testing.T, s *Store, a Action) Action {
	t.Helper()
	got, err := s.OfferAction(context.Background(), a, t0)
	if err != nil || got.State != ActionOffered || got.ID == 0 {
		t.Fatalf("OfferAction = %+v, %v", got, err)
	}
	return got
}

// begin offers a and presses it.
func begin(t *testing.T, s *Store, a Action) Action {
	t.Helper()
	got, begun, err := s.BeginAction(context.Background(), offer(t, s, a).ID, t0)
	if err != nil || !begun || got.State != ActionIntent {
		t.Fatalf("BeginAction = %+v, %v, %v", got, begun, err)
	}
	return got
}

// TestBeginActionOnce is the heart of at-most-once: the second press of the
// same confirmation gets the first one's row back and may not send.
func TestBeginActionOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	offered := offer(t, s, buyAction(1, "n1"))
	if got, err := s.ActionByKey(ctx, ActionBuy, "n1"); err != nil || got.ID != offered.ID || got.MaxPrice != 20 || got.TelegramUserID != 1 {
		t.Fatalf("ActionByKey = %+v, %v", got, err)
	}
	if _, err := s.ActionByKey(ctx, ActionRefund, "n1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a buy nonce found a refund: %v", err)
	}
	first, begun, err := s.BeginAction(ctx, offered.ID, t0)
	if err != nil || !begun || first.State != ActionIntent || first.ID != offered.ID {
		t.Fatalf("BeginAction = %+v, %v, %v", first, begun, err)
	}
	if err := s.MarkActionSent(ctx, first.ID, t0); err != nil {
		t.Fatal(err)
	}
	again, begun, err := s.BeginAction(ctx, offered.ID, t0.Add(time.Second))
	if err != nil || begun || again.ID != first.ID || again.State != ActionSent {
		t.Fatalf("second BeginAction = %+v, %v, %v; want the sent row, not begun", again, begun, err)
	}
	// A second MarkActionSent (a racing press) is refused.
	if err := s.MarkActionSent(ctx, first.ID, t0); !errors.Is(err, ErrActionState) {
		t.Errorf("second MarkActionSent = %v, want ErrActionState", err)
	}
	if _, _, err := s.BeginAction(ctx, 999, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("BeginAction of no action = %v, want ErrNotFound", err)
	}
}

// TestFailedActionStaysFailed: one confirmation is one request, ever. A
// refusal is kept with its class and SMSOnline's new price, and pressing
// the confirmation again finds it: trying again is a new confirmation.
func TestFailedActionStaysFailed(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	a := begin(t, s, buyAction(1, "n1"))
	if err := s.MarkActionSent(ctx, a.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.FailAction(ctx, a.ID, FailPriceChanged, "222", 30, t0); err != nil {
		t.Fatal(err)
	}
	got, begun, err := s.BeginAction(ctx, a.ID, t0.Add(time.Minute))
	if err != nil || begun || got.State != ActionFailed || got.Failure != FailPriceChanged || got.NewPrice != 30 {
		t.Fatalf("BeginAction after failure = %+v, %v, %v; want the failed row, not begun", got, begun, err)
	}
	if err := s.MarkActionSent(ctx, a.ID, t0); !errors.Is(err, ErrActionState) {
		t.Errorf("MarkActionSent of a failed action = %v", err)
	}
	// An unknown one is not begun either.
	b := begin(t, s, buyAction(1, "n2"))
	_ = s.MarkActionSent(ctx, b.ID, t0)
	if err := s.MarkActionUnknown(ctx, b.ID, t0, t0); err != nil {
		t.Fatal(err)
	}
	if c, begun, err := s.BeginAction(ctx, b.ID, t0); err != nil || begun || c.State != ActionUnknown {
		t.Fatalf("BeginAction while unknown = %+v, %v, %v", c, begun, err)
	}
}

// TestOneRefundPerOrder: two confirmations of the same order's refund (the
// ask pressed twice) send one refund; once that one failed, the other may.
func TestOneRefundPerOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	first := offer(t, s, refundAction(1, "k1", "200"))
	second := offer(t, s, refundAction(1, "k2", "200"))
	other := offer(t, s, refundAction(1, "k3", "201"))
	a, begun, err := s.BeginAction(ctx, first.ID, t0)
	if err != nil || !begun {
		t.Fatalf("first = %+v, %v, %v", a, begun, err)
	}
	if got, begun, err := s.BeginAction(ctx, second.ID, t0); err != nil || begun || got.ID != first.ID {
		t.Fatalf("second confirmation = %+v, %v, %v; want the first refund, not begun", got, begun, err)
	}
	if _, begun, err := s.BeginAction(ctx, other.ID, t0); err != nil || !begun {
		t.Fatalf("another order's refund = %v, %v", begun, err)
	}
	if err := s.FailAction(ctx, a.ID, FailRefused, "400", 0, t0); err != nil {
		t.Fatal(err)
	}
	if _, begun, err := s.BeginAction(ctx, second.ID, t0); err != nil || !begun {
		t.Fatalf("after the first failed: %v, %v", begun, err)
	}
}

// TestRecoverActions: after a crash an intent was never sent (failed, not
// sent), a sent one may have been carried out (unknown, due at once), and a
// confirmation nobody pressed is still one.
func TestRecoverActions(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	addAccount(t, s, 1)
	intent := begin(t, s, buyAction(1, "a"))
	sent := begin(t, s, buyAction(1, "b"))
	if err := s.MarkActionSent(ctx, sent.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKnownOrders(ctx, sent.ID, []string{"7", "8"}, t0); !errors.Is(err, ErrActionState) {
		t.Errorf("known orders recorded after sending: %v", err)
	}
	offered := offer(t, s, buyAction(1, "c"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, testKey(1))
	failed, unknown, err := s.RecoverActions(ctx, t0.Add(time.Minute))
	if err != nil || failed != 1 || unknown != 1 {
		t.Fatalf("RecoverActions = %d, %d, %v; want 1, 1", failed, unknown, err)
	}
	if a, _ := s.Action(ctx, intent.ID); a.State != ActionFailed || a.Failure != FailNotSent || a.Detail != RestartedDetail {
		t.Errorf("intent after restart = %+v", a)
	}
	if a, _ := s.Action(ctx, offered.ID); a.State != ActionOffered {
		t.Errorf("confirmation after restart = %+v", a)
	}
	due, err := s.DueActions(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].ID != sent.ID || due[0].Account.APIKey == "" || due[0].KeyErr != nil {
		t.Fatalf("DueActions = %+v, %v; want the sent one with its key", due, err)
	}
	if due[0].MaxPrice != 20 || due[0].Service != "ds" || !due[0].CreatedAt.Equal(t0) || due[0].HasKnown {
		t.Errorf("due action lost its request: %+v", due[0].Action)
	}
}

// TestKnownOrders: the orders seen before a purchase's request come back
// with it; none seen is not the same as never read.
func TestKnownOrders(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	for _, known := range [][]string{{"30000001", "30000002"}, {}} {
		a := begin(t, s, buyAction(1, fmt.Sprint("k", len(known))))
		if err := s.SetKnownOrders(ctx, a.ID, known, t0); err != nil {
			t.Fatal(err)
		}
		got, err := s.Action(ctx, a.ID)
		if err != nil || !got.HasKnown || !slices.Equal(got.Known, known) {
			t.Errorf("known orders = %v (%v), %v; want %v", got.Known, got.HasKnown, err, known)
		}
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
	a := begin(t, s, buyAction(1, "n1"))
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
	b := begin(t, s, buyAction(1, "n2"))
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
	a := begin(t, s, refundAction(1, "k1", "200"))
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

// undoVersion9 takes a database back to before version 9, for tests that
// rewind further.
const undoVersion9 = `DROP TABLE push_events; DROP TABLE api_calls; DROP TABLE announcements;
`

// undoVersion10 takes a database back to before version 10, for tests
// that rewind further.
const undoVersion10 = `DROP TABLE telegram_updates;
`

// undoVersion8 takes a database back to before version 8, for tests that
// rewind further.
const undoVersion8 = `DROP TABLE favourites; DROP TABLE ceilings;
`

// undoVersion7 takes a database back to before version 7 (from version 7),
// for tests that rewind further.
const undoVersion7 = `DROP TABLE rules; DROP TABLE chains; DROP TABLE stock_tries; DROP INDEX watches_rule;
	ALTER TABLE watches DROP COLUMN ordered_at; ALTER TABLE watches DROP COLUMN rule_at;
	ALTER TABLE watches DROP COLUMN rule_kept;
`

// TestMigrationKeepsMoneyActions: version 5 rebuilds money_actions without
// the cascade; the rows of version 4 survive it, a failed one as refused,
// and no longer go with the account.
func TestMigrationKeepsMoneyActions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	s := openAt(t, path, testKey(1))
	addAccount(t, s, 1)
	s.Close()
	db := rawDB(t, path)
	if _, err := db.Exec(undoVersion10 + undoVersion9 + undoVersion8 + undoVersion7 + `DROP TABLE cards; DROP TABLE sms_requests; DROP INDEX accounts_logout; ALTER TABLE accounts DROP COLUMN logout_at;
		DROP TABLE money_actions;` + migrations[2][strings.Index(migrations[2], "CREATE TABLE money_actions"):strings.Index(migrations[2], "-- The balance of a user")] +
		`UPDATE schema_version SET version = 4;
		INSERT INTO money_actions (telegram_user_id, kind, key, state, order_id, price, created_at, updated_at)
		VALUES (1, 'refund', '200', 'done', '200', 16, 1, 1), (1, 'buy', 'AAAAAAAA', 'failed', '', 0, 1, 1),
			(1, 'buy', 'BBBBBBBB', 'unknown', '', 0, 1, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = openAt(t, path, testKey(1))
	if v := schemaVersion(t, path); v != latestSchemaVersion {
		t.Fatalf("schema version = %d, want %d", v, latestSchemaVersion)
	}
	refund, err := s.ActionByKey(ctx, ActionRefund, "200")
	if err != nil || refund.State != ActionDone || refund.Price != 16 {
		t.Fatalf("refund after migration = %+v, %v", refund, err)
	}
	if failed, _ := s.ActionByKey(ctx, ActionBuy, "AAAAAAAA"); failed.State != ActionFailed || failed.Failure != FailRefused {
		t.Errorf("failed purchase after migration = %+v", failed)
	}
	if unknown, _ := s.ActionByKey(ctx, ActionBuy, "BBBBBBBB"); unknown.State != ActionUnknown || unknown.HasKnown {
		t.Errorf("unknown purchase after migration = %+v", unknown)
	}
	if _, err := s.LogoutAccount(ctx, 1, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Action(ctx, refund.ID); err != nil {
		t.Errorf("money row went with the account: %v", err)
	}
}
