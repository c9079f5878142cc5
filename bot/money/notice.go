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
// found: the card of the number, with its buttons.
func boughtCardNotice(l *message.Lang, a store.Action, o smsapi.Order, now time.Time) *store.Message {
	return &store.Message{
		ChatID:         a.ChatID,
		TelegramUserID: a.TelegramUserID,
		OrderID:        o.ID,
		Priority:       store.PriorityNotice,
		Text:           l.Bought(view.Order(o), now, a.ChatID == a.TelegramUserID), // a private chat's id is its user's
		Markup:         message.MarkupJSON(l.CardKeyboard(view.Order(o), a.TelegramUserID, o.ID, true, true)),
	}
}
