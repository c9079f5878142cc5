package money

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

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
	return boughtCardNotice(en, a, boughtOrder, store.Watch{}, store.Rule{Kind: store.RuleOff}, false, at) // no rule set
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
