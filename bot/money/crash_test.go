package money

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
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

// TestRecoverTellsACutChainStep: the bot stops after a chain bought the
// next number, with the old number's refund begun (not sent) or sent. The
// step's message follows that refund, so the restart writes it: the number
// bought, the old one's refund pending (its outcome is told when known).
// A second restart does not write it again.
func TestRecoverTellsACutChainStep(t *testing.T) {
	for _, sent := range []bool{false, true} {
		t.Run(fmt.Sprintf("refund sent %v", sent), func(t *testing.T) {
			e := newEnv(t)
			c, err := e.st.StartChain(e.ctx, store.Chain{TelegramUserID: user, FirstOrder: refundable.ID,
				FirstPrice: refundable.Price.Cents, Minutes: 2, MaxNumbers: 3, MaxSpend: 100}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.st.AddWatch(e.ctx, account.NewWatch(user, refundable, t0, time.Second), 0, t0); err != nil {
				t.Fatal(err)
			}
			a := ReplacementOf(user, refundable, smsapi.Cents(38))
			a.Key = store.ChainKey(c.ID, 2)
			if a, err = e.st.OfferKeyedAction(e.ctx, a, t0); err != nil {
				t.Fatal(err)
			}
			e.putIn(a, store.ActionDone)
			a = e.action(a.ID)
			r, begun, err := e.st.BeginReplacementRefund(e.ctx, a, RefundOf(user, refundable), t0)
			if err != nil || !begun {
				t.Fatalf("BeginReplacementRefund = %v, %v", begun, err)
			}
			if sent {
				e.markSent(r)()
			}

			e.restart()
			step := &store.Message{ChatID: user, TelegramUserID: user, OrderID: bought.OrderID, Priority: store.PriorityNotice,
				Text: en.ChainStep(refundable.PhoneNumber, 2*time.Minute, bought.PhoneNumber,
					en.Offer(a.ServiceName, a.CountryName, a.Carrier), message.Cents(bought.Price.Cents), 2, 3,
					message.OldPending, message.Money{}),
				Markup: message.MarkupJSON(en.ChainKeyboard(user, bought.OrderID))}
			e.checkOutbox(step)
			e.restart()
			e.checkOutbox(step)
		})
	}
}
