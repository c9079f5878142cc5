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
