package message

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// historyNow is the clock of the history tests: mid-March 2026, UTC.
var historyNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// TestMonthTotals: this month's totals in UTC, with numbers that got a
// code, were refunded, expired or were cancelled without one, still wait,
// or lie outside the month.
func TestMonthTotals(t *testing.T) {
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	row := func(at time.Time, end HistoryEnd, cents int64) HistoryRow {
		return HistoryRow{OrderedAt: at, End: end, Price: Cents(cents)}
	}
	tests := []struct {
		name string
		rows []HistoryRow
		want HistoryTotals
	}{
		{"none", nil, HistoryTotals{Spent: Cents(0), Refunded: Cents(0)}},
		{"every ending", []HistoryRow{
			row(march.Add(time.Hour), EndCode, 16),
			row(march.Add(2*time.Hour), EndRefunded, 20),
			row(march.Add(3*time.Hour), EndNoSMS, 10), // expired
			row(march.Add(4*time.Hour), EndNoSMS, 12), // cancelled: not refunded, so spent
			row(historyNow.Add(-time.Minute), EndWaiting, 30),
		}, HistoryTotals{Spent: Cents(16 + 10 + 12 + 30), Refunded: Cents(20), WithCode: 1, WithoutCode: 3}},
		{"the month's bounds, in UTC", []HistoryRow{
			row(march, EndCode, 1),                         // its first instant
			row(march.Add(-time.Nanosecond), EndCode, 100), // February
			row(march.AddDate(0, 1, 0).Add(-time.Second), EndRefunded, 2),
			row(march.AddDate(0, 1, 0), EndRefunded, 200), // April
			// 00:30 on 1 March in Moscow is still February in UTC.
			row(time.Date(2026, 3, 1, 0, 30, 0, 0, time.FixedZone("MSK", 3*3600)), EndNoSMS, 400),
		}, HistoryTotals{Spent: Cents(1), Refunded: Cents(2), WithCode: 1, WithoutCode: 1}},
		{"unknown time or price", []HistoryRow{
			{End: EndCode, Price: Cents(500)}, // no time: in no month
			{OrderedAt: march, End: EndCode},  // no price: counted, adds nothing
			{OrderedAt: march, End: EndRefunded},
		}, HistoryTotals{Spent: Cents(0), Refunded: Cents(0), WithCode: 1, WithoutCode: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MonthTotals(tt.rows, historyNow); got != tt.want {
				t.Errorf("MonthTotals = %+v, want %+v", got, tt.want)
			}
		})
	}
	// The month is now's in UTC, whatever zone now is written in.
	late := time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC)
	tokyo := late.In(time.FixedZone("JST", 9*3600)) // 1 April there
	rows := []HistoryRow{row(late, EndCode, 16)}
	if got := MonthTotals(rows, tokyo); got.WithCode != 1 || got.Spent != Cents(16) {
		t.Errorf("MonthTotals at %v = %+v, want March's", tokyo, got)
	}
}

// historyRows are n numbers, newest first, each with its own phone number
// (100000, 100001...) to tell them apart on a page.
func historyRows(n int) []HistoryRow {
	rows := make([]HistoryRow, n)
	for i := range rows {
		rows[i] = HistoryRow{
			OrderedAt: historyNow.Add(-time.Duration(i) * time.Hour), OrderID: fmt.Sprint(5000 - i),
			Service: "Discord", Country: "United States", Carrier: "any", PhoneNumber: fmt.Sprint(100000 + i),
			Price: Cents(16), End: EndCode,
		}
	}
	return rows
}

// shownNumbers are the rows' phone numbers a page shows, in order.
func shownNumbers(text string, rows []HistoryRow) []string {
	var out []string
	type at struct {
		i   int
		num string
	}
	var found []at
	for _, r := range rows {
		if i := strings.Index(text, "<code>"+r.PhoneNumber+"</code>"); i >= 0 {
			found = append(found, at{i, r.PhoneNumber})
		}
	}
	slices.SortFunc(found, func(a, b at) int { return a.i - b.i })
	for _, f := range found {
		out = append(out, f.num)
	}
	return out
}

