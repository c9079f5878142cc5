package message_test

import (
	"math"
	"strings"
	"testing"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
)

// bot/message keeps its own copies of two things smsapi owns, so that it
// renders without importing it; these tests keep them in step.

// TestOrderIDCheckMatchesSMSAPI: callback data names exactly the order ids
// smsapi.ValidateOrderID takes.
func TestOrderIDCheckMatchesSMSAPI(t *testing.T) {
	ids := []string{"", "1", "20046875", "a_b-C", strings.Repeat("9", 63), strings.Repeat("9", 64),
		strings.Repeat("9", 65), strings.Repeat("x", 200), "a b", "a/b", "a.b", "a%2F", "a:b", "a?b", "a#b",
		"é", "١٢٣", "\x00", "\xff", "-", "_", "abc\n", " 1", "1 ", "+1", "a\u200bb", "😀"}
	for b := 0; b < 256; b++ {
		ids = append(ids, string([]byte{byte(b)}), "1"+string([]byte{byte(b)})+"2")
	}
	for _, id := range ids {
		want := smsapi.ValidateOrderID(id) == nil
		c, ok := message.ParseCallback("r:1001:" + id)
		if got := ok && c.OrderID == id && !c.FromPush; got != want {
			t.Errorf("order id %q: bot/message takes it %v, smsapi %v", id, got, want)
		}
	}
}

// FuzzOrderIDCheckMatchesSMSAPI searches for an id the two checks disagree on.
func FuzzOrderIDCheckMatchesSMSAPI(f *testing.F) {
	f.Add("20046875")
	f.Add("a:p")
	f.Fuzz(func(t *testing.T, id string) {
		want := smsapi.ValidateOrderID(id) == nil
		c, ok := message.ParseCallback("r:1001:" + id)
		if got := ok && c.OrderID == id && !c.FromPush; got != want {
			t.Errorf("order id %q: bot/message takes it %v, smsapi %v", id, got, want)
		}
	})
}

// TestMoneyMatchesSMSAPI: an amount reads the same in a text as smsapi
// writes it.
func TestMoneyMatchesSMSAPI(t *testing.T) {
	cents := []int64{0, 1, 9, 10, 16, 99, 100, 101, 999, 1000, 1234, 99999, 100000, 123456, 100000000,
		123456789012, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	for n := int64(1); n < math.MaxInt64/7; n *= 7 {
		cents = append(cents, n, n+1, n-1)
	}
	for _, c := range cents {
		for _, n := range []int64{c, -c} {
			for _, valid := range []bool{true, false} {
				got := message.Money{Cents: n, Valid: valid}.String()
				if want := (smsapi.Money{Cents: n, Valid: valid}).String(); got != want {
					t.Errorf("Money{%d, %v} = %q, smsapi writes %q", n, valid, got, want)
				}
			}
		}
	}
}
