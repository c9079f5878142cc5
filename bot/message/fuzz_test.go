package message

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/smsbot/smsbot/bot/telegramtest"
)

// The fuzz targets below replay their seeds (f.Add and testdata/fuzz) in every
// go test run. To search further, run one at a time, for example:
//
//	go test -run '^$' -fuzz '^FuzzOrderCard$' -fuzztime 60s -parallel 2 ./bot/message/

// addLongSeeds adds 100k-character texts as seeds of a go test run. A
// fuzzing run (-fuzz) leaves them out: the fuzzer minimizes every new
// interesting input for up to -fuzzminimizetime (60 s), and at this size
// that stalls it, at 0 execs/s for the whole run.
func addLongSeeds(f *testing.F, texts ...string) {
	if fl := flag.Lookup("test.fuzz"); fl != nil && fl.Value.String() != "" {
		return
	}
	for _, s := range texts {
		f.Add(s)
	}
}

// FuzzExtractCode feeds any text to ExtractCode. It must not panic; a code it
// finds is 4-8 ASCII digits that stand in the SMS as they are, or as two
// groups of three split by one '-' or ' '; and an SMS that is only a code is
// returned as it is.
func FuzzExtractCode(f *testing.F) {
	for _, s := range []string{
		"123456",
		" 4821 ",
		"Your Discord code is 583920. Don't share it.",
		"G-482913 is your Google verification code.",
		"WhatsApp code 123-456",
		"123 456",
		"Code 12345678 valid 10 min",
		"Call +14155550123 for help",
		"abc123",
		"",
		"Код: 5839",
		"Code 1234567890123",
	} {
		f.Add(s)
	}
	addLongSeeds(f, strings.Repeat("1 ", 50_000), "Code "+strings.Repeat("\u200b", 100_000)+" 583920")
	f.Fuzz(func(t *testing.T, sms string) {
		code := ExtractCode(sms)
		only := strings.TrimSpace(sms)
		if isASCIIDigits(only, 4, 8) && code != only {
			t.Fatalf("ExtractCode(%.300q) = %q, want the whole text %q", sms, code, only)
		}
		if code == "" {
			return
		}
		if !isASCIIDigits(code, 4, 8) {
			t.Fatalf("ExtractCode(%.300q) = %q, not 4-8 ASCII digits", sms, code)
		}
		if strings.Contains(sms, code) {
			return
		}
		if len(code) == 6 && (strings.Contains(sms, code[:3]+"-"+code[3:]) || strings.Contains(sms, code[:3]+" "+code[3:])) {
			return
		}
		t.Fatalf("ExtractCode(%.300q) = %q, which is not in the SMS", sms, code)
	})
}

func isASCIIDigits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// The message fuzz targets feed any strings as the API-provided fields of a
// message. rep repeats every such field up to 512 times (see repeat), so that
// the fuzzer reaches the long values a broken API could send; fuzzNow and an
// offset in seconds make the times.

var fuzzNow = time.Date(2025, 5, 17, 5, 50, 0, 0, time.UTC)

// maxValidIDLen is the longest id smsapi.ValidateOrderID lets through. Order
// ids reach the message builders only after that check (the user's command,
// or a watch stored after it), so the length of a message is checked for such
// ids only; its markup is checked for every id.
const maxValidIDLen = 64

// repeat returns s repeated by rep (1 to 512 times), capped at 8 KiB: well
// past the 300 units a field keeps, and small enough to keep the fuzzer fast.
func repeat(s string, rep uint16) string {
	const capBytes = 8 << 10
	n := int(rep%512) + 1
	if len(s) > 0 && n > capBytes/len(s) {
		n = max(capBytes/len(s), 1)
	}
	return strings.Repeat(s, n)
}

// fuzzMoney reads s as dollars with at most two decimals ("5", "$0.16");
// anything else is an amount the API did not give (Money{}).
func fuzzMoney(s string) Money {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "$"))
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) == 1 {
		frac += "0"
	}
	d, err := strconv.ParseUint(whole, 10, 32)
	c, cerr := strconv.ParseUint(cmp.Or(frac, "0"), 10, 8)
	if err != nil || cerr != nil || len(frac) > 2 {
		return Money{}
	}
	return Cents(int64(d)*100 + int64(c))
}

