package money

import (
	"slices"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// TestSettleRefund: the reconciler reads a refund of unknown outcome until
// the order says what happened: refunded or cancelled is done, an SMS means
// it was not, a vanished or unchanged order after SettleReads answers fails
// it. Failed reads do not count. The user is told once.
func TestSettleRefund(t *testing.T) {
	order := func(status, sms string) reply {
		o := refundable
		o.Status, o.SMS = status, sms
		return reply{order: o}
	}
	waiting := order("pending", "")
	gone := reply{err: notFound}
	failing := reply{err: readFailed}
	balance := reply{balance: smsapi.Balance{Amount: smsapi.Cents(420)}}
	unconfirmed := func(bal smsapi.Money) func(store.Action, time.Time) *store.Message {
		return func(a store.Action, _ time.Time) *store.Message {
			return actionNotice(a, en.RefundUnconfirmed(a.OrderID, view.Money(bal)))
		}
	}
	for _, tc := range []struct {
		name     string
		reads    []reply
		balance  reply
		state    store.ActionState
		failure  store.Failure
		notice   func(store.Action, time.Time) *store.Message
		n        int // reads of the order
		balances int // reads of the balance
	}{
		{name: "refunded", reads: []reply{order("refunded", "")}, state: store.ActionDone, notice: refundDoneNotice, n: 1},
		{name: "cancelled", reads: []reply{order("Cancelled", "")}, state: store.ActionDone, notice: refundDoneNotice, n: 1},
		{name: "refunded on the last read", reads: []reply{waiting, gone, order("refunded", "")}, state: store.ActionDone, notice: refundDoneNotice, n: 3},
		{name: "an SMS arrived", reads: []reply{order("pending", "123456")}, state: store.ActionFailed, failure: store.FailNoSign, notice: refundNotDoneNotice, n: 1},
		{name: "completed", reads: []reply{order("completed", "123456")}, state: store.ActionFailed, failure: store.FailNoSign, notice: refundNotDoneNotice, n: 1},
		{name: "expired", reads: []reply{order("expired", "")}, state: store.ActionFailed, failure: store.FailNoSign, notice: refundNotDoneNotice, n: 1},
		{name: "unchanged", reads: []reply{waiting}, state: store.ActionFailed, failure: store.FailNoSign, notice: refundNotDoneNotice, n: 3},
		{name: "gone", reads: []reply{gone}, balance: balance, state: store.ActionFailed, failure: store.FailUnconfirmed,
			notice: unconfirmed(smsapi.Cents(420)), n: 3, balances: 1},
		{name: "gone, balance unreadable", reads: []reply{gone}, balance: failing, state: store.ActionFailed, failure: store.FailUnconfirmed,
			notice: unconfirmed(smsapi.Money{}), n: 3, balances: 1},
		{name: "failed reads do not count", reads: []reply{failing, waiting, failing, failing, waiting, failing, waiting},
			state: store.ActionFailed, failure: store.FailNoSign, notice: refundNotDoneNotice, n: 7},
		{name: "only failed reads", reads: []reply{failing}, state: store.ActionUnknown, n: 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a := e.unknownAction(store.ActionRefund)
			e.api.answer(callGetOrder, tc.reads...)
			e.api.answer(callBalance, tc.balance)
			got := e.settle(a.ID, 12)
			settledAt := e.clock.Now()
			if tc.state != store.ActionUnknown {
				for range 3 {
					e.round()
				}
			}

			if got.State != tc.state || got.Failure != tc.failure {
				t.Fatalf("settled %s/%q, want %s/%q", got.State, got.Failure, tc.state, tc.failure)
			}
			if n := e.api.count(callGetOrder); n != tc.n {
				t.Errorf("%d reads of the order, want %d", n, tc.n)
			}
			if n := e.api.count(callBalance); n != tc.balances {
				t.Errorf("%d reads of the balance, want %d", n, tc.balances)
			}
			if n := e.api.count(callRefund); n != 1 {
				t.Errorf("%d refunds sent, want 1", n)
			}
			if tc.notice == nil {
				if got.Checks != 0 {
					t.Errorf("%d reads counted, want 0", got.Checks)
				}
				e.checkOutbox()
				return
			}
			if tc.state == store.ActionDone && (got.OrderID != refundable.ID || got.Price != refundable.Price.Cents) {
				t.Errorf("done: order %s, %d cents", got.OrderID, got.Price)
			}
			e.checkOutbox(tc.notice(got, settledAt))
		})
	}
}

