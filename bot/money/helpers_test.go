package money

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// t0 is the tests' "now" when an environment starts.
var t0 = time.Date(2025, 5, 17, 5, 47, 13, 0, time.UTC)

// The calls the fake SMSOnline answers, by API method.
const (
	callGetOrder  = "GetOrder"
	callInventory = "Inventory"
	callBalance   = "Balance"
	callRefund    = "Refund"
	callBuy       = "Buy"
)

// reply is one scripted answer of the fake SMSOnline; the field of the call
// answered is used, or err.
type reply struct {
	order    smsapi.Order    // GetOrder
	orders   []smsapi.Order  // Inventory
	balance  smsapi.Balance  // Balance
	purchase smsapi.Purchase // Buy
	err      error
}

// fakeAPI is SMSOnline as a script: each call takes the next answer
// scripted for its method, the last one again and again. It records every
// call, and runs during (when set) while a call is in flight, before it
// answers: the moment a crash or a full disk can strike.
type fakeAPI struct {
	t testing.TB

	mu      sync.Mutex
	script  map[string][]reply
	calls   []string
	creds   []smsapi.Credentials
	refunds []string            // the order ids refunded
	buys    []smsapi.BuyRequest // the purchases asked for
	during  func(call string)
}

func newFakeAPI(t testing.TB) *fakeAPI {
	return &fakeAPI{t: t, script: make(map[string][]reply)}
}

// answer sets the answers to call, in turn; the last is repeated.
func (f *fakeAPI) answer(call string, rs ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[call] = rs
}

// setDuring makes fn run while each call is in flight; nil for none.
func (f *fakeAPI) setDuring(fn func(call string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.during = fn
}

// count returns how many times call was made.
func (f *fakeAPI) count(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == call {
			n++
		}
	}
	return n
}

// callLog returns the calls made, in order.
func (f *fakeAPI) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeAPI) next(call string, cred smsapi.Credentials, record func()) reply {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.creds = append(f.creds, cred)
	if record != nil {
		record()
	}
	rs := f.script[call]
	var r reply
	if len(rs) == 0 {
		r.err = errors.New("fake SMSOnline: unscripted call")
		f.t.Errorf("unscripted call to %s", call)
	} else {
		r = rs[0]
		if len(rs) > 1 {
			f.script[call] = rs[1:]
		}
	}
	during := f.during
	f.mu.Unlock()
	if during != nil {
		during(call)
	}
	return r
}

func (f *fakeAPI) GetOrder(ctx context.Context, cred smsapi.Credentials, orderID string) (smsapi.Order, error) {
	r := f.next(callGetOrder, cred, nil)
	return r.order, r.err
}

func (f *fakeAPI) Inventory(ctx context.Context, cred smsapi.Credentials, expiredLimit int) ([]smsapi.Order, error) {
	r := f.next(callInventory, cred, nil)
	return r.orders, r.err
}

func (f *fakeAPI) Balance(ctx context.Context, cred smsapi.Credentials) (smsapi.Balance, error) {
	r := f.next(callBalance, cred, nil)
	return r.balance, r.err
}

func (f *fakeAPI) Refund(ctx context.Context, cred smsapi.Credentials, orderID string) error {
	return f.next(callRefund, cred, func() { f.refunds = append(f.refunds, orderID) }).err
}

func (f *fakeAPI) Buy(ctx context.Context, cred smsapi.Credentials, r smsapi.BuyRequest) (smsapi.Purchase, error) {
	rep := f.next(callBuy, cred, func() { f.buys = append(f.buys, r) })
	return rep.purchase, rep.err
}

// SMSOnline's answers, as *smsapi.Client returns them.

// refusal is a definite answer of kind: the request arrived and did nothing.
func refusal(op string, kind error, status int) error {
	return &smsapi.Error{Op: op, Kind: kind, StatusCode: status, Message: "refused", Sent: true}
}

