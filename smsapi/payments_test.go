package smsapi

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestInvoiceURLPassedThrough(t *testing.T) {
	links := []string{
		"https://pay.cryptomus.com/pay/991d9a35-e6db-43b7-8922-0000000000",
		"https://api.pay4bit.net/pay?amount=500&currency=USD&user=user_1&sign=AbC%2F9+x&z=%7E",
		"http://127.0.0.1:1/pay?b=2&a=1", // http, as the test server is
	}
	for _, link := range links {
		enc, _ := json.Marshal(link) // escapes & as \u0026, as Go servers do
		c := newTestClient(t, newFakeAPI(t, respond(200, `{"ok":true,"body":`+string(enc)+`}`)).URL)
		got, err := c.Invoice(t.Context(), testCred, PayCard, Cents(500), "")
		if err != nil || got != link {
			t.Errorf("Invoice = %q, %v; want %q unchanged", got, err, link)
		}
	}
}

func TestInvoiceRefusesHTTPFromHTTPSBase(t *testing.T) {
	srv := httptest.NewTLSServer(respond(200, `{"ok":true,"body":"http://pay.example/1"}`))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, WithHTTPClient(srv.Client()))
	_, err := c.Invoice(t.Context(), testCred, PayCrypto, Cents(500), "")
	if !isKind(err, ErrMalformed) || !OutcomeUnknown(err) {
		t.Errorf("err = %v, want ErrMalformed with the outcome unknown", err)
	}
	if err != nil && strings.Contains(err.Error(), "pay.example") {
		t.Errorf("error %q quotes the payment URL", err)
	}
}

func TestCouponsDecodesDocumentedExample(t *testing.T) {
	api := newFakeAPI(t, respond(200, `{"ok":true,"body":{"totalReceived":30,"codes":[{"userId":"userId","code":"coupon code",
	 "issuedAt":"2025-05-14 02:17:30","expiredAt":"2025-06-14 02:17:30","status":"issued",
	 "timing":30,"percentage":10,"targetPay":"crypto"},{"code":""},null,{"code":"X","percentage":"many"},{"code":"B","percentage":"5","status":"used"}]}}`))
	got, err := newTestClient(t, api.URL).Coupons(t.Context(), testCred)
	if err != nil {
		t.Fatalf("Coupons: %v", err)
	}
	issued := time.Date(2025, 5, 14, 2, 17, 30, 0, time.UTC)
	expires := time.Date(2025, 6, 14, 2, 17, 30, 0, time.UTC)
	want := []Coupon{
		{Code: "coupon code", IssuedAt: issued, ExpiresAt: expires, Status: "issued", Percentage: 10, TargetPay: "crypto"},
		{Code: "B", Status: "used", Percentage: 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Coupons =\n%+v\nwant\n%+v", got, want)
	}
	if !got[0].Usable(expires.Add(-time.Second)) || got[0].Usable(expires) || got[1].Usable(issued) {
		t.Errorf("Usable: issued before expiry must be usable, expired or used must not")
	}
	if !(Coupon{Status: " Issued "}).Usable(expires) {
		t.Errorf("an issued coupon without expiry should be usable")
	}

	for _, body := range []string{`[]`, `"x"`, `{"codes":{"a":1}}`} {
		c := newTestClient(t, newFakeAPI(t, respond(200, `{"ok":true,"body":`+body+`}`)).URL)
		if _, err := c.Coupons(t.Context(), testCred); !isKind(err, ErrMalformed) {
			t.Errorf("body %s: err = %v, want ErrMalformed", body, err)
		}
	}
	c := newTestClient(t, newFakeAPI(t, respond(200, `{"ok":true,"body":{"totalReceived":0}}`)).URL)
	if got, err := c.Coupons(t.Context(), testCred); err != nil || got == nil || len(got) != 0 {
		t.Errorf("no codes: %v, %v; want an empty list", got, err)
	}
}

func TestPaymentsDecodesDocumentedExample(t *testing.T) {
	api := newFakeAPI(t, respond(200, `{"ok":true,"body":[{"method":"payment method","sesid":"sessionId","payId":"payId","amount":500,
	 "created":"2025-05-15 18:37:30","expires_at":"2025-05-15 19:37:30","status":"cancel","userId":"userId"},
	 {"method":"cryptomus","payId":"p2","amount":"12.5","status":"PAID"},{},7,{"payId":{"x":1}}]}`))
	got, err := newTestClient(t, api.URL).payments(t.Context(), testCred)
	if err != nil {
		t.Fatalf("Payments: %v", err)
	}
	created := time.Date(2025, 5, 15, 18, 37, 30, 0, time.UTC)
	want := []payment{
		{Method: "payment method", PayID: "payId", Amount: Cents(500), Created: created, ExpiresAt: created.Add(InvoiceLifetime), Status: "cancel"},
		{Method: "cryptomus", PayID: "p2", Amount: Cents(1250), Status: "PAID"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Payments =\n%+v\nwant\n%+v", got, want)
	}
	if got[0].Paid() || !got[1].Paid() {
		t.Errorf("Paid() = %v, %v; want false, true", got[0].Paid(), got[1].Paid())
	}
	for _, status := range []string{"paid", "success", "completed", "complete", "confirmed"} {
		if !(payment{Status: status}).Paid() {
			t.Errorf("status %q is not paid", status)
		}
	}

	c := newTestClient(t, newFakeAPI(t, respond(200, `{"ok":true,"body":{"a":1}}`)).URL)
	if _, err := c.payments(t.Context(), testCred); !isKind(err, ErrMalformed) {
		t.Errorf("object body: err = %v, want ErrMalformed", err)
	}
	c = newTestClient(t, newFakeAPI(t, respond(200, `{"ok":true,"body":null}`)).URL)
	if got, err := c.payments(t.Context(), testCred); err != nil || got == nil || len(got) != 0 {
		t.Errorf("null body: %v, %v; want an empty list", got, err)
	}
}
