package message

import (
	"fmt"
	"strings"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Messages the watcher leaves in the outbox for the sender: the push of a code
// and short notices about watches that ended.

// Push is the message that brings an SMS into the chat: the code in
// <code> with a copy button, the full text, and the time left on the number.
func Push(w store.Watch, o smsapi.Order, now time.Time) *store.Message {
	var sb strings.Builder
	fmt.Fprintf(&sb, "🔔 <b>New SMS for order %s</b>\n", Escape(w.OrderID))
	service, phone := firstNonEmpty(o.Service, w.Service), firstNonEmpty(o.PhoneNumber, w.PhoneNumber)
	switch {
	case service != "" && phone != "":
		fmt.Fprintf(&sb, "%s · <code>%s</code>\n", Field(service), Field(phone))
	case service != "":
		sb.WriteString(Field(service) + "\n")
	case phone != "":
		fmt.Fprintf(&sb, "<code>%s</code>\n", Field(phone))
	}
	sb.WriteString("\n" + smsBlock(o.SMS))
	expires := o.ExpiresAt
	if expires.IsZero() {
		expires = w.ExpiresAt
	}
	if left := expires.Sub(now); !expires.IsZero() && left > 0 {
		fmt.Fprintf(&sb, "\n⏳ Number active for %s more", Duration(left))
	}
	m := &store.Message{
		ChatID:         w.ChatID,
		TelegramUserID: w.TelegramUserID,
		OrderID:        w.OrderID,
		Priority:       store.PriorityPush,
		Text:           sb.String(),
	}
	m.Markup = MarkupJSON(PushKeyboard(w.TelegramUserID, w.OrderID, ExtractCode(o.SMS)))
	return m
}

// Notice is a short message about a watch, sent after pushes.
func Notice(w store.Watch, text string) *store.Message {
	return &store.Message{
		ChatID:         w.ChatID,
		TelegramUserID: w.TelegramUserID,
		OrderID:        w.OrderID,
		Priority:       store.PriorityNotice,
		Text:           text,
	}
}

const WatchesPaused = "🔑 SMSOnline refused your API key, so I paused watching your orders. Link your account again with <code>/login &lt;userId&gt; &lt;apiKey&gt;</code> and I'll pick them up."

func OrderExpired(orderID, service string) string {
	return fmt.Sprintf("⌛ Order <code>%s</code>%s expired without an SMS. I've stopped watching it.", Escape(orderID), serviceSuffix(service))
}

func OrderEnded(orderID, service, status string) string {
	if strings.EqualFold(strings.TrimSpace(status), "expired") {
		return OrderExpired(orderID, service)
	}
	return fmt.Sprintf("❌ Order <code>%s</code>%s was %s before an SMS arrived. I've stopped watching it.",
		Escape(orderID), serviceSuffix(service), Field(strings.ToLower(status)))
}

func WatchedOrderGone(orderID string) string {
	return fmt.Sprintf("🔍 Order <code>%s</code> is no longer on your SMSOnline account. I've stopped watching it.", Escape(orderID))
}

func WatchGaveUp(orderID string) string {
	return fmt.Sprintf("⚠️ I couldn't reach SMSOnline for hours, and order <code>%s</code> has expired. I've stopped watching it; check it with <code>/order %s</code>.", Escape(orderID), Escape(orderID))
}

func serviceSuffix(service string) string {
	if strings.TrimSpace(service) == "" {
		return ""
	}
	return " (" + Field(service) + ")"
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
