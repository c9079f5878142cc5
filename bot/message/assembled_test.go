package message

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// Texts the code puts together from pieces: each piece's punctuation,
// brackets and separators are the language's, from its catalogue.

// halfWidthByHan finds half-width punctuation next to a Chinese character,
// which a Chinese reader sees as a typo.
var halfWidthByHan = regexp.MustCompile(`\p{Han}[:(),;]|[:(),;]\p{Han}`)

func TestAssembledTextsUseTheLanguagesPunctuation(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	order := Order{ID: "20046875", Service: "WhatsApp", Country: "中国", Carrier: "China Mobile", PhoneNumber: "8613800000000",
		Price: Cents(16), Status: "pending", ExpiresAt: now.Add(14 * time.Minute)}
	coupons := []Coupon{{Code: "SAVE10", Percentage: 10, TargetPay: "crypto"}, {Code: "CARD5", Percentage: 5, TargetPay: "Card"},
		{Code: "ANY3", Percentage: 3}, {Code: "ODD1", Percentage: 1, TargetPay: "<odd>"}}
	watches := []Watch{{OrderID: "1", Service: "WhatsApp", Status: "pending", ExpiresAt: now.Add(time.Hour)},
		{OrderID: "2", Service: "Discord", Status: "completed", State: StateReceived, ExpiresAt: now.Add(-time.Minute)}}
	for _, l := range languages {
		push, _ := l.Push(Watch{OrderID: "1", Service: "WhatsApp"}, Order{PhoneNumber: "123", SMS: "1234"}, now)
		texts := map[string]string{
			"Card": l.Card(order, now), "Push": push, "WatchList": l.WatchList(watches, now),
			"OrderEnded": l.OrderEnded("1", "WhatsApp", "cancelled"), "OrderExpired": l.OrderExpired("1", "WhatsApp"),
			"TopUp": l.TopUp(Cents(500), time.Hour, "", false, coupons), "Offer": l.OfferOf(order),
		}
		sep := l.t("Separator", nil)
		for name, want := range map[string]string{
			"Card":         l.t("CardLine", args{"Label": l.t("CardService", nil), "Value": "WhatsApp"}),
			"Push":         "WhatsApp" + sep + "<code>123</code>",
			"WatchList":    l.t("WatchListLine", args{"Order": "1", "Details": "WhatsApp" + sep + l.t("WatchWaiting", nil) + sep + l.t("TimeLeft", args{"Time": l.Duration(time.Hour)})}),
			"OrderEnded":   l.t("OrderEndedOf", args{"Order": "1", "Service": "WhatsApp", "Status": l.Status("cancelled")}),
			"OrderExpired": l.t("OrderExpiredOf", args{"Order": "1", "Service": "WhatsApp"}),
			"TopUp": l.t("CouponItemFor", args{"Code": "SAVE10", "Percent": 10, "Target": l.t("CouponForCrypto", nil)}) + l.t("ListComma", nil) +
				l.t("CouponItemFor", args{"Code": "CARD5", "Percent": 5, "Target": l.t("CouponForCard", nil)}) + l.t("ListComma", nil) +
				l.t("CouponItem", args{"Code": "ANY3", "Percent": 3}) + l.t("ListComma", nil) +
				l.t("CouponItemFor", args{"Code": "ODD1", "Percent": 1, "Target": "&lt;odd&gt;"}),
			"Offer": "WhatsApp" + sep + "中国" + sep + "China Mobile",
		} {
			if !strings.Contains(texts[name], want) {
				t.Errorf("%s %s lacks %q:\n%s", l.Tag, name, want, texts[name])
			}
		}
		if l.Tag != "zh" {
			continue
		}
		for name, text := range texts {
			if m := halfWidthByHan.FindString(text); m != "" {
				t.Errorf("zh %s has half-width punctuation by Chinese (%q):\n%s", name, m, text)
			}
		}
	}
}

