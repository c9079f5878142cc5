package money

import (
	"slices"
	"testing"
	"time"

	"github.com/smsbot/smsbot/store"
)

// TestPressTwiceAtOnce: two presses of one button racing send one request;
// the second finds the action under way.
func TestPressTwiceAtOnce(t *testing.T) {
	e := newEnv(t)
	a := e.offer(store.ActionBuy)
	e.script(store.ActionBuy, nil, nil)
	release := make(chan struct{})
	e.api.setDuring(func(call string) {
		if call == callBuy {
			<-release // the request is in flight until the other press returned
		}
	})
	outs := make(chan Outcome, 2)
	for range 2 {
		go func() {
			out, err := e.svc.Buy(e.ctx, acct, a)
			if err != nil {
				t.Errorf("Buy: %v", err)
			}
			outs <- out
		}()
	}
	first := <-outs
	close(release)
	second := <-outs
	if first.Begun || !first.Pending() {
		t.Errorf("the press that lost: Begun %v, %s; want false, pending", first.Begun, first.Action.State)
	}
	if !second.Begun || second.Action.State != store.ActionDone || second.Purchase != bought {
		t.Errorf("the press that won: Begun %v, %s, %+v; want true, done, %+v", second.Begun, second.Action.State, second.Purchase, bought)
	}
	if n := e.api.count(callBuy); n != 1 {
		t.Errorf("%d purchases sent, want 1", n)
	}
}

// TestCrashPoints: the bot stops at each step of an action and starts
// again. Pressed and not sent is failed and never sent; sent (whatever
// SMSOnline answered: the answer died with the bot) is unknown and settled
// by reading SMSOnline; an outcome recorded stays. Nothing is sent twice.
func TestCrashPoints(t *testing.T) {
	stillBefore := reply{orders: inventoryBefore}
	withBought := reply{orders: append(slices.Clone(inventoryBefore), boughtOrder)}
	waiting := reply{order: refundable}
	refunded := refundable
	refunded.Status = "refunded"

	for _, tc := range []struct {
		name    string
		kind    store.ActionKind
		crashIn store.ActionState // the state the last run left
		shows   []reply           // what SMSOnline shows when read afterwards
		state   store.ActionState
		failure store.Failure
		reads   int
		notice  func(store.Action, time.Time) *store.Message
	}{
		{name: "refund confirmed, never pressed", kind: store.ActionRefund, crashIn: store.ActionOffered, state: store.ActionOffered},
		{name: "refund pressed, not sent", kind: store.ActionRefund, crashIn: store.ActionIntent,
			state: store.ActionFailed, failure: store.FailNotSent},
		{name: "purchase pressed, known orders read, not sent", kind: store.ActionBuy, crashIn: store.ActionIntent,
			state: store.ActionFailed, failure: store.FailNotSent},
		{name: "refund sent, did nothing", kind: store.ActionRefund, crashIn: store.ActionSent, shows: []reply{waiting},
			state: store.ActionFailed, failure: store.FailNoSign, reads: 3, notice: refundNotDoneNotice},
		{name: "refund sent, answered, answer not recorded", kind: store.ActionRefund, crashIn: store.ActionSent,
			shows: []reply{{order: refunded}}, state: store.ActionDone, reads: 1, notice: refundDoneNotice},
		{name: "purchase sent, did nothing", kind: store.ActionBuy, crashIn: store.ActionSent, shows: []reply{stillBefore},
			state: store.ActionFailed, failure: store.FailNoSign, reads: 3, notice: buyNotDoneNotice},
		{name: "purchase sent, answered, answer not recorded", kind: store.ActionBuy, crashIn: store.ActionSent,
			shows: []reply{withBought}, state: store.ActionDone, reads: 1, notice: boughtNotice},
		{name: "purchase unknown recorded", kind: store.ActionBuy, crashIn: store.ActionUnknown,
			shows: []reply{stillBefore, withBought}, state: store.ActionDone, reads: 2, notice: boughtNotice},
		{name: "refund failed recorded", kind: store.ActionRefund, crashIn: store.ActionFailed,
			state: store.ActionFailed, failure: store.FailOutOfStock},
		{name: "purchase done recorded", kind: store.ActionBuy, crashIn: store.ActionDone, state: store.ActionDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a := e.offer(tc.kind)
			e.putIn(a, tc.crashIn)

			e.restart()
			read := callGetOrder
			if tc.kind == store.ActionBuy {
				read = callInventory
			}
			if tc.shows != nil {
				e.api.answer(read, tc.shows...)
			}
			got := e.settle(a.ID, 10)
			settledAt := e.clock.Now()
			for range 3 {
				e.round()
			}

			if got.State != tc.state || got.Failure != tc.failure {
				t.Fatalf("after the restart: %s/%q, want %s/%q", got.State, got.Failure, tc.state, tc.failure)
			}
			if tc.crashIn == store.ActionIntent && got.Detail != store.RestartedDetail {
				t.Errorf("Detail = %q, want %q", got.Detail, store.RestartedDetail)
			}
			if n := e.api.count(read); n != tc.reads {
				t.Errorf("%d reads of SMSOnline, want %d", n, tc.reads)
			}
			if tc.notice != nil {
				e.checkOutbox(tc.notice(got, settledAt))
			} else {
				e.checkOutbox()
			}
			if want := tc.state == store.ActionDone && tc.kind == store.ActionBuy; e.hasWatch(bought.OrderID) != want {
				t.Errorf("number bought watched: %v, want %v", !want, want)
			}

			// Pressed again after the restart: sent only if it never was pressed.
			e.script(tc.kind, nil, nil)
			out := e.press(a)
			sent := 0
			if tc.crashIn == store.ActionOffered {
				sent = 1
			}
			if n := e.api.count(request(tc.kind)); n != sent || out.Begun != (sent == 1) {
				t.Errorf("pressed after the restart: Begun %v, %d requests; want %d", out.Begun, n, sent)
			}
		})
	}
}
