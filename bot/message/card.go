package message

import (
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
			sb.WriteString(l.t("CardLine", args{"Label": l.t(label, nil), "Value": value}) + "\n")
		}
	}
	line("CardService", Field(o.Service))
	line("CardCountry", Field(o.Country))
	line("CardCarrier", Field(chosenCarrier(o.Carrier)))
	if p := strings.TrimSpace(o.PhoneNumber); p != "" {
		line("CardNumber", "<code>"+Field(p)+"</code>")
	}
	line("CardPrice", Field(l.amount(o.Price))) // "" (no line) when the API gave none
	line("CardStatus", l.statusLabel(o))
	if o.State == StateWaiting {
		line("CardTimeLeft", l.timeLeft(o.ExpiresAt, now))
	}
	if s := l.ruleLine(o, now); s != "" {
		sb.WriteString(s + "\n")
	}
	if o.HasSMS() {
		sb.WriteString("\n")
		sb.WriteString(l.smsBlock(o.SMS))
	}
	return strings.TrimRight(sb.String(), "\n")
}

// ruleLine says when the user's rule acts on an order still waiting for
// its SMS: "⏱ Refund in 4 min if no SMS"; "" when it will not, or the
// number has expired.
func (l *Lang) ruleLine(o Order, now time.Time) string {
	if !o.awaitsRule(now) {
		return ""
	}
	left := o.RuleAt.Sub(now).Round(time.Second)
	switch {
	case left <= 0 && o.RuleReplaces:
		return l.t("CardAutoNewSoon", nil)
	case left <= 0:
		return l.t("CardAutoRefundSoon", nil)
	case o.RuleReplaces:
		return l.t("CardAutoNew", args{"Time": l.Duration(left)})
	}
	return l.t("CardAutoRefund", args{"Time": l.Duration(left)})
}

// underRule reports whether the user's rule is set to act on o, which
// still waits for its first SMS.
func (o Order) underRule() bool {
	return !o.RuleAt.IsZero() && o.State == StateWaiting && !o.HasSMS()
}

// awaitsRule is underRule for a number still rented at now.
func (o Order) awaitsRule(now time.Time) bool {
	return o.underRule() && (o.ExpiresAt.IsZero() || o.ExpiresAt.After(now))
}

// chosenCarrier is the carrier an order was bought for, "" when it was
// SMSOnline's "any": the card then leaves the line out, as the offer's name
// does, since "any" names no carrier the number has.
func chosenCarrier(carrier string) string {
	if strings.EqualFold(strings.TrimSpace(carrier), "any") {
		return ""
	}
	return carrier
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
		parts = append(parts, l.watchStatus(w, now)...)
		line := "\n" + l.t("WatchListLine", args{"Order": Escape(w.OrderID), "Details": strings.Join(parts, l.t("Separator", nil))})
		if room -= UTF16Len(line); room < 0 && i > 0 {
			sb.WriteString("\n" + l.t("WatchListMore", args{"Count": len(watches) - i}))
			break
		}
		sb.WriteString(line)
	}
	sb.WriteString(footer)
	return sb.String()
}

// watchStatus is what /orders says of a watch's order: paused, or its state
// in l's words (a status word the bot does not know, as SMSOnline gave it)
// and, while the number is rented, the time it has left.
func (l *Lang) watchStatus(w Watch, now time.Time) []string {
	var status string
	switch s := strings.TrimSpace(w.Status); {
	case w.Paused:
		return []string{l.t("WatchPaused", nil)}
	case w.State == StateReceived:
		status = l.t("WatchReceived", nil)
	case w.State == StateFinal:
		return []string{l.Status(s)} // ended: no time left to show
	case s != "" && !isWaitingWord(s):
		status = Field(s)
	default:
		status = l.t("WatchWaiting", nil)
	}
	switch left := w.ExpiresAt.Sub(now); {
	case w.ExpiresAt.IsZero():
		return []string{status}
	case left <= 0:
		return []string{status, l.t("CardExpired", nil)}
	default:
		return []string{status, l.t("TimeLeft", args{"Time": l.Duration(left)})}
	}
}
