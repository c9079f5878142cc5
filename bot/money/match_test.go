package money

import (
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

func TestPurchaseMatch(t *testing.T) {
	intent := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	a := store.Action{Kind: store.ActionBuy, SourceOrderID: "100", Service: "ds", Country: "12", Carrier: "any", CreatedAt: intent}
	order := func(id, service, country, carrier string, at time.Duration) smsapi.Order {
		o := smsapi.Order{ID: id, ServiceCode: service, CountryCode: country, Carrier: carrier}
		if at != 0 {
			o.OrderedAt = intent.Add(at)
		}
		return o
	}
	for _, tc := range []struct {
		name   string
		orders []smsapi.Order
		bought map[string]bool
		want   string
	}{
		{"the new order", []smsapi.Order{order("100", "ds", "12", "any", -time.Hour), order("101", "ds", "12", "tmobile", 5*time.Second)}, nil, "101"},
		{"clocks apart by a minute", []smsapi.Order{order("101", "ds", "12", "any", -time.Minute)}, nil, "101"},
		{"too old", []smsapi.Order{order("101", "ds", "12", "any", -10*time.Minute)}, nil, ""},
		{"the source itself", []smsapi.Order{order("100", "ds", "12", "any", time.Second)}, nil, ""},
		{"another service", []smsapi.Order{order("101", "tg", "12", "any", time.Second)}, nil, ""},
		{"another country", []smsapi.Order{order("101", "ds", "6", "any", time.Second)}, nil, ""},
		{"settled another purchase", []smsapi.Order{order("101", "ds", "12", "any", time.Second)}, map[string]bool{"101": true}, ""},
		{"no order time", []smsapi.Order{order("101", "ds", "12", "any", 0)}, nil, ""},
		{"the first after the intent", []smsapi.Order{order("103", "ds", "12", "any", 9*time.Second), order("102", "ds", "12", "any", 2*time.Second)}, nil, "102"},
	} {
		got, ok := PurchaseMatch(a, tc.orders, tc.bought)
		if ok != (tc.want != "") || got.ID != tc.want {
			t.Errorf("%s: matched %q (%v), want %q", tc.name, got.ID, ok, tc.want)
		}
	}

	// A chosen carrier must match.
	a.Carrier = "tmobile"
	if got, ok := PurchaseMatch(a, []smsapi.Order{order("101", "ds", "12", "att", time.Second)}, nil); ok {
		t.Errorf("carrier tmobile matched %+v", got)
	}
	if _, ok := PurchaseMatch(a, []smsapi.Order{order("101", "ds", "12", "TMobile", time.Second)}, nil); !ok {
		t.Error("carrier tmobile did not match TMobile")
	}
}
