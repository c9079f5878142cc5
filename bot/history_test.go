package bot

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// /history: the account's numbers from its inventory, ten a page, this
// month's totals above them, and the CSV of every number read.

// historyNow is the bot's clock in the history tests: mid-March 2026, so
// "this month" does not depend on when the tests run.
var historyNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// historyOrders are 25 numbers, each with its own phone number
// (15550000000 + i), newest first: the first five this month and ended in
// every way (waiting $0.30, a code $0.16, refunded $0.20, expired $0.10,
// cancelled $0.12), the others in February, each with a code, $1.00.
func historyOrders() []smsapitest.Order {
	orders := make([]smsapitest.Order, 25)
	for i := range orders {
		o := smsapitest.NewOrder(fmt.Sprint(30000100 - i))
		o.PhoneNumber = fmt.Sprint(15550000000 + i)
		o.OrderedAt = historyNow.Add(-time.Duration(i+1) * time.Hour)
		o.Status, o.SMS, o.Price = smsapitest.StatusCompleted, fmt.Sprintf("Your code is %06d", i), 100
		if i >= 5 {
			o.OrderedAt = time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC).Add(-time.Duration(i) * time.Hour)
		}
		switch i {
		case 0:
			o.Status, o.SMS, o.Price = smsapitest.StatusWaiting, "", 30
		case 1:
			o.Price = 16
		case 2:
			o.Status, o.SMS, o.Price = smsapitest.StatusRefunded, "", 20
		case 3:
			o.Status, o.SMS, o.Price = smsapitest.StatusExpired, "", 10
		case 4:
			o.Status, o.SMS, o.Price = smsapitest.StatusCancelled, "", 12
		}
		orders[i] = o
	}
	return orders
}

// historyTotals are this month's totals of historyOrders: spent what was
// not refunded ($0.30 + $0.16 + $0.10 + $0.12), one code, three without.
var historyTotals = message.HistoryTotals{Spent: message.Cents(68), Refunded: message.Cents(20), WithCode: 1, WithoutCode: 3}

// newHistoryHarness is a bot on historyNow's clock with alice logged in
// and orders on her account, added oldest first, as a website would.
func newHistoryHarness(t *testing.T, orders []smsapitest.Order) *harness {
	t.Helper()
	h := newHarness(t, withConfig(func(c *Config) {
		c.Now = func() time.Time { return historyNow }
		c.CommandBurst = 100
	}))
	h.login()
	for _, o := range slices.Backward(orders) {
		h.sms.AddOrder(smsUser, o)
	}
	return h
}

// codeSpan finds the tap-to-copy values of a message: a history page's
// phone numbers.
var codeSpan = regexp.MustCompile(`<code>([^<]*)</code>`)

