package message

import (
	"fmt"
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
	switch {
	case service != "" && phone != "":
		fmt.Fprintf(&sb, "%s · <code>%s</code>\n", Field(service), Field(phone))
	case service != "":
		sb.WriteString(Field(service) + "\n")
	case phone != "":
		fmt.Fprintf(&sb, "<code>%s</code>\n", Field(phone))
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
	return l.t("OrderExpired", args{"Order": Escape(orderID), "Service": serviceSuffix(service)})
}

func (l *Lang) OrderEnded(orderID, service, status string) string {
	if strings.EqualFold(strings.TrimSpace(status), "expired") {
		return l.OrderExpired(orderID, service)
	}
	return l.t("OrderEnded", args{"Order": Escape(orderID), "Service": serviceSuffix(service), "Status": l.Status(status)})
}

func (l *Lang) WatchedOrderGone(orderID string) string {
	return l.t("WatchedOrderGone", args{"Order": Escape(orderID)})
}

func (l *Lang) WatchGaveUp(orderID string) string {
	return l.t("WatchGaveUp", args{"Order": Escape(orderID)})
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
