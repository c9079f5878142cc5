package watch

import (
	"time"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// PushMessage is the outbox row that brings o's SMS to w's owner, in l:
// pushes go before every other message.
func PushMessage(l *message.Lang, w store.Watch, o smsapi.Order, now time.Time) *store.Message {
	text, kb := l.Push(view.Watch(w), view.Order(o), now)
	return &store.Message{
		ChatID:         w.ChatID,
		TelegramUserID: w.TelegramUserID,
		OrderID:        w.OrderID,
		Priority:       store.PriorityPush,
		Text:           text,
		Markup:         message.MarkupJSON(kb),
	}
}

// noticeMessage is the outbox row of a short message about w, sent after
// pushes.
func noticeMessage(w store.Watch, text string) *store.Message {
	return &store.Message{
		ChatID:         w.ChatID,
		TelegramUserID: w.TelegramUserID,
		OrderID:        w.OrderID,
		Priority:       store.PriorityNotice,
		Text:           text,
	}
}
