package money

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

var en = message.English

var kinds = []store.ActionKind{store.ActionRefund, store.ActionBuy}

// request is the call that carries out an action of kind.
func request(kind store.ActionKind) string {
	if kind == store.ActionRefund {
		return callRefund
	}
	return callBuy
}

// script answers the request of kind with answer (nil: ok, a refund done or
// bought), after an inventory read before a purchase that shows
// inventoryBefore, or fails with inventory.
func (e *env) script(kind store.ActionKind, inventory, answer error) {
	if kind == store.ActionRefund {
		e.api.answer(callRefund, reply{err: answer})
		return
	}
	if inventory != nil {
		e.api.answer(callInventory, reply{err: inventory})
	} else {
		e.api.answer(callInventory, reply{orders: inventoryBefore})
	}
	e.api.answer(callBuy, reply{purchase: bought, err: answer})
}

// The notices the reconciler enqueues, as the catalogue renders them; a is
// the settled action, at the time of the round that settled it.
func refundDoneNotice(a store.Action, _ time.Time) *store.Message {
	return actionNotice(a, en.RefundDone(a.OrderID, message.Cents(a.Price), message.Money{}))
}

func refundNotDoneNotice(a store.Action, _ time.Time) *store.Message {
	return actionNotice(a, en.RefundNotDone(a.OrderID))
}

func buyNotDoneNotice(a store.Action, _ time.Time) *store.Message {
	return actionNotice(a, en.BuyNotDone(en.Offer(a.ServiceName, a.CountryName, a.Carrier)))
}

func boughtNotice(a store.Action, at time.Time) *store.Message {
	return boughtCardNotice(en, a, boughtOrder, at)
}

// logoutNotice is what the user is told when their waiting /logout is done.
func logoutNotice(text string) *store.Message {
	return &store.Message{ChatID: user, TelegramUserID: user, Priority: store.PriorityNotice, Text: text}
}