func TestHistoryPaging(t *testing.T) {
	rows := historyRows(25)
	numbers := func(from, to int) []string {
		var out []string
		for _, r := range rows[from:to] {
			out = append(out, r.PhoneNumber)
		}
		return out
	}
	tests := []struct {
		page      int
		want      []string
		shown     string // HistoryShown's numbers
		buttons   []string
		wantPages []string // the pages the buttons name
	}{
		{0, numbers(0, 10), "1–10 of 25", []string{"Older ▶", "📄 Export CSV"}, []string{"h:7:1", "E:7:0"}},
		{1, numbers(10, 20), "11–20 of 25", []string{"◀ Newer", "Older ▶", "📄 Export CSV"}, []string{"h:7:0", "h:7:2", "E:7:1"}},
		{2, numbers(20, 25), "21–25 of 25", []string{"◀ Newer", "📄 Export CSV"}, []string{"h:7:1", "E:7:2"}},
		{7, numbers(20, 25), "21–25 of 25", []string{"◀ Newer", "📄 Export CSV"}, []string{"h:7:1", "E:7:2"}}, // past the end: the last
		{-1, numbers(0, 10), "1–10 of 25", []string{"Older ▶", "📄 Export CSV"}, []string{"h:7:1", "E:7:0"}},
	}
	for _, tt := range tests {
		text, kb := English.History(7, History{Rows: rows, Page: tt.page, Now: historyNow, Limit: 100})
		if got := shownNumbers(text, rows); !slices.Equal(got, tt.want) {
			t.Errorf("page %d shows %v, want %v", tt.page, got, tt.want)
		}
		assertContains(t, text, English.HistoryMonth(MonthTotals(rows, historyNow)), "Numbers "+tt.shown)
		if strings.Contains(text, "SMSOnline lists only") {
			t.Errorf("page %d of 25 numbers says the list is cut", tt.page)
		}
		var labels, data []string
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				labels, data = append(labels, b.Text), append(data, b.CallbackData)
			}
		}
		if !slices.Equal(labels, tt.buttons) || !slices.Equal(data, tt.wantPages) {
			t.Errorf("page %d buttons %q %q, want %q %q", tt.page, labels, data, tt.buttons, tt.wantPages)
		}
		for _, d := range data {
			c, ok := ParseCallback(d)
			if _, pageOK := ParseHistoryPage(c.OrderID); !ok || c.Owner != 7 || !pageOK {
				t.Errorf("button data %q parses as %+v, %v", d, c, ok)
			}
		}
	}

	// A short history is one page without paging; a full one says older
	// numbers may be missing.
	text, kb := English.History(7, History{Rows: rows[:3], Now: historyNow, Limit: 100})
	if got := shownNumbers(text, rows); !slices.Equal(got, numbers(0, 3)) || len(kb.InlineKeyboard) != 1 {
		t.Errorf("3 numbers: shown %v, keyboard %+v", got, kb)
	}
	text, _ = English.History(7, History{Rows: historyRows(100), Now: historyNow, Limit: 100})
	assertContains(t, text, English.t("HistoryLimited", args{"Max": 100}))
	if text, kb := English.History(7, History{Now: historyNow, Limit: 100}); text != English.T(HistoryEmpty) || kb != nil {
		t.Errorf("no numbers: %q %+v", text, kb)
	}
}

