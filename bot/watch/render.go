package watch

import (
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// render turns verdict v on a check of dw into what the writer records: the
// outcome row, with the push and the notice in the user's language, or the
// pause of the account's watches. o is what SMSOnline answered; nil when
// the check failed.
func (w *Watcher) render(dw store.DueWatch, o *smsapi.Order, v verdict, now time.Time) checkResult {
	out := store.CheckOutcome{
		TelegramUserID: dw.TelegramUserID,
		OrderID:        dw.OrderID,
		NextCheckAt:    v.next,
		Failures:       v.failures,
		End:            v.end,
	}
	l := w.lang(dw)
	if o != nil {
		out.LastCheckedAt = now
		out.Status = message.Clip(o.Status) // the snapshot is capped as the card caps what it shows
		out.Service = message.Clip(o.Service)
		out.PhoneNumber = message.Clip(o.PhoneNumber)
		out.ExpiresAt = o.ExpiresAt
		if v.sms {
			out.SMS = o.SMS
			out.Push = PushMessage(l, dw.Watch, *o, now)
		}
	}
	text := noticeText(l, v.notice, dw, o)
	if v.pause {
		return checkResult{outcome: out, pause: noticeMessage(dw.Watch, text)}
	}
	if text != "" {
		out.Notice = noticeMessage(dw.Watch, text)
	}
	return checkResult{outcome: out}
}

// noticeText is the text of notice n about dw in l; "" for none.
func noticeText(l *message.Lang, n notice, dw store.DueWatch, o *smsapi.Order) string {
	var service, status string
	if o != nil {
		service, status = o.Service, o.Status
	}
	switch n {
	case noticeEnded:
		return l.OrderEnded(dw.OrderID, service, status)
	case noticeExpired:
		return l.OrderExpired(dw.OrderID, service)
	case noticeGone:
		return l.WatchedOrderGone(dw.OrderID)
	case noticeGaveUp:
		return l.WatchGaveUp(dw.OrderID)
	case noticePaused:
		return l.T(message.WatchesPaused)
	case noticeKeyUnreadable:
		return l.T(message.KeyUnreadable)
	}
	return ""
}

// lang is the language of a watch's user.
func (w *Watcher) lang(dw store.DueWatch) *message.Lang {
	return message.For(dw.Language.Chosen, dw.Language.Seen, w.cfg.Fallback)
}