// pageNumbers are the phone numbers a history page shows, in order.
func pageNumbers(text string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// phones are the phone numbers of orders[from:to].
func phones(orders []smsapitest.Order, from, to int) []string {
	var out []string
	for _, o := range orders[from:to] {
		out = append(out, o.PhoneNumber)
	}
	return out
}

func TestHistoryPages(t *testing.T) {
	orders := historyOrders()
	h := newHistoryHarness(t, orders)
	reads := h.sms.RequestCount("inventory")

	first := h.say(alice, aliceChat, "/history")
	if got := pageNumbers(first.Text); !slices.Equal(got, phones(orders, 0, 10)) {
		t.Errorf("first page shows %v, want the newest ten %v", got, phones(orders, 0, 10))
	}
	assertContains(t, first.Text, en.T(message.HistoryTitle), en.HistoryMonth(historyTotals),
		en.HistoryEndLabel(message.EndWaiting), en.HistoryEndLabel(message.EndRefunded), en.HistoryEndLabel(message.EndNoSMS), en.HistoryEndLabel(message.EndCode))
	if got := join(labels(first.ReplyMarkup)...); got != join(en.T(message.ButtonHistoryOlder), en.T(message.ButtonExportCSV)) {
		t.Errorf("first page buttons %q", got)
	}
	older := buttonWith(t, first.ReplyMarkup, "h:1001:")

	h.tap(alice, aliceChat, first.MessageID, older)
	second := h.lastEdit(aliceChat, first.MessageID)
	if got := pageNumbers(second.Text); !slices.Equal(got, phones(orders, 10, 20)) {
		t.Errorf("second page shows %v, want %v", got, phones(orders, 10, 20))
	}
	assertContains(t, second.Text, en.HistoryMonth(historyTotals))
	if got := join(labels(second.ReplyMarkup)...); got != join(en.T(message.ButtonHistoryNewer), en.T(message.ButtonHistoryOlder), en.T(message.ButtonExportCSV)) {
		t.Errorf("second page buttons %q", got)
	}

	h.tap(alice, aliceChat, first.MessageID, "h:1001:2")
	last := h.lastEdit(aliceChat, first.MessageID)
	if got := pageNumbers(last.Text); !slices.Equal(got, phones(orders, 20, 25)) {
		t.Errorf("last page shows %v, want %v", got, phones(orders, 20, 25))
	}
	if got := join(labels(last.ReplyMarkup)...); got != join(en.T(message.ButtonHistoryNewer), en.T(message.ButtonExportCSV)) {
		t.Errorf("last page buttons %q", got)
	}

	// A number bought meanwhile shows at the top once the page is read
	// again: each page reads the inventory afresh.
	newest := smsapitest.NewOrder("30000200")
	newest.PhoneNumber, newest.OrderedAt = "15559999999", historyNow.Add(-time.Minute)
	h.sms.AddOrder(smsUser, newest)
	h.tap(alice, aliceChat, first.MessageID, "h:1001:0")
	if got := pageNumbers(h.lastEdit(aliceChat, first.MessageID).Text); len(got) != 10 || got[0] != "15559999999" || got[1] != orders[0].PhoneNumber {
		t.Errorf("first page again shows %v, want the new number first", got)
	}
	if got := h.sms.RequestCount("inventory") - reads; got != 4 {
		t.Errorf("%d inventory reads for a command and three pages, want 4", got)
	}

	// A page the bot never made is refused.
	if toast := h.tap(alice, aliceChat, first.MessageID, "h:1001:01"); toast != en.T(message.ButtonExpired) {
		t.Errorf("a forged page: toast %q", toast)
	}
}

// TestHistoryMonthTotals: the totals are of the month the bot's clock is
// in (UTC), whatever else the inventory holds: the same five numbers in
// March's last hour count, one bought a second after it does not.
func TestHistoryMonthTotals(t *testing.T) {
	orders := historyOrders()[:6]
	for i := range orders {
		orders[i].OrderedAt = time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	}
	orders[5].OrderedAt = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC) // a code, $1.00
	h := newHistoryHarness(t, nil)
	for _, o := range orders {
		h.sms.AddOrder(smsUser, o)
	}
	page := h.say(alice, aliceChat, "/history")
	assertContains(t, page.Text, en.HistoryMonth(historyTotals))
}

func TestHistoryEmptyAndNotLinked(t *testing.T) {
	h := newHistoryHarness(t, nil)
	if got := h.say(alice, aliceChat, "/history"); got.Text != en.T(message.HistoryEmpty) || got.ReplyMarkup != nil {
		t.Errorf("no numbers: %q %+v", got.Text, got.ReplyMarkup)
	}
	if got := h.say(bob, telegramtest.PrivateChat(bob), "/history"); got.Text != en.T(message.NeedLogin) {
		t.Errorf("not linked: %q", got.Text)
	}
}

func TestHistoryInGroupIsRefused(t *testing.T) {
	h := newHistoryHarness(t, historyOrders())
	reads := h.sms.RequestCount("inventory")
	got := h.say(alice, group, "/history@smsbot_test_bot")
	if got.Text != en.T(message.HistoryInGroup) || got.ReplyMarkup != nil || got.ReplyTo == 0 {
		t.Errorf("/history in a group = %q %+v (reply to %d), want the refusal quoting the command", got.Text, got.ReplyMarkup, got.ReplyTo)
	}
	assertNothingContains(t, h.tg, group.ID, "1555000")

	// Forged history buttons in the group show nothing either: the owner's
	// are refused as private, anyone else's as someone else's.
	if toast := h.tap(alice, group, got.MessageID, "h:1001:0"); toast != en.T(message.ToastHistoryPrivate) {
		t.Errorf("alice's page button in the group: toast %q", toast)
	}
	if toast := h.tap(alice, group, got.MessageID, "E:1001:0"); toast != en.T(message.ToastHistoryPrivate) {
		t.Errorf("alice's export button in the group: toast %q", toast)
	}
	if toast := h.tap(bob, group, got.MessageID, "E:1001:0"); toast != en.T(message.NotYourCard) {
		t.Errorf("bob pressing alice's export: toast %q", toast)
	}
	if n := h.sms.RequestCount("inventory") - reads; n != 0 {
		t.Errorf("%d inventory reads, want none", n)
	}
	if len(h.tg.SentTo(group.ID)) != 1 || len(h.tg.Edits()) != 0 || len(h.tg.Documents()) != 0 {
		t.Errorf("the group got %d messages, %d edits and %d documents, want the refusal only",
			len(h.tg.SentTo(group.ID)), len(h.tg.Edits()), len(h.tg.Documents()))
	}
}

