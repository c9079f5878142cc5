package smsapi

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

func TestBalance(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Balance
	}{
		{
			name: "documented shape",
			body: `{"userId":"user_1","balance":1250,"totalCharges":"16","couponCount":2,"currentDiscountRate":"0.05","extra":true}`,
			want: Balance{UserID: "user_1", Amount: Cents(1250), TotalCharges: Cents(16), CouponCount: 2, DiscountRate: "0.05"},
		},
		{
			name: "types swapped and nulls",
			body: `{"userId":42,"balance":"12.50","totalCharges":16,"couponCount":"3","currentDiscountRate":null}`,
			want: Balance{UserID: "42", Amount: Cents(1250), TotalCharges: Cents(16), CouponCount: 3}, // "12.50" is dollars
		},
		{
			name: "couponCount as 2.0",
			body: `{"balance":0,"couponCount":2.0}`,
			want: Balance{Amount: Cents(0), CouponCount: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, respond(http.StatusOK, `{"ok":true,"body":`+tt.body+`}`))
			got, err := newTestClient(t, api.URL).Balance(t.Context(), testCred)
			if err != nil {
				t.Fatalf("Balance: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Balance = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBalanceRejectsBadCouponCount(t *testing.T) {
	api := newFakeAPI(t, respond(http.StatusOK, `{"ok":true,"body":{"balance":1,"couponCount":"many"}}`))
	_, err := newTestClient(t, api.URL).Balance(t.Context(), testCred)
	if !isKind(err, ErrMalformed) {
		t.Errorf("err = %v, want ErrMalformed", err)
	}
}

func TestBalanceAgainstFakeServer(t *testing.T) {
	srv := smsapitest.New(t)
	srv.AddAccount("user_1", testKey, 1250)
	srv.AddOrder("user_1", smsapitest.NewOrder("1"))
	srv.AddOrder("user_1", smsapitest.NewOrder("2"))
	c := newTestClient(t, srv.URL)

	got, err := c.Balance(t.Context(), testCred)
	if err != nil {
		t.Fatalf("Balance: %v", err)
	}
	want := Balance{UserID: "user_1", Amount: Cents(1250), TotalCharges: Cents(32), DiscountRate: "0%", Discounts: []DiscountTier{
		{Cents(8000), 0.8, "-20%"}, {Cents(6000), 0.85, "-15%"}, {Cents(4000), 0.9, "-10%"}, {Cents(2000), 0.95, "-5%"}, {Cents(0), 1, "0%"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Balance = %+v, want %+v", got, want)
	}
	if n := srv.RequestCount("balance"); n != 1 {
		t.Errorf("balance requests = %d, want 1", n)
	}
}
