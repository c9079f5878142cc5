package message

import (
	"strings"
	"testing"
)

const testNonce = "AAAAAAAAAAAA"

func TestCallbackRoundTrip(t *testing.T) {
	for _, c := range []Callback{
		{Action: ActRefresh, Owner: 1001, OrderID: "555"},
		{Action: ActAnotherSMS, Owner: 1001, OrderID: "555", FromPush: true},
		{Action: ActBuyAsk, Owner: 1001, OrderID: "555"},
		{Action: ActRefundAsk, Owner: 1 << 62, OrderID: "A-b_9"},
		{Action: ActBuy, Nonce: testNonce},
		{Action: ActRefund, Nonce: "-_09azAZ-_09"},
		{Action: ActFavourite, Owner: 1001, OrderID: "555"},
		{Action: ActUnfavourite, Owner: 1001, OrderID: "555"},
		{Action: ActFavouriteOffer, Nonce: testNonce},
		{Action: ActUnfavouriteOffer, Nonce: testNonce},
		{Action: ActFavouriteBuy, Owner: 1001, OrderID: "17"},
		{Action: ActFavouriteRemove, Owner: 1001, OrderID: "17"},
	} {
		data := c.Data()
		if data == "" || len(data) > MaxCallbackData {
			t.Fatalf("%+v: data %q", c, data)
		}
		got, ok := ParseCallback(data)
		if !ok || got != c {
			t.Errorf("ParseCallback(%q) = %+v, %v; want %+v", data, got, ok, c)
		}
	}
	if got, ok := ParseCallback("r:555"); !ok || got != (Callback{Action: ActRefresh, OrderID: "555"}) {
		t.Errorf("an old card's data = %+v, %v", got, ok)
	}
}

// TestCallbackRefusesWhatTheBotNeverMade: button data is client input. A
// money confirmation names only its stored nonce (an owner, an order or a
// ceiling in it is refused, not ignored), and ids are written exactly as
// the bot writes them.
func TestCallbackRefusesWhatTheBotNeverMade(t *testing.T) {
	for _, data := range []string{
		"", "r", "F:555", "b:555", "q:1001:555", "T:1001:555", "X:1001:555", "x:1001:555:k", "r:0:555", "r:-5:555", "r:abc:555", "r:1001:", "r:1001:5 5",
		"r:+1001:555", "r:01001:555", "r: 1001:555", "r:1001 :555", "r:1e3:555", "r:0x3e9:555",
		"r:99999999999999999999:555", "r:1001:../x", "r:1001:555:q", "r:1001:555:p:p", "r:1001:555:P",
		// Money confirmations of older versions carried the owner, the
		// order and the ceiling: they are not taken back.
		"B:1001:555", "B:1001:555:m20", "B:1001:555:kAAAAAAAA", "B:1001:555:m20:kAAAAAAAA",
		"F:1001:555", "F:1001:555:p",
		// A nonce is 12 characters of base64url.
		"B:AAAAAAAAAAA", "B:AAAAAAAAAAAAA", "B:AAAAAAAAAAA!", "B:AAAAAAAAAAA=", "F:" + testNonce + ":p",
		"B:" + testNonce + ":m10000", "b:1001:555:m20", "a:1001:555:p:m1:kAAAAAAAA:x",
		// The favourites' buttons: a confirmation's by its nonce only, the
		// others with their owner.
		"g:1001:555", "G:1001:555", "g:AAAAAAAAAAA", "v:555", "V:555", "e:17", "d:17", "e:1001:", "d:0:17",
	} {
		if c, ok := ParseCallback(data); ok {
			t.Errorf("ParseCallback(%q) = %+v, want refused", data, c)
		}
	}
}

func TestCallbackTooLongHasNoButton(t *testing.T) {
	long := strings.Repeat("9", 50)
	if d := (Callback{Action: ActRefresh, Owner: 1 << 40, OrderID: long, FromPush: true}).Data(); d != "" {
		t.Errorf("data %q (%d bytes) over Telegram's limit", d, len(d))
	}
	if kb := English.CardKeyboard(Order{}, 1001, long+strings.Repeat("9", 14), true, false); kb != nil {
		t.Errorf("a card for a 64-character id has buttons %+v", kb)
	}
	if d := (Callback{Action: ActBuy, Nonce: "short"}).Data(); d != "" {
		t.Errorf("a confirmation with a bad nonce has data %q", d)
	}
}

// TestSettingsButtonsParseStrictly: a /settings button's data is client
// input too. Only the forms the bot writes parse, numbers as it writes
// them; the limits are the store's to check (bot/internal/view).
func TestSettingsButtonsParseStrictly(t *testing.T) {
	for data, want := range map[string]Settings{
		"rule:off":           {Kind: SettingsOff},
		"rule:refund:5":      {Kind: SettingsRefund, Minutes: 5},
		"rule:refund:99":     {Kind: SettingsRefund, Minutes: 99},
		"rule:retry:5:3:100": {Kind: SettingsRetry, Minutes: 5, Numbers: 3, Spend: Cents(100)},
	} {
		if got, ok := ParseSettingsButton(data); !ok || got != want {
			t.Errorf("ParseSettingsButton(%q) = %+v, %v; want %+v", data, got, ok, want)
		}
	}
	for _, data := range []string{
		"", "rule:", "rule", "rule:off:1", "rule:Off", "rule:refund", "rule:refund:", "rule:refund:05", "rule:refund:+5",
		"rule:refund:-5", "rule:refund:0", "rule:refund:5.5", "rule:refund:5:1", "rule:refund:99999",
		"rule:retry:5:3", "rule:retry:5:3:1.00", "rule:retry:5:3:0", "rule:retry:5:3:100:1", "rule:retry:5: 3:100",
		"rule:keep:5", "lang:en", "r:1001:555", "Rule:off",
	} {
		if got, ok := ParseSettingsButton(data); ok {
			t.Errorf("ParseSettingsButton(%q) = %+v, want refused", data, got)
		}
	}
}

// FuzzSettingsButton: data a /settings button parses is exactly the data
// the bot writes for what it parsed, so no two spellings set one rule.
func FuzzSettingsButton(f *testing.F) {
	for _, seed := range []string{"rule:off", "rule:refund:5", "rule:retry:5:3:100", "rule:refund:05", "rule:retry:5:3:1e2", "rule:"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		s, ok := ParseSettingsButton(data)
		if ok && s.data() != data {
			t.Errorf("%q parsed as %+v, which the bot writes %q", data, s, s.data())
		}
	})
}