// historyHostile are service names a CSV must carry exactly, and those a
// spreadsheet would run, which get a leading "'".
var historyHostile = []struct{ name, cell string }{
	{"Evil, \"Corp\"\nsecond line", "Evil, \"Corp\"\nsecond line"},
	{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
	{"+Plus", "'+Plus"},
	{"-Minus", "'-Minus"},
	{"@At", "'@At"},
	{"Сбербанк «Онлайн», 微信", "Сбербанк «Онлайн», 微信"},
	{strings.Repeat("Long service name, ", 300), strings.TrimSpace(strings.Repeat("Long service name, ", 300))},
}

func TestHistoryExport(t *testing.T) {
	orders := historyOrders()
	for i, hs := range historyHostile {
		orders[i].Service = hs.name
	}
	h := newHistoryHarness(t, orders)
	page := h.say(alice, aliceChat, "/history") // the long name is clipped: Telegram took the page
	export := buttonWith(t, page.ReplyMarkup, "E:1001:")
	edits := len(h.tg.Edits())

	// The first try meets flood control; the bot waits and sends it again.
	h.tg.InjectFault(telegramtest.Fault{Method: "sendDocument", Code: 429, RetryAfter: 1, Times: 1})
	if toast := h.tap(alice, aliceChat, page.MessageID, export); toast != en.T(message.ToastExported) {
		t.Errorf("export toast %q", toast)
	}
	docs := h.tg.DocumentsTo(aliceChat.ID)
	if len(docs) != 1 || len(h.tg.CallsTo("sendDocument")) != 2 {
		t.Fatalf("%d documents in %d calls, want one after a 429", len(docs), len(h.tg.CallsTo("sendDocument")))
	}
	doc := docs[0]
	if doc.FileName != "smsonline-history-2026-03-14.csv" || doc.Caption != en.HistoryCSVCaption() {
		t.Errorf("document %q with caption %q", doc.FileName, doc.Caption)
	}
	if len(h.tg.Edits()) != edits {
		t.Error("exporting changed the page")
	}

	records, err := csv.NewReader(bytes.NewReader(doc.Data)).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv can't read the export: %v\n%s", err, doc.Data)
	}
	if !slices.Equal(records[0], message.HistoryColumns()) {
		t.Errorf("header %q", records[0])
	}
	if len(records)-1 != len(orders) {
		t.Fatalf("%d rows, want every number read: %d", len(records)-1, len(orders))
	}
	statuses := []string{"waiting", "code_received", "refunded", "expired_no_sms", "expired_no_sms"}
	for i, o := range orders {
		service := o.Service
		if i < len(historyHostile) {
			service = historyHostile[i].cell
		}
		status, code := "code_received", fmt.Sprintf("%06d", i)
		if i < len(statuses) {
			status = statuses[i]
		}
		if o.SMS == "" {
			code = ""
		}
		want := []string{
			o.OrderedAt.UTC().Format("2006-01-02 15:04:05"), o.ID, service, o.Country, o.Carrier, o.PhoneNumber,
			fmt.Sprintf("%d.%02d", o.Price/100, o.Price%100), status, code,
		}
		if !slices.Equal(records[i+1], want) {
			t.Errorf("row %d = %q\nwant     %q", i+1, records[i+1], want)
		}
	}
}

// TestHistoryKeepsTheLastNumbers: of more numbers than SMSOnline's list
// holds, the history keeps the newest smsapi.HistoryLimit and says older
// ones are missing; the CSV has those it kept.
func TestHistoryKeepsTheLastNumbers(t *testing.T) {
	orders := make([]smsapitest.Order, smsapi.HistoryLimit+5)
	for i := range orders {
		o := smsapitest.NewOrder(fmt.Sprint(40000000 - i))
		o.Status, o.SMS = smsapitest.StatusCompleted, "123456"
		o.OrderedAt = historyNow.Add(-time.Duration(i+1) * time.Minute)
		orders[i] = o
	}
	h := newHistoryHarness(t, orders)
	page := h.say(alice, aliceChat, "/history")
	assertContains(t, page.Text, fmt.Sprintf("Numbers 1–10 of %d", smsapi.HistoryLimit), "SMSOnline lists only your last")
	h.tap(alice, aliceChat, page.MessageID, buttonWith(t, page.ReplyMarkup, "E:1001:"))
	records, err := csv.NewReader(bytes.NewReader(h.tg.WaitDocuments(t, aliceChat.ID, 1, 5*time.Second)[0].Data)).ReadAll()
	if err != nil || len(records) != smsapi.HistoryLimit+1 || records[1][1] != "40000000" || records[smsapi.HistoryLimit][1] != fmt.Sprint(40000000-smsapi.HistoryLimit+1) {
		t.Errorf("CSV of %d records (%v), want the newest %d numbers", len(records)-1, err, smsapi.HistoryLimit)
	}
}
