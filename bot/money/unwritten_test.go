package money

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
	"github.com/smsbot/smsbot/store/storetest"
)

// TestUnwrittenOutcome: when the store can't record what SMSOnline
// answered (a full disk, another process holding the lock), the tap still
// reports the true outcome, Unwritten counts it, and each round writes it
// again until it is recorded.
func TestUnwrittenOutcome(t *testing.T) {
	diskFull := failOutcomeWrites
	locked := storetest.LockWrites
	for _, tc := range []struct {
		name    string
		kind    store.ActionKind
		answer  error
		fault   func(testing.TB, string) func()
		slow    bool // the fault takes the busy timeout (5 s) to show
		state   store.ActionState
		failure store.Failure
	}{
		{name: "purchase done, disk full", kind: store.ActionBuy, fault: diskFull, state: store.ActionDone},
		{name: "refund done, disk full", kind: store.ActionRefund, fault: diskFull, state: store.ActionDone},
		{name: "purchase refused, disk full", kind: store.ActionBuy, answer: refusal("buy", smsapi.ErrOutOfStock, 200),
			fault: diskFull, state: store.ActionFailed, failure: store.FailOutOfStock},
		{name: "purchase lost, disk full", kind: store.ActionBuy, answer: lost("buy", smsapi.ErrTransient),
			fault: diskFull, state: store.ActionUnknown},
		{name: "purchase done, database locked", kind: store.ActionBuy, fault: locked, slow: true, state: store.ActionDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a := e.offer(tc.kind)
			e.script(tc.kind, nil, tc.answer)
			var restore func()
			e.api.setDuring(func(call string) {
				if call == request(tc.kind) {
					restore = tc.fault(t, e.path)
				}
			})
			out := e.press(a)
			pressedAt := e.clock.Now()

			if !out.Begun || out.Action.State != tc.state || out.Action.Failure != tc.failure {
				t.Fatalf("outcome %s/%q (begun %v), want %s/%q", out.Action.State, out.Action.Failure, out.Begun, tc.state, tc.failure)
			}
			if tc.kind == store.ActionBuy && tc.state == store.ActionDone && out.Purchase != bought {
				t.Errorf("Purchase = %+v, want %+v", out.Purchase, bought)
			}
			if got := e.action(a.ID).State; got != store.ActionSent {
				t.Fatalf("stored %s while the store fails, want sent", got)
			}
			if n, since := e.svc.Unwritten(); n != 1 || !since.Equal(pressedAt) {
				t.Errorf("Unwritten = %d since %v, want 1 since %v", n, since, pressedAt)
			}
			if !tc.slow {
				e.round()
				if n := e.unwritten(); n != 1 || e.action(a.ID).State != store.ActionSent {
					t.Errorf("a round while the store fails: Unwritten %d, stored %s", n, e.action(a.ID).State)
				}
			}

			restore()
			e.round()
			got := e.action(a.ID)
			if got.State != tc.state || got.Failure != tc.failure {
				t.Errorf("recorded %s/%q, want %s/%q", got.State, got.Failure, tc.state, tc.failure)
			}
			if n := e.unwritten(); n != 0 {
				t.Errorf("Unwritten = %d after the store recovered", n)
			}
			wantWatch := tc.kind == store.ActionBuy && tc.state == store.ActionDone
			if e.hasWatch(bought.OrderID) != wantWatch {
				t.Errorf("number bought watched: %v, want %v", !wantWatch, wantWatch)
			}
			if tc.state == store.ActionUnknown && got.NextCheckAt.IsZero() {
				t.Error("unknown outcome recorded with no next read")
			}
			if n := e.api.count(request(tc.kind)); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			e.checkOutbox() // the tap told the user
		})
	}
}

// TestLogoutAfterSettlement: a /logout that waits for an unsettled action
// is finished once the action is settled, and the user hears the outcome
// before the logout; if SMSOnline does not answer for LogoutWait, the key
// is forgotten anyway and the user is told the outcome is not known.
func TestLogoutAfterSettlement(t *testing.T) {
	refunded := refundable
	refunded.Status = "refunded"
	for _, tc := range []struct {
		name   string
		kind   store.ActionKind
		reads  []reply // after a first read that changes nothing
		notice func(store.Action, time.Time) *store.Message
		logout string
	}{
		{"refund done", store.ActionRefund, []reply{{order: refunded}}, refundDoneNotice, en.LoggedOutEnded(0)},
		{"refund not done", store.ActionRefund, []reply{{order: refundable}}, refundNotDoneNotice, en.LoggedOutEnded(0)},
		// The number bought is watched until the account goes.
		{"purchase done", store.ActionBuy, []reply{{orders: append(slices.Clone(inventoryBefore), boughtOrder)}}, boughtNotice, en.LoggedOutEnded(1)},
		{"purchase not done", store.ActionBuy, []reply{{orders: inventoryBefore}}, buyNotDoneNotice, en.LoggedOutEnded(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a := e.unknownAction(tc.kind)
			lo, err := e.st.LogoutAccount(e.ctx, user, e.clock.Now())
			if err != nil || lo.Unsettled != 1 {
				t.Fatalf("LogoutAccount: %+v, %v; want it to wait for 1 action", lo, err)
			}
			read := callGetOrder
			if tc.kind == store.ActionBuy {
				read = callInventory
			}
			e.api.answer(read, append([]reply{{err: readFailed}}, tc.reads...)...)
			e.round()
			if _, err := e.st.Account(e.ctx, user); err != nil {
				t.Fatalf("account gone before its action was settled: %v", err)
			}
			e.checkOutbox()

			got := e.settle(a.ID, 10)
			settledAt := e.clock.Now()
			e.round()
			if got.State.Unsettled() {
				t.Fatalf("not settled: %s", got.State)
			}
			if _, err := e.st.Account(e.ctx, user); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("account after settlement: %v, want gone", err)
			}
			e.checkOutbox(tc.notice(got, settledAt), logoutNotice(tc.logout))
			if e.hasWatch(bought.OrderID) {
				t.Error("a watch outlived the account")
			}
		})
	}

	t.Run("SMSOnline not answering", func(t *testing.T) {
		e := newEnv(t)
		a := e.unknownAction(store.ActionRefund)
		if _, err := e.st.LogoutAccount(e.ctx, user, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.api.answer(callGetOrder, reply{err: readFailed})
		e.round()
		e.clock.Advance(e.cfg.LogoutWait - e.cfg.SettleEvery - time.Second)
		e.svc.round(e.ctx)
		if _, err := e.st.Account(e.ctx, user); err != nil {
			t.Fatalf("gave up before LogoutWait: %v", err)
		}
		e.round()
		if _, err := e.st.Account(e.ctx, user); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("account after LogoutWait: %v, want gone", err)
		}
		e.checkOutbox(logoutNotice(en.T(message.LoggedOutUnsettled)))
		if got := e.action(a.ID); got.State != store.ActionUnknown {
			t.Errorf("action %s after the logout, want still unknown (settled after the next /login)", got.State)
		}
		reads := e.api.count(callGetOrder)
		for range 5 {
			e.clock.Advance(time.Minute)
			e.svc.round(e.ctx)
		}
		if n := e.api.count(callGetOrder); n != reads {
			t.Errorf("%d reads without an account", n-reads)
		}
		e.checkOutbox(logoutNotice(en.T(message.LoggedOutUnsettled)))
	})
}