// fuzzTime is fuzzNow moved by offset seconds, or the zero time for offset 0
// (the API left the time out).
func fuzzTime(offset int64) time.Time {
	if offset == 0 {
		return time.Time{}
	}
	return fuzzNow.Add(time.Duration(offset) * time.Second)
}

// FuzzOrderCard renders an order card and the notices about a watched order
// from any API strings: each must be HTML Telegram accepts and fit in one
// message.
func FuzzOrderCard(f *testing.F) {
	f.Add("20046875", "Discord", "United States", "any", "1234567890", "16", "completed", "Your code is 583920", uint16(0), int64(600))
	f.Add("20046875", "<b>", "&amp", "a<b", "</code>", "1 & 2", "<retrying>", `"><i>`, uint16(0), int64(-60))
	f.Add("1", "\u202eDiscord\u200f", "\u200b", "\ufeff", "\u2060", "", "Cancelled", "\xed\xa0\x80\xff", uint16(0), int64(0))
	f.Add("x", "😀", "😀", "😀", "😀", "😀", "pending😀", "😀 123-456", uint16(311), int64(1200))
	f.Add("2004", "&", "<", ">", `"`, "'", "expired", "&#0;", uint16(400), int64(1<<62))
	f.Fuzz(func(t *testing.T, id, service, country, carrier, phone, price, status, sms string, rep uint16, expires int64) {
		o := Order{
			ID:          repeat(id, rep),
			Service:     repeat(service, rep),
			Country:     repeat(country, rep),
			Carrier:     repeat(carrier, rep),
			PhoneNumber: repeat(phone, rep),
			Price:       fuzzMoney(price),
			Status:      repeat(status, rep),
			State:       State(len(status) % 3), // any state with any status word
			SMS:         repeat(sms, rep),
			ExpiresAt:   fuzzTime(expires),
		}
		in := validUTF8(id, service, country, carrier, phone, price, status, sms)
		for _, l := range languages {
			checkMessage(t, l.Tag+" Card", l.Card(o, fuzzNow), true, in)
		}

		short := len(id) <= maxValidIDLen
		checkAll(t, "OrderNotFound", short, in, func(l *Lang) string { return l.OrderNotFound(id) })
		checkAll(t, "WatchedOrderGone", short, in, func(l *Lang) string { return l.WatchedOrderGone(id) })
		checkAll(t, "WatchGaveUp", short, in, func(l *Lang) string { return l.WatchGaveUp(id) })
		checkAll(t, "OrderExpired", short, in, func(l *Lang) string { return l.OrderExpired(id, o.Service) })
		checkAll(t, "OrderEnded", short, in, func(l *Lang) string { return l.OrderEnded(id, o.Service, o.Status) })
	})
}