func TestParseHistoryPage(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "1": 1, "9": 9, "999": 999} {
		if got, ok := ParseHistoryPage(s); !ok || got != want {
			t.Errorf("ParseHistoryPage(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "-1", "+1", "01", "1000", "1e2", " 1", "a", "0x1", "99999999999999999999"} {
		if got, ok := ParseHistoryPage(s); ok {
			t.Errorf("ParseHistoryPage(%q) = %d, want refused", s, got)
		}
	}
	for _, data := range []string{"h:1001:2", "E:1001:0"} {
		if _, ok := ParseCallback(data); !ok {
			t.Errorf("ParseCallback(%q) refused", data)
		}
	}
	for _, data := range []string{"h:2", "E:0", "h:1001:1:p:p", "h:+1001:1"} {
		if c, ok := ParseCallback(data); ok {
			t.Errorf("ParseCallback(%q) = %+v, want refused", data, c)
		}
	}
}

// TestHistoryPageFitsOneMessage: ten numbers of the longest values
// SMSOnline could send still make one message Telegram takes, in every
// language, with the values escaped.
func TestHistoryPageFitsOneMessage(t *testing.T) {
	long := func(s string) string { return strings.Repeat(s, 5000) }
	rows := make([]HistoryRow, 30)
	for i := range rows {
		rows[i] = HistoryRow{
			OrderedAt: historyNow, OrderID: strings.Repeat("9", 64), Service: long("<b>&Ж"), Country: long("国"),
			Carrier: long("🚀"), PhoneNumber: long("&"), Price: Cents(1 << 40), End: EndNoSMS,
		}
	}
	for _, l := range languages {
		for page := range 3 {
			text, _ := l.History(1<<62, History{Rows: rows, Page: page, Now: historyNow, Limit: 30})
			checkMessage(t, fmt.Sprintf("%s History page %d", l.Tag, page), text, true, true)
			if strings.Contains(text, "<b>&") || strings.Count(text, "\n\n") < 10 {
				t.Fatalf("%s: values not escaped, or lines missing:\n%.600s", l.Tag, text)
			}
		}
	}
}

// TestHistoryCSV parses the CSV back with encoding/csv: the header, then
// each row as it was, hostile names included; a value a spreadsheet would
// run comes back with its leading "'".
func TestHistoryCSV(t *testing.T) {
	hostile := []string{
		`Google, "YouTube"` + "\nGmail",
		"=cmd|' /C calc'!A0",
		"+1 (555) 0100",
		"-2+3",
		"@SUM(A1:A2)",
		"\tTab",
		"Сбербанк, «Онлайн»",
		"微信,\"支付\"",
		"",
		" leading space, trailing space ",
	}
	var rows []HistoryRow
	var want [][]string
	for i, h := range hostile {
		r := HistoryRow{
			OrderedAt: time.Date(2026, 3, 14, 9, 5, 7, 0, time.FixedZone("X", 3600)).Add(-time.Duration(i) * time.Hour),
			OrderID:   fmt.Sprint(20046875 - i), Service: h, Country: "United States", Carrier: "any",
			PhoneNumber: "14155550123", Price: Cents(16 + int64(i)*100), End: HistoryEnd(i % 4),
			SMS: "Your code is 4821" + fmt.Sprint(i),
		}
		rows = append(rows, r)
		service := h
		if i >= 1 && i <= 5 {
			service = "'" + h
		}
		code := ""
		if r.End == EndCode {
			code = "4821" + fmt.Sprint(i)
		}
		want = append(want, []string{
			r.OrderedAt.UTC().Format("2006-01-02 15:04:05"), r.OrderID, service, "United States", "any", "14155550123",
			fmt.Sprintf("%d.%02d", (16+i*100)/100, (16+i*100)%100), historyStatus(r.End), code,
		})
	}
	// A number of unknown time and price, whose SMS holds no code, and one
	// whose phone number a spreadsheet would read as a formula.
	rows = append(rows, HistoryRow{OrderID: "-7", Service: "X", PhoneNumber: "+447700900123", End: EndCode, SMS: "Welcome!"})
	want = append(want, []string{"", "'-7", "X", "", "", "'+447700900123", "", "code_received", "Welcome!"})
	for i := range rows[:len(hostile)] {
		if rows[i].End != EndCode {
			rows[i].SMS = ""
		}
	}

	data, err := HistoryCSV(rows)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(data) || bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		t.Errorf("the CSV is not plain UTF-8: starts %q", data[:min(len(data), 8)])
	}
	if !bytes.HasPrefix(data, []byte("ordered_at_utc,order_id,service,country,carrier,phone_number,price_usd,status,code\r\n")) {
		t.Errorf("header line %q", bytes.SplitN(data, []byte("\n"), 2)[0])
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(HistoryColumns())
	got, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv can't read it back: %v\n%s", err, data)
	}
	if !slices.Equal(got[0], HistoryColumns()) {
		t.Errorf("header %q, want %q", got[0], HistoryColumns())
	}
	if len(got)-1 != len(want) {
		t.Fatalf("%d rows, want %d", len(got)-1, len(want))
	}
	for i, w := range want {
		if !slices.Equal(got[i+1], w) {
			t.Errorf("row %d = %q\nwant      %q", i, got[i+1], w)
		}
	}
	// Line breaks of every kind come back as "\n"; only a formula gets "'".
	data, _ = HistoryCSV([]HistoryRow{{Service: "a\r\nb\rc\nd", Country: "x=1", End: EndWaiting}})
	got, err = csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || got[1][2] != "a\nb\nc\nd" || got[1][3] != "x=1" || got[1][7] != "waiting" {
		t.Errorf("read back %q, %v", got, err)
	}
}

// FuzzHistoryCSV: whatever SMSOnline names a service, encoding/csv reads
// the CSV back as one header and one row, with the name as csvCell makes
// it: line breaks as "\n", a formula's first character behind a "'".
func FuzzHistoryCSV(f *testing.F) {
	for _, s := range []string{"Discord", `a,"b"`, "x\r\ny", "=1+1", "-", "@", "\t=x", "\"", "\n", "微信", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, service string) {
		if !utf8.ValidString(service) {
			return // SMSOnline's strings arrive as JSON: valid UTF-8
		}
		data, err := HistoryCSV([]HistoryRow{{OrderID: "1", Service: service, Price: Cents(16), End: EndCode}})
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil || len(records) != 2 {
			t.Fatalf("read back %q: %v, %d records", data, err, len(records))
		}
		want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(service)
		if want != "" && strings.ContainsRune("=+-@\t", rune(want[0])) {
			want = "'" + want
		}
		if got := records[1][2]; got != want {
			t.Errorf("service %q came back %q, want %q", service, got, want)
		}
	})
}
