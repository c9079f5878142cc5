package message

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
)

// HistoryColumns is the header row of the history's CSV.
func HistoryColumns() []string {
	return []string{"ordered_at_utc", "order_id", "service", "country", "carrier", "phone_number", "price_usd", "status", "code"}
}

// csvTimeLayout is how the CSV writes a time, in UTC.
const csvTimeLayout = "2006-01-02 15:04:05"

// historyStatus is the status column's word for how a number ended: the
// same in every language, for spreadsheets and scripts.
func historyStatus(e HistoryEnd) string {
	switch e {
	case EndCode:
		return "code_received"
	case EndRefunded:
		return "refunded"
	case EndNoSMS:
		return "expired_no_sms"
	}
	return "waiting"
}

// HistoryCSV writes rows as CSV, UTF-8 with a header row (HistoryColumns()),
// quoted as RFC 4180 says, lines ending in CRLF. Values are written whole,
// not clipped as a message clips them; a line break inside a value is
// written as CRLF too (so "\r\n" and "\r" read back as "\n"). A value
// that a spreadsheet would run as a formula gets a leading "'" (csvCell).
// The code column holds the code found in the SMS, else the whole SMS.
func HistoryCSV(rows []HistoryRow) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.Write(HistoryColumns()); err != nil {
		return nil, fmt.Errorf("write csv header: %w", err)
	}
	for _, r := range rows {
		at, price := "", ""
		if !r.OrderedAt.IsZero() {
			at = r.OrderedAt.UTC().Format(csvTimeLayout)
		}
		if r.Price.Valid {
			price = csvDollars(r.Price.Cents)
		}
		code := ExtractCode(r.SMS)
		if code == "" {
			code = strings.TrimSpace(r.SMS)
		}
		record := []string{at, r.OrderID, r.Service, r.Country, r.Carrier, r.PhoneNumber, price, historyStatus(r.End), code}
		for i, v := range record {
			record[i] = csvCell(v)
		}
		if err := w.Write(record); err != nil {
			return nil, fmt.Errorf("write csv row %s: %w", r.OrderID, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return buf.Bytes(), nil
}

// csvCell is v as a CSV cell: line breaks made "\n" (encoding/csv writes
// them as CRLF), and a leading "'" when v starts with a character that
// makes a spreadsheet read a formula: = + - @, or a tab (OWASP's list; its
// carriage return is a line break here).
func csvCell(v string) string {
	v = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(v)
	if v != "" && strings.ContainsRune("=+-@\t", rune(v[0])) {
		return "'" + v
	}
	return v
}

// csvDollars writes cents as dollars with two decimals and no grouping:
// "0.16", "1234.50".
func csvDollars(cents int64) string {
	sign, n := "", uint64(cents)
	if cents < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}