// FuzzPushMessage renders the push of an SMS from any watch and order
// strings: the text must be HTML Telegram accepts and fit in one message, and
// the markup must be a keyboard whose copy button copies the code.
func FuzzPushMessage(f *testing.F) {
	f.Add("20046875", "Discord", "1234567890", "", "", "Your Discord code is 583920", uint16(0), int64(600), int64(0))
	f.Add("20046875", "", "", "<b>Discord", "+1 <555>", "a<b &amp 123-456 </i>", uint16(0), int64(0), int64(-5))
	f.Add("1", "\u202e", "\u200b\u2060\ufeff", "\u200f", " ", "\u200b1234\u200b", uint16(0), int64(0), int64(0))
	f.Add("x", "😀", "😀", "😀", "😀", "😀 12345678 😀", uint16(300), int64(1200), int64(60))
	f.Add("&lt;", "&", "<", "\xed\xa0\x80", "\xff", "\xff<1234>", uint16(511), int64(1<<62), int64(-1<<62))
	f.Fuzz(func(t *testing.T, orderID, watchService, watchPhone, service, phone, sms string, rep uint16, expires, watchExpires int64) {
		w := Watch{
			Owner: 7, OrderID: orderID,
			Service:     repeat(watchService, rep),
			PhoneNumber: repeat(watchPhone, rep),
			ExpiresAt:   fuzzTime(watchExpires),
		}
		o := Order{
			ID:          orderID,
			Service:     repeat(service, rep),
			PhoneNumber: repeat(phone, rep),
			SMS:         repeat(sms, rep),
			Status:      "completed",
			State:       StateReceived,
			ExpiresAt:   fuzzTime(expires),
		}
		in := validUTF8(orderID, watchService, watchPhone, service, phone, sms)
		for _, l := range languages[1:] {
			text, _ := l.Push(w, o, fuzzNow)
			checkMessage(t, l.Tag+" Push", text, len(orderID) <= maxValidIDLen, in)
		}
		text, keyboard := English.Push(w, o, fuzzNow) // the keyboard is checked once: its data is the same in every language
		markup := MarkupJSON(keyboard)
		checkMessage(t, "Push", text, len(orderID) <= maxValidIDLen, in)

		code := ExtractCode(o.SMS)
		var kb struct {
			InlineKeyboard [][]struct {
				Text         string `json:"text"`
				CallbackData string `json:"callback_data"`
				CopyText     *struct {
					Text string `json:"text"`
				} `json:"copy_text"`
			} `json:"inline_keyboard"`
		}
		if markup != "" {
			if err := json.Unmarshal([]byte(markup), &kb); err != nil {
				t.Fatalf("Push markup %s: %v", markup, err)
			}
		}
		// The actions after a code: on a push, answered with a new message;
		// only for an order id the bot takes back, that fits a button.
		rows := kb.InlineKeyboard
		if (Callback{Action: ActAnotherSMS, Owner: w.Owner, OrderID: orderID, FromPush: true}).Data() != "" {
			if len(rows) == 0 {
				t.Fatalf("Push for order %q has no action buttons: %s", orderID, markup)
			}
			for _, b := range rows[len(rows)-1] {
				c, ok := ParseCallback(b.CallbackData)
				if !ok || !c.FromPush || c.OrderID != orderID || c.Owner != w.Owner || strings.TrimSpace(b.Text) == "" {
					t.Fatalf("Push action button %+v: want a labelled push button for order %q", b, orderID)
				}
			}
			rows = rows[:len(rows)-1]
		}
		if code == "" {
			if len(rows) != 0 {
				t.Fatalf("Push without a code has a copy button: %s", markup)
			}
			return
		}
		if len(rows) != 1 || len(rows[0]) != 1 {
			t.Fatalf("Push markup %s: want one copy button", markup)
		}
		b := rows[0][0]
		if strings.TrimSpace(b.Text) == "" || b.CopyText == nil {
			t.Fatalf("Push markup %s: want a labelled copy button", markup)
		}
		if ct := b.CopyText.Text; ct != code || ct == "" || utf8.RuneCountInString(ct) > 256 {
			t.Fatalf("Push copy_text %q: want the code %q, 1-256 characters", ct, code)
		}
	})
}

// FuzzWatchList renders /orders from up to 255 watches with any stored
// strings: the text must be HTML Telegram accepts and fit in one message.
func FuzzWatchList(f *testing.F) {
	f.Add("20046875", "Discord", "pending", "active", uint8(3), uint16(0), int64(600))
	f.Add("20046875", "<b>", "a<b", "paused", uint8(1), uint16(0), int64(-60))
	f.Add("&amp", "\u202eDiscord", "\u200b\u2060\ufeff", "", uint8(0), uint16(0), int64(0))
	f.Add("20046875", "Discord", "pending", "active", uint8(50), uint16(0), int64(600))
	f.Add("\xff", "\xed\xa0\x80", "&", "\x00", uint8(255), uint16(511), int64(-1<<40))
	f.Fuzz(func(t *testing.T, orderID, service, status, state string, count uint8, rep uint16, expires int64) {
		watches := make([]Watch, int(count))
		for i := range watches {
			watches[i] = Watch{
				Owner: 7, OrderID: orderID,
				Paused:    state == "paused" || i%2 == 1,
				Service:   repeat(service, rep),
				Status:    repeat(status, rep),
				ExpiresAt: fuzzTime(expires),
			}
		}
		in := validUTF8(orderID, service, status, state)
		checkAll(t, "WatchList", len(orderID) <= maxValidIDLen, in, func(l *Lang) string { return l.WatchList(watches, fuzzNow) })
	})
}