// TestPressAnswers: a pressed refund or purchase sends its request once
// and stands as SMSOnline's answer says: done (a purchase watched at once),
// failed with the class of the refusal, or unknown (read again soon, never
// sent again). A purchase records the orders it must not take for its own
// before the request, and is not sent when the inventory can't be read.
func TestPressAnswers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		buyOnly   bool
		inventory error // buy: the read before the request fails
		answer    error // to the request; nil = ok
		state     store.ActionState
		failure   store.Failure
		newPrice  int64
	}{
		{name: "ok", state: store.ActionDone},
		{name: "out of stock", answer: refusal("buy", smsapi.ErrOutOfStock, 200), state: store.ActionFailed, failure: store.FailOutOfStock},
		{name: "price changed", answer: priceChanged(25), state: store.ActionFailed, failure: store.FailPriceChanged, newPrice: 25},
		{name: "price changed, new price not said", answer: priceChanged(0), state: store.ActionFailed, failure: store.FailPriceChanged},
		{name: "low balance", answer: refusal("buy", smsapi.ErrLowBalance, 402), state: store.ActionFailed, failure: store.FailLowBalance},
		{name: "refused", answer: refusal("refund", smsapi.ErrRejected, 400), state: store.ActionFailed, failure: store.FailRefused},
		{name: "rate limited", answer: refusal("refund", smsapi.ErrRateLimited, 429), state: store.ActionFailed, failure: store.FailRateLimited},
		{name: "key refused", answer: refusal("refund", smsapi.ErrBadCredentials, 401), state: store.ActionFailed, failure: store.FailRefused},
		{name: "not sent: the tap's time ran out first", answer: &smsapi.Error{Op: "buy", Kind: context.DeadlineExceeded},
			state: store.ActionFailed, failure: store.FailNotSent},
		{name: "lost: connection broke", answer: lost("buy", smsapi.ErrTransient), state: store.ActionUnknown},
		{name: "lost: answer unreadable", answer: &smsapi.Error{Op: "buy", Kind: smsapi.ErrMalformed, StatusCode: 200, Sent: true}, state: store.ActionUnknown},
		{name: "lost: timed out", answer: lost("buy", context.DeadlineExceeded), state: store.ActionUnknown},
		{name: "lost: tap cancelled", answer: lost("buy", context.Canceled), state: store.ActionUnknown},
		{name: "inventory unreadable", buyOnly: true, inventory: readFailed, state: store.ActionFailed, failure: store.FailNotSent},
	} {
		for _, kind := range kinds {
			if tc.buyOnly && kind != store.ActionBuy {
				continue
			}
			t.Run(string(kind)+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t)
				a := e.offer(kind)
				e.script(kind, tc.inventory, tc.answer)
				var atRequest store.Action
				e.api.setDuring(func(call string) {
					if call == request(kind) {
						atRequest = e.action(a.ID)
					}
				})
				out := e.press(a)

				stored := e.action(a.ID)
				for _, got := range []struct {
					what string
					a    store.Action
				}{{"outcome", out.Action}, {"stored", stored}} {
					if got.a.State != tc.state || got.a.Failure != tc.failure || got.a.NewPrice != tc.newPrice {
						t.Errorf("%s action: %s/%q new price %d, want %s/%q %d", got.what,
							got.a.State, got.a.Failure, got.a.NewPrice, tc.state, tc.failure, tc.newPrice)
					}
				}
				if !out.Begun {
					t.Error("Begun = false on the first press")
				}
				wantErr := tc.answer
				if tc.inventory != nil {
					wantErr = tc.inventory
				}
				if tc.state == store.ActionFailed && !errors.Is(out.Err, wantErr) {
					t.Errorf("Err = %v, want %v", out.Err, wantErr)
				}
				if tc.state != store.ActionFailed && out.Err != nil {
					t.Errorf("Err = %v, want none", out.Err)
				}

				sent := 1
				if tc.inventory != nil {
					sent = 0
				}
				if n := e.api.count(request(kind)); n != sent {
					t.Fatalf("%d %s requests, want %d", n, request(kind), sent)
				}
				if sent == 1 && atRequest.State != store.ActionSent {
					t.Errorf("the row was %s when the request left, want sent", atRequest.State)
				}
				switch kind {
				case store.ActionRefund:
					if sent == 1 && e.api.refunds[0] != refundable.ID {
						t.Errorf("refunded order %s, want %s", e.api.refunds[0], refundable.ID)
					}
				case store.ActionBuy:
					if log := e.api.callLog(); !slices.Equal(log, []string{callInventory, callBuy}[:1+sent]) {
						t.Errorf("calls %v, want the inventory read first", log)
					}
					if sent == 1 {
						want := smsapi.BuyRequest{Service: "ds", Country: "12", Carrier: "tmobile", MaxPrice: smsapi.Cents(20)}
						if e.api.buys[0] != want {
							t.Errorf("bought %+v, want what was confirmed: %+v", e.api.buys[0], want)
						}
						if !atRequest.HasKnown || !slices.Equal(atRequest.Known, knownBefore) {
							t.Errorf("known orders at the request: %v (%v), want %v", atRequest.Known, atRequest.HasKnown, knownBefore)
						}
					}
				}
				for _, c := range e.api.creds {
					if c != (smsapi.Credentials{UserID: acct.SMSUserID, APIKey: acct.APIKey}) {
						t.Errorf("called with credentials %+v", c)
					}
				}

				switch {
				case tc.state == store.ActionDone && kind == store.ActionRefund:
					if stored.OrderID != refundable.ID || stored.Price != refundable.Price.Cents {
						t.Errorf("refund done of %s for %d cents, want %s for %d", stored.OrderID, stored.Price, refundable.ID, refundable.Price.Cents)
					}
				case tc.state == store.ActionDone:
					if out.Purchase != bought {
						t.Errorf("Purchase = %+v, want %+v", out.Purchase, bought)
					}
					if stored.OrderID != bought.OrderID || stored.Price != bought.Price.Cents || out.Action.OrderID != bought.OrderID {
						t.Errorf("purchase done of %s for %d cents, want %s for %d", stored.OrderID, stored.Price, bought.OrderID, bought.Price.Cents)
					}
					w, err := e.st.Watch(e.ctx, user, bought.OrderID)
					if err != nil || w.ChatID != user || w.State != store.WatchActive || w.PhoneNumber != bought.PhoneNumber {
						t.Errorf("watch of the number bought: %+v, %v", w, err)
					}
				case tc.state == store.ActionUnknown:
					if want := t0.Add(2 * time.Second); !stored.NextCheckAt.Equal(want) || stored.Checks != 0 {
						t.Errorf("unknown: next read at %v after %d reads, want %v after 0", stored.NextCheckAt, stored.Checks, want)
					}
				}
				if tc.state != store.ActionDone && e.hasWatch(bought.OrderID) {
					t.Error("a number is watched though nothing was bought")
				}
				e.checkOutbox() // the tap's answer tells the user
				if n := e.unwritten(); n != 0 {
					t.Errorf("Unwritten = %d", n)
				}

				// The same button again sends nothing.
				again := e.press(a)
				if again.Begun || again.Action.ID != a.ID || again.Action.State != tc.state {
					t.Errorf("second press: Begun %v, action %d in %s; want false, %d in %s",
						again.Begun, again.Action.ID, again.Action.State, a.ID, tc.state)
				}
				if n := e.api.count(request(kind)); n != sent {
					t.Errorf("%d %s requests after a second press, want %d", n, request(kind), sent)
				}
			})
		}
	}
}

