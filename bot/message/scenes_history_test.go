package message

import (
	"fmt"
	"time"
)

// sceneHistory is an account's numbers as /history reads them, newest
// first: 23 numbers, the first dozen this month (renderNow's March), the
// rest in February, in every way a number ends.
func sceneHistory() []HistoryRow {
	first := HistoryRow{
		OrderedAt: renderNow.Add(-8 * time.Minute), OrderID: sceneOrder, Service: sceneService, Country: sceneCountry,
		Carrier: "any", PhoneNumber: scenePhone, Price: Cents(16), End: EndWaiting,
	}
	variants := []func(*HistoryRow){
		func(r *HistoryRow) {},
		func(r *HistoryRow) { r.End, r.SMS = EndCode, sceneSMSCode },
		func(r *HistoryRow) {
			r.End, r.Service, r.Country, r.PhoneNumber = EndRefunded, sceneService2, sceneCountry2, scenePhone2
		},
		func(r *HistoryRow) { r.End, r.Carrier, r.Price = EndNoSMS, sceneCarrier, Cents(25) },
		func(r *HistoryRow) { r.End, r.Service, r.Price = EndCode, sceneLongName, Cents(1516) },
		func(r *HistoryRow) { r.End, r.Price = EndNoSMS, Money{} },
	}
	rows := make([]HistoryRow, 23)
	for i := range rows {
		r := first
		r.OrderID = fmt.Sprint(20046875 - i)
		r.OrderedAt = first.OrderedAt.Add(-time.Duration(i) * 31 * time.Hour)
		variants[i%len(variants)](&r)
		if i > 0 && r.End == EndWaiting { // only the newest is still rented
			r.End, r.SMS = EndCode, "123456"
		}
		rows[i] = r
	}
	rows[len(rows)-1].OrderedAt = time.Time{} // SMSOnline sent no time
	return rows
}

// historyScenes: /history's pages (bot/history.go), empty, one page, the
// first, a middle and the last of three, one that reached SMSOnline's
// limit, and what the group and the buttons answer.
func historyScenes(l *Lang, s *scenes) {
	rows := sceneHistory()
	page := func(name string, h History) {
		text, kb := l.History(sceneOwner, h)
		s.add("History/"+name, text, kb)
	}
	page("Empty", History{Now: renderNow, Limit: 100})
	page("OnePage", History{Rows: rows[:4], Now: renderNow, Limit: 100})
	page("First", History{Rows: rows, Now: renderNow, Limit: 100})
	page("Middle", History{Rows: rows, Page: 1, Now: renderNow, Limit: 100})
	page("Last", History{Rows: rows, Page: 2, Now: renderNow, Limit: 100})
	page("Limited", History{Rows: rows[:20], Page: 1, Now: renderNow, Limit: 20})
	s.add("History/InGroup", l.T(HistoryInGroup), nil)
	s.add("History/CSVCaption", l.HistoryCSVCaption(), nil)
	for _, id := range []Text{ToastExported, ToastHistoryPrivate} {
		s.plain("Toast/"+string(id), l.T(id))
	}
}