// TestSettlePurchase: the reconciler reads the inventory for a purchase of
// unknown outcome: an order of its service and country on any carrier, new
// since the read before the request, is the number bought (watched, told
// once); nothing new after SettleReads answers fails it, and the notice
// does not invite a second purchase. Failed reads do not count.
func TestSettlePurchase(t *testing.T) {
	inventory := func(extra ...smsapi.Order) reply {
		return reply{orders: append(slices.Clone(inventoryBefore), extra...)}
	}
	otherService := smsapi.Order{ID: "152", ServiceCode: "tg", CountryCode: "12", Carrier: "tmobile", Status: "pending"}
	otherCountry := smsapi.Order{ID: "153", ServiceCode: "ds", CountryCode: "6", Carrier: "tmobile", Status: "pending"}
	failing := reply{err: readFailed}
	for _, tc := range []struct {
		name  string
		setup func(e *env) // before the purchase is pressed
		reads []reply
		state store.ActionState
		n     int // reads of the inventory after the request
	}{
		{name: "new order on another carrier", reads: []reply{inventory(boughtOrder)}, state: store.ActionDone, n: 1},
		{name: "new order among others", reads: []reply{inventory(otherService, boughtOrder, otherCountry)}, state: store.ActionDone, n: 1},
		{name: "new order on the last read", reads: []reply{inventory(), failing, inventory(otherService), inventory(boughtOrder)}, state: store.ActionDone, n: 4},
		{name: "nothing new", reads: []reply{inventory()}, state: store.ActionFailed, n: 3},
		{name: "new orders of other offers only", reads: []reply{inventory(otherService, otherCountry)}, state: store.ActionFailed, n: 3},
		{name: "the new order settled another purchase", setup: func(e *env) {
			other := e.offer(store.ActionBuy)
			e.putIn(other, store.ActionDone) // bought order 151
		}, reads: []reply{inventory(boughtOrder)}, state: store.ActionFailed, n: 3},
		{name: "failed reads do not count", reads: []reply{failing, inventory(), failing, inventory(), failing, failing, inventory()},
			state: store.ActionFailed, n: 7},
		{name: "only failed reads", reads: []reply{failing}, state: store.ActionUnknown, n: 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			a := e.unknownAction(store.ActionBuy)
			e.api.answer(callInventory, tc.reads...)
			got := e.settle(a.ID, 12)
			settledAt := e.clock.Now()
			if tc.state != store.ActionUnknown {
				for range 3 {
					e.round()
				}
			}

			if got.State != tc.state {
				t.Fatalf("settled %s/%q, want %s", got.State, got.Failure, tc.state)
			}
			if n := e.api.count(callInventory) - 1; n != tc.n {
				t.Errorf("%d reads of the inventory, want %d", n, tc.n)
			}
			if n := e.api.count(callBuy); n != 1 {
				t.Errorf("%d purchases sent, want 1", n)
			}
			switch tc.state {
			case store.ActionDone:
				if got.OrderID != boughtOrder.ID || got.Price != boughtOrder.Price.Cents {
					t.Errorf("done: order %s for %d cents, want %s for %d", got.OrderID, got.Price, boughtOrder.ID, boughtOrder.Price.Cents)
				}
				w, err := e.st.Watch(e.ctx, user, boughtOrder.ID)
				if err != nil || w.ChatID != user || w.State != store.WatchActive || w.PhoneNumber != boughtOrder.PhoneNumber {
					t.Errorf("watch of the number bought: %+v, %v", w, err)
				}
				e.checkOutbox(boughtNotice(got, settledAt))
			case store.ActionFailed:
				if got.Failure != store.FailNoSign {
					t.Errorf("failed as %q, want %q", got.Failure, store.FailNoSign)
				}
				// The notice has no button: a number may still turn up.
				e.checkOutbox(buyNotDoneNotice(got, settledAt))
			default:
				if got.Checks != 0 {
					t.Errorf("%d reads counted, want 0", got.Checks)
				}
				e.checkOutbox()
			}
		})
	}
}

// TestSettleWaitsForLogin: an action of unknown outcome whose user has no
// account (logged out) is not read and its wait is not counted; after the
// next /login it is settled with the new key.
func TestSettleWaitsForLogin(t *testing.T) {
	for _, tc := range []struct {
		kind   store.ActionKind
		read   string
		shows  reply
		notice func(store.Action, time.Time) *store.Message
	}{
		{store.ActionRefund, callGetOrder, reply{order: func() smsapi.Order { o := refundable; o.Status = "refunded"; return o }()}, refundDoneNotice},
		{store.ActionBuy, callInventory, reply{orders: append(slices.Clone(inventoryBefore), boughtOrder)}, boughtNotice},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			e := newEnv(t)
			if _, err := e.st.LogoutAccount(e.ctx, user, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			// Rows outlive the account: one left unknown by the last run.
			a := e.offer(tc.kind)
			e.putIn(a, store.ActionUnknown)
			for range 10 {
				e.clock.Advance(time.Minute)
				e.svc.round(e.ctx)
			}
			if got := e.action(a.ID); got.State != store.ActionUnknown || got.Checks != 0 {
				t.Fatalf("logged out: %s after %d counted reads, want unknown after 0", got.State, got.Checks)
			}
			if log := e.api.callLog(); len(log) != 0 {
				t.Fatalf("SMSOnline called without an account: %v", log)
			}
			e.checkOutbox()

			relogin := store.Account{TelegramUserID: user, SMSUserID: "700100", APIKey: "a-new-key"}
			if _, err := e.st.SaveAccount(e.ctx, relogin, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.api.answer(tc.read, tc.shows)
			e.clock.Advance(time.Minute)
			e.svc.round(e.ctx)
			got := e.action(a.ID)
			if got.State != store.ActionDone {
				t.Fatalf("after /login: %s, want done", got.State)
			}
			if c := e.api.creds[0]; c.APIKey != relogin.APIKey {
				t.Errorf("read with key %q, want the new one", c.APIKey)
			}
			e.checkOutbox(tc.notice(got, e.clock.Now()))
		})
	}
}
