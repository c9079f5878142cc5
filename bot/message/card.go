package message

import (
	"fmt"
	"strings"
	"time"
)

// Card renders an order: what was rented, its status, the time left and,
// once an SMS arrived, the code in <code> so it copies on tap.
func (l *Lang) Card(o Order, now time.Time) string {
	var sb strings.Builder
	sb.WriteString(l.t("CardTitle", args{"Order": Field(o.ID)}) + "\n")
	line := func(label, value string) {
		if strings.TrimSpace(value) != "" {
			fmt.Fprintf(&sb, "%s: %s\n", l.t(label, nil), value)
		}
	}
	line("CardService", Field(o.Service))
	line("CardCountry", Field(o.Country))
	line("CardCarrier", Field(o.Carrier))
	if p := strings.TrimSpace(o.PhoneNumber); p != "" {
		line("CardNumber", "<code>"+Field(p)+"</code>")
	}
	line("CardPrice", Field(o.Price.String())) // "" (no line) when the API gave none
	line("CardStatus", l.statusLabel(o))
	if o.State == StateWaiting {
		line("CardTimeLeft", l.timeLeft(o.ExpiresAt, now))
	}
	if o.HasSMS() {
		sb.WriteString("\n")
		sb.WriteString(l.smsBlock(o.SMS))
	}
	return strings.TrimRight(sb.String(), "\n")
}

// smsBlock shows the code prominently and, when the SMS says more than the
// code, the full text below it.
func (l *Lang) smsBlock(sms string) string {
	code := ExtractCode(sms)
	if code == "" {
		return l.t("SMSLine", args{"SMS": Field(sms)})
	}
	block := l.t("CodeLine", args{"Code": code})
	if strings.TrimSpace(sms) != code {
		block += "\n" + l.t("SMSFullLine", args{"SMS": Field(sms)})
	}
	return block
}

// statusLabel words the order's state for people; an unknown status word is
// shown as SMSOnline gave it.
func (l *Lang) statusLabel(o Order) string {
	switch o.State {
	case StateReceived:
		return l.t("StatusReceived", nil)
	case StateFinal:
		return "❌ " + l.Status(o.Status)
	}
	if s := strings.TrimSpace(o.Status); s != "" && !isWaitingWord(s) {
		return "⏳ " + Field(s)
	}
	return l.t("StatusWaiting", nil)
}

// Status words a final status in l; another word is shown as SMSOnline
// gave it, escaped.
func (l *Lang) Status(status string) string {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "cancelled", "canceled":
		return l.t("StatusCancelled", nil)
	case "expired":
		return l.t("StatusExpired", nil)
	case "refunded":
		return l.t("StatusRefunded", nil)
	}
	return Field(strings.ToLower(status))
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
func (l *Lang) timeLeft(expires, now time.Time) string {
	if expires.IsZero() {
		return ""
	}
	left := expires.Sub(now)
	if left <= 0 {
		return l.t("CardExpired", nil)
	}
	return l.Duration(left)
}

// Duration renders a duration the way people say it: "14 min", "45 s",
// "1 h 5 min", rounded down to its unit: the time a number or a link has
// left is never overstated (14 min 59 s is "14 min").
func (l *Lang) Duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return l.t("Seconds", args{"S": int(d.Seconds())})
	case d < time.Hour:
		return l.t("Minutes", args{"M": int(d.Minutes())})
	default:
		h := int(d.Hours())
		m := int((d - time.Duration(h)*time.Hour).Minutes())
		if m == 0 {
			return l.t("Hours", args{"H": h})
		}
		return l.t("HoursMinutes", args{"H": h, "M": m})
	}
}

// Wait renders how long to wait before trying again, rounded up so that
// whoever waits the time shown waits long enough: at least 1 s, seconds up
// to 2 min ("90 s", not "1 min" or "2 min"), then whole minutes.
func (l *Lang) Wait(d time.Duration) string {
	s := d / time.Second
	if d%time.Second > 0 {
		s++
	}
	s = max(s, 1)
	if s < 120 {
		return l.t("Seconds", args{"S": int(s)})
	}
	return l.Duration((s + 59) / 60 * time.Minute)
}

// WatchList renders /orders: each watched order with its service, status and
// time left.
func (l *Lang) WatchList(watches []Watch, now time.Time) string {
	if len(watches) == 0 {
		return l.T(NoWatches)
	}
	footer := "\n\n" + l.t("WatchListFooter", nil)
	var sb strings.Builder
	sb.WriteString(l.n("WatchListTitle", len(watches), nil) + "\n")
	// room is what the lines may take, counted with their markup (which only
	// errs on the short side), keeping space for the "and N more" line. The
	// first line always fits: its fields are capped.
	room := MaxMessageUnits - UTF16Len(sb.String()) - UTF16Len(footer) - 64
	for i, w := range watches {
		parts := []string{}
		if s := strings.TrimSpace(w.Service); s != "" {
			parts = append(parts, Field(s))
		}
		if w.Paused {
			parts = append(parts, l.t("WatchPaused", nil))
		} else {
			status := l.t("WatchWaiting", nil)
			if s := strings.TrimSpace(w.Status); s != "" && !isWaitingWord(s) {
				status = Field(s)
			}
			parts = append(parts, status)
			switch left := w.ExpiresAt.Sub(now); {
			case w.ExpiresAt.IsZero():
			case left <= 0:
				parts = append(parts, l.t("CardExpired", nil))
			default:
				parts = append(parts, l.t("TimeLeft", args{"Time": l.Duration(left)}))
			}
		}
		line := fmt.Sprintf("\n• <code>%s</code> %s", Escape(w.OrderID), strings.Join(parts, " · "))
		if room -= UTF16Len(line); room < 0 && i > 0 {
			sb.WriteString("\n" + l.t("WatchListMore", args{"Count": len(watches) - i}))
			break
		}
		sb.WriteString(line)
	}
	sb.WriteString(footer)
	return sb.String()
}
