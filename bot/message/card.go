package message

import (
	"fmt"
	"strings"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Card renders an order: what was rented, its status, the time left and,
// once an SMS arrived, the code in <code> so it copies on tap.
func Card(o smsapi.Order, now time.Time) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "📦 <b>Order %s</b>\n", Field(o.ID))
	line := func(label, value string) {
		if strings.TrimSpace(value) != "" {
			fmt.Fprintf(&sb, "%s: %s\n", label, value)
		}
	}
	line("Service", Field(o.Service))
	line("Country", Field(o.Country))
	line("Carrier", Field(o.Carrier))
	if p := strings.TrimSpace(o.PhoneNumber); p != "" {
		line("Number", "<code>"+Field(p)+"</code>")
	}
	line("Price", Field(o.Price.String())) // "" (no line) when the API gave none
	line("Status", statusLabel(o))
	if o.State() == smsapi.StateWaiting {
		line("Time left", timeLeft(o.ExpiresAt, now))
	}
	if o.HasSMS() {
		sb.WriteString("\n")
		sb.WriteString(smsBlock(o.SMS))
	}
	return strings.TrimRight(sb.String(), "\n")
}

// smsBlock shows the code prominently and, when the SMS says more than the
// code, the full text below it.
func smsBlock(sms string) string {
	code := ExtractCode(sms)
	if code == "" {
		return fmt.Sprintf("💬 SMS: <code>%s</code>", Field(sms))
	}
	block := fmt.Sprintf("🔑 Code: <code>%s</code>", code)
	if strings.TrimSpace(sms) != code {
		block += fmt.Sprintf("\n💬 SMS: <i>%s</i>", Field(sms))
	}
	return block
}

// statusLabel words the order's state for people; an unknown status word is
// shown as SMSOnline gave it.
func statusLabel(o smsapi.Order) string {
	switch o.State() {
	case smsapi.StateReceived:
		return "✅ SMS received"
	case smsapi.StateFinal:
		return "❌ " + Field(strings.ToLower(o.Status))
	}
	if s := strings.TrimSpace(o.Status); s != "" && !isWaitingWord(s) {
		return "⏳ " + Field(s)
	}
	return "⏳ Waiting for SMS"
}

// isWaitingWord reports whether an API status word just means "no SMS yet", so
// the card says that in plain words instead.
func isWaitingWord(s string) bool {
	switch strings.ToLower(s) {
	case "waiting", "pending", "active", "wait", "ordered":
		return true
	}
	return false
}

// timeLeft says how long the number stays rented.
func timeLeft(expires, now time.Time) string {
	if expires.IsZero() {
		return ""
	}
	left := expires.Sub(now)
	if left <= 0 {
		return "expired"
	}
	return Duration(left)
}

// Duration renders a duration the way people say it: "14 min", "45 s",
// "1 h 5 min".
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	default:
		h := int(d.Hours())
		m := int((d - time.Duration(h)*time.Hour).Minutes())
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
}

// WatchList renders /orders: each watched order with its service, status and
// time left.
func WatchList(watches []store.Watch, now time.Time) string {
	if len(watches) == 0 {
		return NoWatches
	}
	const footer = "\n\nStop one with <code>/stop &lt;orderId&gt;</code>."
	var sb strings.Builder
	fmt.Fprintf(&sb, "🔔 <b>Orders I'm watching</b> (%d)\n", len(watches))
	// room is what the lines may take, counted with their markup (which only
	// errs on the short side), keeping space for the "and N more" line. The
	// first line always fits: its fields are capped.
	room := MaxMessageUnits - UTF16Len(sb.String()) - UTF16Len(footer) - 32
	for i, w := range watches {
		parts := []string{}
		if s := strings.TrimSpace(w.Service); s != "" {
			parts = append(parts, Field(s))
		}
		if w.State == store.WatchPaused {
			parts = append(parts, "⏸ paused until you /login again")
		} else {
			status := "waiting for SMS"
			if s := strings.TrimSpace(w.Status); s != "" && !isWaitingWord(s) {
				status = Field(s)
			}
			parts = append(parts, status)
			if left := timeLeft(w.ExpiresAt, now); left != "" {
				if left != "expired" {
					left += " left"
				}
				parts = append(parts, left)
			}
		}
		line := fmt.Sprintf("\n• <code>%s</code> %s", Escape(w.OrderID), strings.Join(parts, " · "))
		if room -= UTF16Len(line); room < 0 && i > 0 {
			fmt.Fprintf(&sb, "\n… and %d more", len(watches)-i)
			break
		}
		sb.WriteString(line)
	}
	sb.WriteString(footer)
	return sb.String()
}