// putIn moves the offered action a to state through the store, as the
// steps before it would have.
func (e *env) putIn(a store.Action, state store.ActionState) {
	e.t.Helper()
	now := e.clock.Now()
	steps := map[store.ActionState][]func() error{
		store.ActionOffered: nil,
		store.ActionIntent:  {e.begin(a)},
		store.ActionSent:    {e.begin(a), e.markSent(a)},
		store.ActionUnknown: {e.begin(a), e.markSent(a), func() error {
			return e.st.MarkActionUnknown(e.ctx, a.ID, now.Add(2*time.Second), now)
		}},
		store.ActionDone: {e.begin(a), e.markSent(a), func() error {
			set := store.Settlement{OrderID: refundable.ID, Price: refundable.Price.Cents}
			if a.Kind == store.ActionBuy {
				w := e.svc.boughtWatch(a, BoughtOrder(a, bought))
				set = store.Settlement{OrderID: bought.OrderID, Price: bought.Price.Cents, Watch: &w}
			}
			return e.st.SettleAction(e.ctx, a, set, now)
		}},
		store.ActionFailed: {e.begin(a), e.markSent(a), func() error {
			return e.st.FailAction(e.ctx, a.ID, store.FailOutOfStock, "out of stock", 0, now)
		}},
	}
	for _, step := range steps[state] {
		if err := step(); err != nil {
			e.t.Fatalf("put action %d in %s: %v", a.ID, state, err)
		}
	}
}

func (e *env) begin(a store.Action) func() error {
	return func() error {
		if _, begun, err := e.st.BeginAction(e.ctx, a.ID, e.clock.Now()); err != nil || !begun {
			return errors.Join(err, errors.New("not begun"))
		}
		if a.Kind == store.ActionBuy {
			return e.st.SetKnownOrders(e.ctx, a.ID, knownBefore, e.clock.Now())
		}
		return nil
	}
}

func (e *env) markSent(a store.Action) func() error {
	return func() error { return e.st.MarkActionSent(e.ctx, a.ID, e.clock.Now()) }
}

// TestPressAgain: a confirmation's button pressed in any state after the
// first press sends nothing and reports the action as it stands.
func TestPressAgain(t *testing.T) {
	for _, state := range []store.ActionState{store.ActionOffered, store.ActionIntent, store.ActionSent,
		store.ActionUnknown, store.ActionDone, store.ActionFailed} {
		for _, kind := range kinds {
			t.Run(string(kind)+"/"+string(state), func(t *testing.T) {
				e := newEnv(t)
				a := e.offer(kind)
				e.putIn(a, state)
				e.script(kind, nil, nil)
				out := e.press(a)
				if state == store.ActionOffered {
					// The first press: sent once, done.
					if !out.Begun || out.Action.State != store.ActionDone || e.api.count(request(kind)) != 1 {
						t.Errorf("first press: Begun %v, %s, %d requests; want true, done, 1",
							out.Begun, out.Action.State, e.api.count(request(kind)))
					}
					return
				}
				if out.Begun || out.Action.ID != a.ID || out.Action.State != state {
					t.Errorf("Begun %v, action %d in %s; want false, %d in %s", out.Begun, out.Action.ID, out.Action.State, a.ID, state)
				}
				if log := e.api.callLog(); len(log) != 0 {
					t.Errorf("SMSOnline called: %v", log)
				}
				if got := e.action(a.ID).State; got != state {
					t.Errorf("stored state %s, want %s", got, state)
				}
			})
		}
	}
}

// TestRefundOnAnotherConfirmation: one order is refunded once, whatever
// the confirmation: a new one pressed while an earlier refund of the order
// is pending or done answers with that one; after a failed one it is sent.
func TestRefundOnAnotherConfirmation(t *testing.T) {
	for _, tc := range []struct {
		earlier store.ActionState
		begun   bool
	}{
		{store.ActionOffered, true},
		{store.ActionIntent, false},
		{store.ActionSent, false},
		{store.ActionUnknown, false},
		{store.ActionDone, false},
		{store.ActionFailed, true},
	} {
		t.Run(string(tc.earlier), func(t *testing.T) {
			e := newEnv(t)
			earlier := e.offer(store.ActionRefund)
			e.putIn(earlier, tc.earlier)
			later := e.offer(store.ActionRefund)
			e.script(store.ActionRefund, nil, nil)
			out := e.press(later)
			sent := 0
			if tc.begun {
				sent = 1
			}
			if out.Begun != tc.begun || e.api.count(callRefund) != sent {
				t.Fatalf("Begun %v with %d requests, want %v with %d", out.Begun, e.api.count(callRefund), tc.begun, sent)
			}
			if !tc.begun && (out.Action.ID != earlier.ID || out.Action.State != tc.earlier) {
				t.Errorf("answered with action %d in %s, want the earlier %d in %s", out.Action.ID, out.Action.State, earlier.ID, tc.earlier)
			}
		})
	}
}

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

// unknownAction presses a confirmation of kind whose request is lost: the
// action is unknown, for the reconciler.
func (e *env) unknownAction(kind store.ActionKind) store.Action {
	e.t.Helper()
	a := e.offer(kind)
	e.script(kind, nil, lost(string(kind), smsapi.ErrTransient))
	if out := e.press(a); out.Action.State != store.ActionUnknown {
		e.t.Fatalf("pressed %s is %s, want unknown", kind, out.Action.State)
	}
	return e.action(a.ID)
}

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

// TestUnwrittenOutcome: when the store can't record what SMSOnline
// answered (a full disk, another process holding the lock), the tap still
// reports the true outcome, Unwritten counts it, and each round writes it
// again until it is recorded.
func TestUnwrittenOutcome(t *testing.T) {
	diskFull := failOutcomeWrites
	locked := lockDatabase
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
