package message

import (
	"strings"
	"testing"
	"time"
)

func TestEscapeNeutralisesMarkup(t *testing.T) {
	got := Escape(`<b>&"x"</b>`)
	want := "&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;"
	if got != want {
		t.Fatalf("Escape = %q, want %q", got, want)
	}
}

func TestOrderCard(t *testing.T) {
	now := time.Date(2025, 5, 17, 5, 50, 0, 0, time.UTC)
	base := Order{
		ID: "20046875", Service: "Discord", Country: "United States", Carrier: "any",
		PhoneNumber: "1234567890", Price: Cents(16),
		ExpiresAt: now.Add(17*time.Minute + 13*time.Second),
	}
	tests := []struct {
		name    string
		edit    func(*Order)
		want    []string
		notWant []string
	}{
		{
			name: "waiting",
			edit: func(o *Order) { o.Status = "pending" },
			want: []string{"<b>Order 20046875</b>", "Service: Discord", "Country: United States",
				"Number: <code>1234567890</code>", "Price: $0.16", "Status: ⏳ Waiting for SMS", "Time left: 17 min"},
			notWant: []string{"Code:", "Carrier"}, // "any" names no carrier, as in the offer's name
		},
		{
			name: "a chosen carrier",
			edit: func(o *Order) { o.Carrier = "tmobile" },
			want: []string{"Carrier: tmobile"},
		},
		{
			name:    "completed with a bare code",
			edit:    func(o *Order) { o.Status, o.State = "completed", StateReceived; o.SMS = "123456" },
			want:    []string{"Status: ✅ SMS received", "🔑 Code: <code>123456</code>"},
			notWant: []string{"Time left", "💬 SMS"},
		},
		{
			name: "completed with a full text",
			edit: func(o *Order) {
				o.Status, o.State = "completed", StateReceived
				o.SMS = "Your code is 583920 <don't share>"
			},
			want: []string{"🔑 Code: <code>583920</code>", "💬 SMS: <i>Your code is 583920 &lt;don't share&gt;</i>"},
		},
		{
			name:    "cancelled",
			edit:    func(o *Order) { o.Status, o.State = "Cancelled", StateFinal },
			want:    []string{"Status: ❌ cancelled"},
			notWant: []string{"Time left"},
		},
		{
			name: "unknown status word shown as given, escaped",
			edit: func(o *Order) { o.Status = "<retrying>" },
			want: []string{"Status: ⏳ &lt;retrying&gt;"},
		},
		{
			name: "expired while waiting",
			edit: func(o *Order) { o.Status = "pending"; o.ExpiresAt = now.Add(-time.Minute) },
			want: []string{"Time left: expired"},
		},
		{
			name: "hostile service name",
			edit: func(o *Order) { o.Service = `<a href="x">&</a>` },
			want: []string{"Service: &lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.edit(&o)
			card := English.Card(o, now)
			for _, w := range tt.want {
				if !strings.Contains(card, w) {
					t.Errorf("card lacks %q:\n%s", w, card)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(card, w) {
					t.Errorf("card has %q:\n%s", w, card)
				}
			}
		})
	}
}

func TestFieldCapsLength(t *testing.T) {
	got := Field(strings.Repeat("é", 5000))
	if n := len([]rune(got)); n != MaxFieldUnits+1 {
		t.Fatalf("Field kept %d runes, want %d", n, MaxFieldUnits+1)
	}
}

// TestClipStoresWhatFieldShows: a watch stores Clip(s) and a message shows
// Field of the stored value, which must be what Field(s) shows.
func TestClipStoresWhatFieldShows(t *testing.T) {
	for _, s := range []string{
		"Discord",
		"  padded  ",
		strings.Repeat("x", 300_000),
		strings.Repeat("x", MaxFieldUnits),
		strings.Repeat("x", MaxFieldUnits-1) + "😀", // the emoji would cross the cap
		strings.Repeat("😀", 1000),
		"<b>" + strings.Repeat("&", 1000),
	} {
		stored := Clip(s)
		if n := UTF16Len(stored); n > MaxFieldUnits+1 {
			t.Errorf("Clip kept %d UTF-16 units, want at most %d", n, MaxFieldUnits+1)
		}
		if Clip(stored) != stored || Field(stored) != Field(s) {
			t.Errorf("Clip of %.20q... is not stable: %q", s, stored)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	tests := map[time.Duration]string{
		45 * time.Second:                "45 s",
		14*time.Minute + 59*time.Second: "14 min",
		time.Hour:                       "1 h",
		time.Hour + 5*time.Minute:       "1 h 5 min",
	}
	for d, want := range tests {
		if got := English.Duration(d); got != want {
			t.Errorf("English.Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestWaitsRoundUp: whoever waits the time a wait shows has waited long
// enough ("90 s" is not "1 min"); the time left on a number rounds down
// instead, so it is not overstated either.
func TestWaitsRoundUp(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                  "1 s",
		300 * time.Millisecond:             "1 s",
		1200 * time.Millisecond:            "2 s",
		45 * time.Second:                   "45 s",
		90 * time.Second:                   "90 s",
		119*time.Second + time.Millisecond: "2 min",
		2*time.Minute + time.Second:        "3 min",
		59*time.Minute + 30*time.Second:    "1 h",
		time.Hour + time.Second:            "1 h 1 min",
	} {
		if got := English.Wait(d); got != want {
			t.Errorf("English.Wait(%v) = %q, want %q", d, got, want)
		}
	}
	for _, l := range languages {
		wait := l.Wait(90 * time.Second)
		for name, text := range map[string]string{
			"SlowDown": l.SlowDown(90 * time.Second), "ToastTooManyTaps": l.ToastTooManyTaps(90 * time.Second),
			"RateLimitedFor": l.RateLimited(90 * time.Second),
		} {
			if !strings.Contains(text, wait) {
				t.Errorf("%s %s = %q, want the wait %q", l.Tag, name, text, wait)
			}
		}
		if got, want := l.Card(Order{ID: "1", ExpiresAt: time.Unix(0, 0).Add(90 * time.Second)}, time.Unix(0, 0)), l.Duration(time.Minute); !strings.Contains(got, want) {
			t.Errorf("%s: 90 s left shows as\n%s\nwant %q (rounded down)", l.Tag, got, want)
		}
	}
}

func assertContains(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("message lacks %q:\n%s", w, text)
		}
	}
}

// TestBalanceShowsMoney: cents become dollars, the discount is shown, and
// the next tier says how much more to top up.
func TestBalanceShowsMoney(t *testing.T) {
	b := Balance{
		Amount: Cents(1234), TotalCharges: Cents(5000), DiscountRate: "-10%",
		Discounts: []DiscountTier{
			{From: Cents(8000), Label: "-20%"},
			{From: Cents(6000), Label: "-15%"},
			{From: Cents(4000), Label: "-10%"},
			{From: Cents(0), Label: "0%"},
		},
	}
	got := English.Balance(b, "u1")
	for _, want := range []string{"Balance: <b>$12.34</b>", "Discount: <b>-10%</b>", "Top up $10.00 more for -15%."} {
		if !strings.Contains(got, want) {
			t.Errorf("Balance = %q, want it to contain %q", got, want)
		}
	}
	if got := English.Balance(Balance{}, "u1"); !strings.Contains(got, "Balance: <b>unknown</b>") || strings.Contains(got, "Top up") {
		t.Errorf("Balance of an unreadable answer = %q", got)
	}
}