// priceChanged is a 222 naming the new price; cents 0 names none.
func priceChanged(cents int64) error {
	e := &smsapi.Error{Op: "buy", Kind: smsapi.ErrPriceChanged, StatusCode: 222, Sent: true}
	if cents > 0 {
		e.Price = smsapi.Cents(cents)
	}
	return e
}

// lost is a request that left and whose answer did not say what happened.
func lost(op string, kind error) error {
	return &smsapi.Error{Op: op, Kind: kind, Sent: true, Err: errors.New("connection reset by peer")}
}

// readFailed is a read that failed: it tells nothing.
var readFailed = &smsapi.Error{Op: "read", Kind: smsapi.ErrTransient, StatusCode: 502, Sent: true}

// notFound is SMSOnline's 404 for an order it does not know.
var notFound = &smsapi.Error{Op: "get order", Kind: smsapi.ErrOrderNotFound, StatusCode: 404, Sent: true}

// clock is a time the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// user is the Telegram user of the tests; acct is their linked account.
const user = 7001

var acct = store.Account{TelegramUserID: user, SMSUserID: "700100", APIKey: "key-of-7001"}

// The orders of the tests: source is bought again, refundable is refunded.
var (
	source = smsapi.Order{ID: "100", ServiceCode: "ds", CountryCode: "12", Carrier: "tmobile",
		Service: "Discord", Country: "United States", PhoneNumber: "15550000100",
		Price: smsapi.Cents(16), Status: "completed", SMS: "123456"}
	refundable = smsapi.Order{ID: "200", ServiceCode: "tg", CountryCode: "12", Carrier: "any",
		Service: "Telegram", Country: "United States", PhoneNumber: "15550000200",
		Price: smsapi.Cents(30), Status: "pending"}
)

// inventoryBefore is what the inventory shows before a purchase: the
// source, another order of the same offer and one of another service.
var inventoryBefore = []smsapi.Order{
	source,
	{ID: "150", ServiceCode: "ds", CountryCode: "12", Carrier: "tmobile", Status: "completed"},
	{ID: "160", ServiceCode: "tg", CountryCode: "12", Carrier: "tmobile", Status: "pending"},
}

// knownBefore is the ids of inventoryBefore a purchase of source records.
var knownBefore = []string{"100", "150"}

// bought is the number a purchase of source gets.
var bought = smsapi.Purchase{OrderID: "151", PhoneNumber: "15550000151", Price: smsapi.Cents(18),
	ExpiresAt: t0.Add(20 * time.Minute)}

// boughtOrder is bought as the inventory shows it, filled on another carrier.
var boughtOrder = smsapi.Order{ID: "151", ServiceCode: "ds", CountryCode: "12", Carrier: "att",
	Service: "Discord", Country: "United States", PhoneNumber: "15550000151",
	Price: smsapi.Cents(18), Status: "pending", ExpiresAt: t0.Add(20 * time.Minute)}

// env is a service on a temp-file store with one linked account, a fake
// SMSOnline and a clock of its own.
type env struct {
	t     *testing.T
	ctx   context.Context
	path  string
	st    *store.Store
	api   *fakeAPI
	clock *clock
	cfg   Config
	svc   *Service
}

// testConfig reads SMSOnline three times before an unknown outcome fails.
func testConfig(c *clock) Config {
	return Config{SettleReads: 3, SettleEvery: 10 * time.Second, LogoutWait: 10 * time.Minute, Now: c.Now}
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	key := make([]byte, store.KeySize)
	for i := range key {
		key[i] = byte(i + 1)
	}
	st, err := store.Open(ctx, path, key)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.SaveAccount(ctx, acct, t0); err != nil {
		t.Fatalf("save account: %v", err)
	}
	e := &env{t: t, ctx: ctx, path: path, st: st, api: newFakeAPI(t), clock: &clock{now: t0}}
	e.cfg = testConfig(e.clock)
	e.svc = New(e.cfg, st, e.api)
	return e
}

// restart is a new run of the bot on the same database: what the last run
// held in memory is gone.
func (e *env) restart() {
	e.svc = New(e.cfg, e.st, e.api)
	if err := e.svc.Recover(e.ctx); err != nil {
		e.t.Fatalf("Recover: %v", err)
	}
}