// TestAnyCarrierIsLeftOut: SMSOnline's "any" names no carrier, so neither
// the card nor the offer's name shows it, in any language or case.
func TestAnyCarrierIsLeftOut(t *testing.T) {
	for _, l := range languages {
		for _, carrier := range []string{"any", "ANY", " Any "} {
			o := Order{ID: "1", Service: "WhatsApp", Country: "US", Carrier: carrier}
			if card := l.Card(o, time.Time{}); strings.Contains(card, l.t("CardCarrier", nil)) || strings.Contains(strings.ToLower(card), "any") {
				t.Errorf("%s card with carrier %q:\n%s", l.Tag, carrier, card)
			}
			if offer := l.OfferOf(o); offer != "WhatsApp"+l.t("Separator", nil)+"US" {
				t.Errorf("%s offer with carrier %q: %q", l.Tag, carrier, offer)
			}
		}
	}
}

// TestWatchListWordsTheStatus: /orders says an order's state in the user's
// language, not SMSOnline's word, and an ended order has no time left to
// show; a word the bot does not know is shown as given, escaped.
func TestWatchListWordsTheStatus(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, l := range languages {
		sep := l.t("Separator", nil)
		for _, tt := range []struct {
			w    Watch
			want string
		}{
			{Watch{Status: "completed", State: StateReceived, ExpiresAt: now.Add(-time.Minute)}, l.t("WatchReceived", nil) + sep + l.t("CardExpired", nil)},
			{Watch{Status: "expired", State: StateFinal, ExpiresAt: now.Add(-time.Minute)}, l.Status("expired")},
			{Watch{Status: "Cancelled", State: StateFinal, ExpiresAt: now.Add(time.Minute)}, l.Status("cancelled")},
			{Watch{Status: "<retrying>", ExpiresAt: now.Add(time.Minute)}, "&lt;retrying&gt;" + sep + l.t("TimeLeft", args{"Time": l.Duration(time.Minute)})},
			{Watch{Status: "pending"}, l.t("WatchWaiting", nil)},
		} {
			tt.w.OrderID = "7"
			want := l.t("WatchListLine", args{"Order": "7", "Details": tt.want}) + "\n"
			if got := l.WatchList([]Watch{tt.w}, now); !strings.Contains(got, want) {
				t.Errorf("%s: status %q shows\n%s\nwant the line %q", l.Tag, tt.w.Status, got, want)
			}
		}
	}
}

// TestMoneyGroupsThousandsAsTheLanguageDoes: "$1,000.00" reads as about one
// dollar to a Russian reader, who groups with a (narrow no-break) space.
func TestMoneyGroupsThousandsAsTheLanguageDoes(t *testing.T) {
	for tag, want := range map[string]string{"en": "$1,234,567.89", "ru": "$1\u202f234\u202f567.89", "zh": "$1,234,567.89"} {
		l := ByTag(tag)
		if got := l.Money(Cents(123456789)); got != want {
			t.Errorf("%s.Money = %q, want %q", tag, got, want)
		}
		if got := l.Money(Cents(-99999)); got != "-$999.99" {
			t.Errorf("%s.Money(-99999) = %q, want -$999.99", tag, got)
		}
		if text := l.BalanceArrived(Cents(100000), Cents(100050)); !strings.Contains(text, l.Money(Cents(100050))) {
			t.Errorf("%s: balance not in the language's grouping: %q", tag, text)
		}
	}
	// A command to copy is never grouped: /topup takes no separator.
	if got := ByTag("ru").TopUp(Cents(123450), time.Hour, "", false, []Coupon{{Code: "C"}}); !strings.Contains(got, "/topup 1234.50 C") {
		t.Errorf("ru /topup hint is grouped:\n%s", got)
	}
}

// TestBoughtSaysWhereTheCodeGoes: a number bought from a card in a group
// has its codes sent to the private chat, and the card says so.
func TestBoughtSaysWhereTheCodeGoes(t *testing.T) {
	for _, l := range languages {
		o := Order{ID: "1", Service: "WhatsApp"}
		if got := l.Bought(o, time.Time{}, true); !strings.HasSuffix(got, l.T(Watching)) {
			t.Errorf("%s bought in the private chat:\n%s", l.Tag, got)
		}
		if got := l.Bought(o, time.Time{}, false); !strings.HasSuffix(got, l.T(WatchingPrivately)) {
			t.Errorf("%s bought in a group:\n%s", l.Tag, got)
		}
	}
}
