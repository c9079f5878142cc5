package money

import (
	"slices"
	"strings"
	"testing"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/store"
)

// TestFoundPurchaseCardSaysWhenTheRuleActs: the card of a number the
// reconciler found is written before its watch, in the same transaction;
// it says when the user's rule acts on the number exactly as the watch
// then records it, with "Keep this number".
func TestFoundPurchaseCardSaysWhenTheRuleActs(t *testing.T) {
	e := newEnv(t)
	rule := store.Rule{Kind: store.RuleRefund, Minutes: 5}
	if err := e.st.SetRule(e.ctx, user, rule, t0); err != nil {
		t.Fatal(err)
	}
	a := e.unknownAction(store.ActionBuy)
	e.api.answer(callInventory, reply{orders: append(slices.Clone(inventoryBefore), boughtOrder)})
	got := e.settle(a.ID, 12)
	if got.State != store.ActionDone {
		t.Fatalf("settled %s/%q, want done", got.State, got.Failure)
	}
	w, err := e.st.Watch(e.ctx, user, boughtOrder.ID)
	if err != nil || w.RuleAt.IsZero() {
		t.Fatalf("watch of the number bought: %+v, %v", w, err)
	}
	shown := view.WithRule(view.Order(boughtOrder), w, rule)
	e.checkOutbox(&store.Message{
		ChatID: got.ChatID, TelegramUserID: user, OrderID: boughtOrder.ID, Priority: store.PriorityNotice,
		Text:   en.Bought(shown, e.clock.Now(), got.ChatID == user),
		Markup: message.MarkupJSON(en.CardKeyboard(shown, user, boughtOrder.ID, true, true)),
	})
	plain := en.Bought(view.Order(boughtOrder), e.clock.Now(), got.ChatID == user)
	if m := e.outbox()[0]; m.Text == plain || !strings.Contains(m.Markup, en.T(message.ButtonKeep)) {
		t.Errorf("the card does not say the rule, or offers no Keep:\n%s\n%s", m.Text, m.Markup)
	}
}
