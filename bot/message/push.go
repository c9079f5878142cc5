package message

import (
	"strings"
	"time"
)

// Texts the watcher leaves in the outbox for the sender: the push of a code
// and short notices about watches that ended.

// Push is the message that brings an SMS into the chat: the code in
// <code> with a copy button, the full text, and the time left on the number.
func (l *Lang) Push(w Watch, o Order, now time.Time) (string, *Keyboard) {
	var sb strings.Builder
	sb.WriteString(l.t("PushTitle", args{"Order": Escape(w.OrderID)}) + "\n")
	service, phone := firstNonEmpty(o.Service, w.Service), firstNonEmpty(o.PhoneNumber, w.PhoneNumber)
	var about []string
	if strings.TrimSpace(service) != "" {
		about = append(about, Field(service))
	}
	if strings.TrimSpace(phone) != "" {
		about = append(about, "<code>"+Field(phone)+"</code>")
	}
	if len(about) > 0 {
		sb.WriteString(strings.Join(about, l.t("Separator", nil)) + "\n")
	}
	sb.WriteString("\n" + l.smsBlock(o.SMS))
	expires := o.ExpiresAt
	if expires.IsZero() {
		expires = w.ExpiresAt
	}
	if left := expires.Sub(now); !expires.IsZero() && left > 0 {
		sb.WriteString("\n" + l.t("PushActiveFor", args{"Time": l.Duration(left)}))
	}
	return sb.String(), l.PushKeyboard(w.Owner, w.OrderID, ExtractCode(o.SMS))
}

func (l *Lang) OrderExpired(orderID, service string) string {
	if strings.TrimSpace(service) == "" {
		return l.t("OrderExpired", args{"Order": Escape(orderID)})
	}
	return l.t("OrderExpiredOf", args{"Order": Escape(orderID), "Service": Field(service)})
}

func (l *Lang) OrderEnded(orderID, service, status string) string {
	if strings.EqualFold(strings.TrimSpace(status), "expired") {
		return l.OrderExpired(orderID, service)
	}
	if strings.TrimSpace(service) == "" {
		return l.t("OrderEnded", args{"Order": Escape(orderID), "Status": l.Status(status)})
	}
	return l.t("OrderEndedOf", args{"Order": Escape(orderID), "Service": Field(service), "Status": l.Status(status)})
}

func (l *Lang) WatchedOrderGone(orderID string) string {
	return l.t("WatchedOrderGone", args{"Order": Escape(orderID)})
}

func (l *Lang) WatchGaveUp(orderID string) string {
	return l.t("WatchGaveUp", args{"Order": Escape(orderID)})
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
