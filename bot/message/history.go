package message

import (
	"strconv"
	"strings"
	"time"
)

// Texts of /history: the account's numbers, newest first, a page at a time
// under this month's totals, and the CSV of them all (csv.go).

// HistoryEnd is how a number of the history ended, as far as the user
// cares: a code, the money back, neither, or not yet.
type HistoryEnd int

const (
	EndWaiting  HistoryEnd = iota // still rented and no SMS yet
	EndCode                       // an SMS arrived
	EndRefunded                   // refunded: its price went back to the balance
	EndNoSMS                      // ended without an SMS and not refunded (expired, cancelled)
)

// HistoryRow is one number of the history.
type HistoryRow struct {
	OrderedAt   time.Time // zero when unknown
	OrderID     string
	Service     string
	Country     string
	Carrier     string
	PhoneNumber string
	Price       Money
	End         HistoryEnd
	SMS         string // the SMS received, "" for none
}

// HistoryTotals are what a month's numbers came to.
type HistoryTotals struct {
	Spent       Money // the prices of the numbers not refunded
	Refunded    Money // the prices that went back to the balance
	WithCode    int   // numbers that got a code
	WithoutCode int   // numbers that got none: refunded, or ended without an SMS
}

// MonthTotals adds up the rows ordered in now's calendar month in UTC. A
// row of unknown time is in no month; one of unknown price is counted but
// adds no money. A number still waiting is spent (it was paid for) and
// counted in neither WithCode nor WithoutCode.
func MonthTotals(rows []HistoryRow, now time.Time) HistoryTotals {
	y, m, _ := now.UTC().Date()
	start := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	t := HistoryTotals{Spent: Cents(0), Refunded: Cents(0)}
	for _, r := range rows {
		if r.OrderedAt.Before(start) || !r.OrderedAt.Before(end) {
			continue
		}
		switch r.End {
		case EndCode:
			t.WithCode++
		case EndRefunded, EndNoSMS:
			t.WithoutCode++
		}
		switch {
		case !r.Price.Valid:
		case r.End == EndRefunded:
			t.Refunded.Cents += r.Price.Cents
		default:
			t.Spent.Cents += r.Price.Cents
		}
	}
	return t
}

// HistoryPageSize is how many numbers a page of /history shows.
const HistoryPageSize = 10

// HistoryPages is how many pages n numbers take: at least one.
func HistoryPages(n int) int { return max(1, (n+HistoryPageSize-1)/HistoryPageSize) }

// History is what a page of /history shows.
type History struct {
	Rows  []HistoryRow // every number read, newest first
	Page  int          // the page to show, from 0; one out of range shows the nearest
	Now   time.Time    // for this month's totals
	Limit int          // the most numbers SMSOnline lists; Rows that long may miss older ones
}

// The caps of a history line's values, in UTF-16 units: ten lines of the
// longest fit one message with room to spare (Clip's 300 per value would
// not).
const (
	historyOfferUnits  = 64
	historyNumberUnits = 32
)

// History is /history's answer: this month's totals, one page of numbers
// and the buttons to page and to export them all.
func (l *Lang) History(owner int64, h History) (string, *Keyboard) {
	if len(h.Rows) == 0 {
		return l.T(HistoryEmpty), nil
	}
	pages := HistoryPages(len(h.Rows))
	page := min(max(h.Page, 0), pages-1)
	from, to := page*HistoryPageSize, min(len(h.Rows), (page+1)*HistoryPageSize)
	var sb strings.Builder
	sb.WriteString(l.T(HistoryTitle) + "\n\n" + l.HistoryMonth(MonthTotals(h.Rows, h.Now)))
	if h.Limit > 0 && len(h.Rows) >= h.Limit {
		sb.WriteString("\n" + l.t("HistoryLimited", args{"Max": h.Limit}))
	}
	for _, r := range h.Rows[from:to] {
		sb.WriteString("\n\n" + l.historyLine(r))
	}
	sb.WriteString("\n\n" + l.t("HistoryShown", args{"From": from + 1, "To": to, "Count": len(h.Rows)}))
	return sb.String(), l.historyKeyboard(owner, page, pages)
}

// HistoryMonth is the history's totals of this month.
func (l *Lang) HistoryMonth(t HistoryTotals) string {
	return l.t("HistoryMonth", args{
		"Spent": l.Money(t.Spent), "Refunded": l.Money(t.Refunded), "WithCode": t.WithCode, "WithoutCode": t.WithoutCode,
	})
}

// historyLine is one number of a page: when, what, the number, the price
// and how it ended.
func (l *Lang) historyLine(r HistoryRow) string {
	date := l.t("HistoryDateUnknown", nil)
	if !r.OrderedAt.IsZero() {
		date = r.OrderedAt.UTC().Format("2006-01-02 15:04")
	}
	sep := l.t("Separator", nil)
	var details []string
	if n := clipUnits(Clip(r.PhoneNumber), historyNumberUnits); n != "" {
		details = append(details, "<code>"+Escape(n)+"</code>")
	}
	if r.Price.Valid {
		details = append(details, l.amount(r.Price))
	}
	details = append(details, l.HistoryEndLabel(r.End))
	return l.t("HistoryLine", args{
		"Date":    date,
		"Offer":   Escape(clipUnits(l.offerText(r.Service, r.Country, r.Carrier), historyOfferUnits)),
		"Details": strings.Join(details, sep),
	})
}

// HistoryEndLabel words how a number ended.
func (l *Lang) HistoryEndLabel(e HistoryEnd) string {
	switch e {
	case EndCode:
		return l.t("HistoryEndCode", nil)
	case EndRefunded:
		return l.t("HistoryEndRefunded", nil)
	case EndNoSMS:
		return l.t("HistoryEndNoSMS", nil)
	}
	return l.t("HistoryEndWaiting", nil)
}

// historyKeyboard pages through the history (the newer page to the left)
// and exports it all. The pages' buttons name the page they show.
func (l *Lang) historyKeyboard(owner int64, page, pages int) *Keyboard {
	c := func(action string, page int) Callback {
		return Callback{Action: action, Owner: owner, OrderID: strconv.Itoa(page)}
	}
	var nav, export buttons
	if page > 0 {
		nav.add(l.T(ButtonHistoryNewer), c(ActHistoryPage, page-1))
	}
	if page < pages-1 {
		nav.add(l.T(ButtonHistoryOlder), c(ActHistoryPage, page+1))
	}
	export.add(l.T(ButtonExportCSV), c(ActHistoryExport, page))
	return Rows(nav, export)
}

// maxHistoryPage bounds the page a button may name: far more than
// SMSOnline's list fills.
const maxHistoryPage = 999

// ParseHistoryPage reads the page a history button names (its "order"
// field): digits as the bot writes them, "0" to "999".
func ParseHistoryPage(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxHistoryPage || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// HistoryCSVCaption is the caption of the history's CSV file.
func (l *Lang) HistoryCSVCaption() string { return l.t("HistoryCSVCaption", nil) }