// FuzzBalanceText renders the login confirmation and the balance from any
// balance strings and user id.
func FuzzBalanceText(f *testing.F) {
	f.Add("user_1", "1500", uint16(0))
	f.Add("<b>", "1 & 2 <3", uint16(0))
	f.Add("\u202eu\u200f", "\u200b\u2060\ufeff", uint16(0))
	f.Add("😀", "😀", uint16(400))
	f.Add("&amp", "\xed\xa0\x80\xff", uint16(511))
	f.Fuzz(func(t *testing.T, userID, amount string, rep uint16) {
		in := validUTF8(userID, amount)
		userID = repeat(userID, rep)
		b := Balance{Amount: fuzzMoney(amount)}
		checkAll(t, "LoginOK", true, in, func(l *Lang) string { return l.LoginOK(b, userID) })
		checkAll(t, "Balance", true, in, func(l *Lang) string { return l.Balance(b, userID) })
	})
}

// htmlTag matches one tag of a text that passed ValidateHTML; the builders
// write tags without attributes.
var htmlTag = regexp.MustCompile(`<[^>]*>`)

// checkMessage fails t unless text is HTML that Telegram accepts: valid by
// telegramtest.ValidateHTML, not empty, and, when checkLen is set, at most
// 4096 UTF-16 units once parsed. When the inputs were valid UTF-8 (every API
// string arrives as JSON, so it is), so must the text be.
// checkAll is checkMessage for the text in every language.
func checkAll(t *testing.T, name string, checkLen, utf8In bool, render func(*Lang) string) {
	t.Helper()
	for _, l := range languages {
		checkMessage(t, l.Tag+" "+name, render(l), checkLen, utf8In)
	}
}

func checkMessage(t *testing.T, name, text string, checkLen, utf8In bool) {
	t.Helper()
	if err := telegramtest.ValidateHTML(text); err != nil {
		t.Fatalf("%s: Telegram would refuse the text: %v\ntext: %q", name, err, text)
	}
	plain := html.UnescapeString(htmlTag.ReplaceAllString(text, ""))
	plain = strings.Trim(plain, " \t\n\r")
	if plain == "" {
		t.Fatalf("%s: empty message %q", name, text)
	}
	if n := utf16Units(plain); checkLen && n > 4096 {
		t.Fatalf("%s: message is %d UTF-16 units long, Telegram's limit is 4096\ntext starts: %q", name, n, text[:min(len(text), 300)])
	}
	if utf8In && !utf8.ValidString(text) {
		t.Fatalf("%s: valid UTF-8 in, invalid UTF-8 out: %q", name, text)
	}
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// utf16Units is the length of s as Telegram counts it.
func utf16Units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// TestWatchListFitsOneMessage pins what FuzzWatchList found: a list longer
// than one message shows the watches that fit, then how many more there are.
func TestWatchListFitsOneMessage(t *testing.T) {
	watches := make([]Watch, 200)
	for i := range watches {
		watches[i] = Watch{OrderID: strings.Repeat("9", 64), Service: "Discord", Status: "pending", ExpiresAt: fuzzNow.Add(10 * time.Minute)}
	}
	for _, l := range languages[1:] {
		checkMessage(t, l.Tag+" WatchList", l.WatchList(watches, fuzzNow), true, true)
	}
	text := English.WatchList(watches, fuzzNow)
	checkMessage(t, "WatchList", text, true, true)
	shown := strings.Count(text, "\n• ")
	if shown == 0 || shown >= len(watches) {
		t.Fatalf("WatchList shows %d of %d watches", shown, len(watches))
	}
	assertContains(t, text, "Watching 200 orders", fmt.Sprintf("… and %d more", len(watches)-shown), "/stop &lt;orderId&gt;")
}