// offer records the confirmation of a refund of refundable or a purchase of
// source again (for at most 20 cents).
func (e *env) offer(kind store.ActionKind) store.Action {
	e.t.Helper()
	a := RefundOf(user, refundable)
	if kind == store.ActionBuy {
		a = BuyOf(user, source, smsapi.Cents(20))
	}
	got, err := e.svc.Offer(e.ctx, a)
	if err != nil {
		e.t.Fatalf("Offer: %v", err)
	}
	return got
}

// press is a tap on the confirmation of a.
func (e *env) press(a store.Action) Outcome {
	e.t.Helper()
	var out Outcome
	var err error
	if a.Kind == store.ActionRefund {
		out, err = e.svc.Refund(e.ctx, acct, a)
	} else {
		out, err = e.svc.Buy(e.ctx, acct, a)
	}
	if err != nil {
		e.t.Fatalf("press %s: %v", a.Kind, err)
	}
	return out
}

// action is the stored row of action id.
func (e *env) action(id int64) store.Action {
	e.t.Helper()
	a, err := e.st.Action(e.ctx, id)
	if err != nil {
		e.t.Fatalf("load action %d: %v", id, err)
	}
	return a
}

// round is one round of the reconciler, SettleEvery after the last.
func (e *env) round() {
	e.clock.Advance(e.cfg.SettleEvery)
	e.svc.round(e.ctx)
}

// settle runs rounds until action id is settled, at most max of them, and
// returns its row.
func (e *env) settle(id int64, max int) store.Action {
	e.t.Helper()
	for range max {
		e.round()
		if a := e.action(id); !a.State.Unsettled() {
			return a
		}
	}
	return e.action(id)
}

// outbox is the messages waiting to go, in the order they go.
func (e *env) outbox() []store.Message {
	e.t.Helper()
	ms, err := e.st.DueMessages(e.ctx, e.clock.Now().Add(24*time.Hour), 100)
	if err != nil {
		e.t.Fatalf("DueMessages: %v", err)
	}
	return ms
}

// checkOutbox compares the outbox with want: to whom, about what, the text
// and the buttons.
func (e *env) checkOutbox(want ...*store.Message) {
	e.t.Helper()
	got := e.outbox()
	if len(got) != len(want) {
		var texts []string
		for _, m := range got {
			texts = append(texts, m.Text)
		}
		e.t.Fatalf("outbox holds %d messages, want %d: %q", len(got), len(want), texts)
	}
	for i, w := range want {
		g := got[i]
		if g.ChatID != w.ChatID || g.TelegramUserID != w.TelegramUserID || g.OrderID != w.OrderID ||
			g.Priority != w.Priority || g.Text != w.Text || g.Markup != w.Markup {
			e.t.Errorf("message %d:\n got %+v\nwant %+v", i, g, *w)
		}
	}
}

// hasWatch reports whether the user's order is watched.
func (e *env) hasWatch(orderID string) bool {
	e.t.Helper()
	_, err := e.st.Watch(e.ctx, user, orderID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.t.Fatalf("load watch: %v", err)
	}
	return err == nil
}

// unwritten is Service.Unwritten's count.
func (e *env) unwritten() int {
	n, _ := e.svc.Unwritten()
	return n
}

// failOutcomeWrites makes every write of an action's outcome fail, as a
// full disk would, until the returned function is called: a trigger added
// from another connection, so the store's own code runs unchanged.
func failOutcomeWrites(t testing.TB, path string) (restore func()) {
	t.Helper()
	db := rawDB(t, path)
	if _, err := db.Exec(`CREATE TRIGGER test_disk_full BEFORE UPDATE OF state ON money_actions
		WHEN NEW.state IN ('done', 'failed', 'unknown')
		BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatalf("add trigger: %v", err)
	}
	return func() {
		if _, err := db.Exec(`DROP TRIGGER test_disk_full`); err != nil {
			t.Errorf("drop trigger: %v", err)
		}
	}
}

// rawDB opens the database file without the store.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
