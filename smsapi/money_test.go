package smsapi

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{Cents(500), "$5.00"},
		{Cents(16), "$0.16"},
		{Cents(0), "$0.00"},
		{Cents(7), "$0.07"},
		{Cents(-150), "-$1.50"},
		{Cents(-5), "-$0.05"},
		{Cents(123450), "$1,234.50"},
		{Cents(99999), "$999.99"},
		{Cents(100000), "$1,000.00"},
		{Cents(123456789012), "$1,234,567,890.12"},
		{Cents(math.MinInt64), "-$92,233,720,368,547,758.08"},
		{Money{}, ""},
		{Money{Cents: 500}, ""},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestParseDollars(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"5", 500}, {"5.5", 550}, {"5.50", 550}, {"$5.50", 550}, {"0.2", 20}, {" 5 ", 500},
		{"0", 0}, {"0.01", 1}, {"007", 700}, {"1000000000", 100000000000}, {"$ 12", 1200},
		// A decimal comma, as Russians write it.
		{"12,50", 1250}, {"12,5", 1250}, {"$0,99", 99}, {"5,00", 500}, {"1000,01", 100001},
	}
	for _, tt := range good {
		got, err := ParseDollars(tt.in)
		if err != nil || got != Cents(tt.want) {
			t.Errorf("ParseDollars(%q) = %+v, %v; want %d cents", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, why string }{
		{"", "empty"}, {"  ", "empty"}, {"$", "empty"}, {"abc", "number"}, {"-5", "negative"}, {"5.555", "two digits"},
		{"1e3", "number"}, {"NaN", "number"}, {"Inf", "number"},
		// A comma before three digits may group thousands: never $1.00.
		{"1,000", "thousands"}, {"$1,000", "thousands"}, {"12,345", "thousands"},
		{"1,000.50", "number"}, {"1,000,000", "number"}, {"1.000,50", "number"}, {"5,5,5", "number"},
		{"5,", "number"}, {",5", "number"}, {"5,555.5", "number"}, {"5,5555", "two digits"}, {"-5,50", "negative"},
		{"+5", "number"}, {"5.", "number"}, {".5", "number"}, {"5 5", "number"}, {"0x10", "number"},
		{"1000000000.01", "at most"}, {"99999999999999999999999", "number"}, {"٥", "number"},
	}
	for _, tt := range bad {
		got, err := ParseDollars(tt.in)
		if !errors.Is(err, ErrInvalidInput) || got != (Money{}) {
			t.Errorf("ParseDollars(%q) = %+v, %v; want ErrInvalidInput", tt.in, got, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.why) {
			t.Errorf("ParseDollars(%q) error %q does not say %q", tt.in, err, tt.why)
		}
	}
}

func TestFlexMoney(t *testing.T) {
	tests := []struct {
		in   string
		want Money
	}{
		{`16`, Cents(16)},
		{`"16"`, Cents(16)},
		{`0.16`, Cents(16)},
		{`"0.16"`, Cents(16)},
		{`" 0.16 "`, Cents(16)},
		{`0.165`, Cents(17)},  // half up
		{`0.1649`, Cents(16)}, // below the half
		{`5.15`, Cents(515)},
		{`"12.50"`, Cents(1250)},
		{`1.6e1`, Cents(16)}, // an integer, however written
		{`-150`, Cents(-150)},
		{`0`, Cents(0)},
		{`null`, Money{}},
		{`""`, Money{}},
		{`"abc"`, Money{}},
		{`true`, Money{}},
		{`{"a":1}`, Money{}},
		{`[16]`, Money{}},
		{`1e400`, Money{}},
		{`99999999999999999999`, Money{}},
		{`"1e3"`, Money{}},
		{`"5,00"`, Money{}},
	}
	for _, tt := range tests {
		var m flexMoney
		if err := json.Unmarshal([]byte(tt.in), &m); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
		}
		if Money(m) != tt.want {
			t.Errorf("flexMoney(%s) = %+v, want %+v", tt.in, Money(m), tt.want)
		}
	}
}

func TestBalanceDiscounts(t *testing.T) {
	body := `{"ok":true,"body":{"userId":"userId","stripeId":"stripeId","cryptomusId":null,"balance":500,
	 "status":null,"lang":null,"referral":null,"totalCharges":"500","couponCount":1,
	 "currentDiscountRate":"-20%","vipSupport":false,"vipTelegram":"",
	 "discountRates":[[8000,0.8,"-20%"],[6000,"0.85","-15%"],["x",0.9,"-10%"],[2000],null,[2000,"y"],[0,1,"0%"],[100,1]]}}`
	api := newFakeAPI(t, respond(http.StatusOK, body))
	got, err := newTestClient(t, api.URL).Balance(t.Context(), testCred)
	if err != nil {
		t.Fatalf("Balance: %v", err)
	}
	want := Balance{
		UserID: "userId", Amount: Cents(500), TotalCharges: Cents(500), CouponCount: 1, DiscountRate: "-20%",
		Discounts: []DiscountTier{
			{Cents(8000), 0.8, "-20%"}, {Cents(6000), 0.85, "-15%"}, {Cents(0), 1, "0%"}, {Cents(100), 1, ""},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Balance =\n%+v\nwant\n%+v", got, want)
	}

	for _, rates := range []string{`"none"`, `{}`, `[1,2]`, `null`} {
		b, err := decodeBalance(json.RawMessage(`{"balance":1,"discountRates":` + rates + `}`))
		if err != nil || b.Discounts != nil {
			t.Errorf("discountRates %s: %+v, %v; want no tiers and no error", rates, b.Discounts, err)
		}
	}
}
