package message

import (
	"strings"
	"testing"

	"github.com/smsbot/smsbot/smsapi"
)

func TestCallbackRoundTrip(t *testing.T) {
	nonce := NewNonce()
	for _, c := range []Callback{
		{Action: ActRefresh, Owner: 1001, OrderID: "555"},
		{Action: ActAnotherSMS, Owner: 1001, OrderID: "555", FromPush: true},
		{Action: ActBuyAsk, Owner: 1001, OrderID: "555", MaxPrice: 50},
		{Action: ActBuy, Owner: 1001, OrderID: "555", MaxPrice: 20, Nonce: nonce},
		{Action: ActRefund, Owner: 1 << 62, OrderID: "A-b_9"},
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
	if NewNonce() == nonce {
		t.Error("two nonces are equal")
	}
}

func TestCallbackRefusesWhatTheBotNeverMade(t *testing.T) {
	for _, data := range []string{
		"", "r", "F:555", "b:555", "x:1001:555", "r:0:555", "r:-5:555", "r:abc:555", "r:1001:", "r:1001:5 5",
		"B:1001:555", "B:1001:555:m20", "B:1001:555:kAAAAAAAA", "B:1001:555:m0:kAAAAAAAA", "B:1001:555:m020:kAAAAAAAA",
		"B:1001:555:m20:kAAA", "B:1001:555:m20:k!!!!!!!!", "b:1001:555:p:p", "b:1001:555:q", "b:1001:555:m10000000",
		"b:1001:555:m20:m30", "a:1001:555:p:m1:kAAAAAAAA:x",
	} {
		if c, ok := ParseCallback(data); ok {
			t.Errorf("ParseCallback(%q) = %+v, want refused", data, c)
		}
	}
}

func TestCallbackTooLongHasNoButton(t *testing.T) {
	long := strings.Repeat("9", 50)
	if d := (Callback{Action: ActBuy, Owner: 1 << 40, OrderID: long, MaxPrice: 20, Nonce: NewNonce()}).Data(); d != "" {
		t.Errorf("data %q (%d bytes) over Telegram's limit", d, len(d))
	}
	if kb := English.CardKeyboard(smsapi.Order{}, 1001, long+strings.Repeat("9", 14), true, false); kb != nil {
		t.Errorf("a card for a 64-character id has buttons %+v", kb)
	}
}
