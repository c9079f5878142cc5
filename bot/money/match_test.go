package money

import (
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

func order(id, service, country, carrier string) smsapi.Order {
	return smsapi.Order{ID: id, ServiceCode: service, CountryCode: country, Carrier: carrier}
}

// TestNewPurchase: a lost purchase is the order of its service and country
// that is new since the inventory read before its request — any carrier,
// whatever the clocks say — not the source and not one another purchase
// settled.
func TestNewPurchase(t *testing.T) {
	a := store.Action{Kind: store.ActionBuy, SourceOrderID: "100", Service: "ds", Country: "12", Carrier: "tmobile",
		Known: []string{"100", "150"}, HasKnown: true}
	skewed := order("160", "ds", "12", "att")
	skewed.OrderedAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) // SMSOnline's clock years off
	for _, tc := range []struct {
		name   string
		orders []smsapi.Order
		bought map[string]bool
		want   string
	}{
		{"the new order", []smsapi.Order{order("100", "ds", "12", "tmobile"), order("150", "ds", "12", "tmobile"), order("151", "ds", "12", "tmobile")}, nil, "151"},
		{"filled on another carrier", []smsapi.Order{order("151", "ds", "12", "att")}, nil, "151"},
		{"a clock far off", []smsapi.Order{skewed}, nil, "160"},
		{"known before", []smsapi.Order{order("150", "ds", "12", "tmobile")}, nil, ""},
		{"the source itself", []smsapi.Order{order("100", "ds", "12", "tmobile")}, nil, ""},
		{"another service", []smsapi.Order{order("151", "tg", "12", "tmobile")}, nil, ""},
		{"another country", []smsapi.Order{order("151", "ds", "6", "tmobile")}, nil, ""},
		{"settled another purchase", []smsapi.Order{order("151", "ds", "12", "tmobile")}, map[string]bool{"151": true}, ""},
		{"the lowest of two new", []smsapi.Order{order("1000", "ds", "12", "any"), order("999", "ds", "12", "any")}, nil, "999"},
		{"nothing", nil, nil, ""},
	} {
		got, ok := newPurchase(a, tc.orders, tc.bought)
		if ok != (tc.want != "") || got.ID != tc.want {
			t.Errorf("%s: matched %q (%v), want %q", tc.name, got.ID, ok, tc.want)
		}
	}
}

// TestLegacyPurchaseMatch: a purchase begun before the inventory was read
// first is settled by the order time, any carrier.
func TestLegacyPurchaseMatch(t *testing.T) {
	intent := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	a := store.Action{Kind: store.ActionBuy, SourceOrderID: "100", Service: "ds", Country: "12", Carrier: "tmobile", CreatedAt: intent}
	at := func(o smsapi.Order, d time.Duration) smsapi.Order {
		if d != 0 {
			o.OrderedAt = intent.Add(d)
		}
		return o
	}
	for _, tc := range []struct {
		name   string
		orders []smsapi.Order
		want   string
	}{
		{"the new order", []smsapi.Order{at(order("100", "ds", "12", "tmobile"), -time.Hour), at(order("101", "ds", "12", "att"), 5*time.Second)}, "101"},
		{"clocks apart by a minute", []smsapi.Order{at(order("101", "ds", "12", "any"), -time.Minute)}, "101"},
		{"too old", []smsapi.Order{at(order("101", "ds", "12", "any"), -10*time.Minute)}, ""},
		{"no order time", []smsapi.Order{order("101", "ds", "12", "any")}, ""},
		{"the first after the intent", []smsapi.Order{at(order("103", "ds", "12", "any"), 9*time.Second), at(order("102", "ds", "12", "any"), 2*time.Second)}, "102"},
	} {
		got, ok := legacyPurchaseMatch(a, tc.orders, nil)
		if ok != (tc.want != "") || got.ID != tc.want {
			t.Errorf("%s: matched %q (%v), want %q", tc.name, got.ID, ok, tc.want)
		}
	}
}
