package money

import (
	"time"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// actionNotice is the outbox row of a short message about money action a.
func actionNotice(a store.Action, text string) *store.Message {
	return &store.Message{
		ChatID:         a.ChatID,
		TelegramUserID: a.TelegramUserID,
		OrderID:        a.OrderID,
		Priority:       store.PriorityNotice,
		Text:           text,
	}
}

// boughtCardNotice is the reconciler's message, in l, about a purchase it
// found: the card of the number, with its buttons. w is the number's watch
// as the settlement adds it, under the user's rule r: the card says when
// the rule acts on it. favourite says the offer is one of the user's
// favourites.
func boughtCardNotice(l *message.Lang, a store.Action, o smsapi.Order, w store.Watch, r store.Rule, favourite bool, now time.Time) *store.Message {
	w.RuleAt = w.FirstRuleAt(r, now) // not written yet: the notice goes in the same transaction
	shown := view.WithRule(view.Order(o), w, r)
	shown.Favourite = favourite
	return &store.Message{
		ChatID:         a.ChatID,
		TelegramUserID: a.TelegramUserID,
		OrderID:        o.ID,
		Priority:       store.PriorityNotice,
		Text:           l.Bought(shown, now, a.ChatID == a.TelegramUserID), // a private chat's id is its user's
		Markup:         message.MarkupJSON(l.CardKeyboard(shown, a.TelegramUserID, o.ID, true, true)),
	}
}
