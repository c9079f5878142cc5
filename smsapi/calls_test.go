package smsapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCallRequestShape checks what each new call puts on the wire: method,
// path, where the key goes, and the JSON body's fields.
func TestCallRequestShape(t *testing.T) {
	tests := []struct {
		name     string
		call     func(*Client) error
		method   string
		path     string
		keyQuery bool
		body     map[string]string // nil: no body
	}{
		{
			name: "refund", call: func(c *Client) error { return c.Refund(t.Context(), testCred, "20046875") },
			method: "PATCH", path: "/v3/numbers/user_1/order/20046875/refund", keyQuery: true,
			body: map[string]string{"apiKey": testKey},
		},
		{
			name: "another SMS", call: func(c *Client) error { return c.AnotherSMS(t.Context(), testCred, "20046875") },
			method: "PATCH", path: "/v3/numbers/user_1/order/20046875/resend", keyQuery: true,
			body: map[string]string{"apiKey": testKey},
		},
		{
			name: "buy", call: func(c *Client) error { _, err := c.Buy(t.Context(), testCred, testBuy); return err },
			method: "PUT", path: "/v3/numbers/user_1/order",
			body: map[string]string{"apiKey": testKey, "country": "12", "service": "ds", "carrier": "any", "maximumPrice": "20", "m": "", "n": ""},
		},
		{
			name: "crypto invoice with coupon", call: func(c *Client) error {
				_, err := c.Invoice(t.Context(), testCred, PayCrypto, Cents(500), "SAVE_10-x")
				return err
			},
			method: "PUT", path: "/v3/customers/user_1/cryptomus/invoice/500",
			body: map[string]string{"apiKey": testKey, "couponCode": "SAVE_10-x"},
		},
		{
			name: "crypto invoice without coupon", call: func(c *Client) error {
				_, err := c.Invoice(t.Context(), testCred, PayCrypto, Cents(1234), "")
				return err
			},
			method: "PUT", path: "/v3/customers/user_1/cryptomus/invoice/1234",
			body: map[string]string{"apiKey": testKey},
		},
		{
			name: "card invoice", call: func(c *Client) error { _, err := c.Invoice(t.Context(), testCred, PayCard, Cents(1), ""); return err },
			method: "PUT", path: "/v3/customers/user_1/pay4bit/invoice/1",
			body: map[string]string{"apiKey": testKey},
		},
		{
			name: "coupons", call: func(c *Client) error { _, err := c.Coupons(t.Context(), testCred); return err },
			method: "GET", path: "/v3/customers/user_1/coupons", keyQuery: true,
		},
		{
			name: "payments", call: func(c *Client) error { _, err := c.payments(t.Context(), testCred); return err },
			method: "GET", path: "/v3/customers/user_1/payments", keyQuery: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newRecordingAPI(t, 200, `{"ok":false}`)
			_ = tt.call(newTestClient(t, api.URL))
			r := api.last(t)
			if r.method != tt.method || r.path != tt.path {
				t.Errorf("request = %s %s, want %s %s", r.method, r.path, tt.method, tt.path)
			}
			if tt.keyQuery {
				if got := r.query.Get("apiKey"); got != testKey || len(r.query) != 1 {
					t.Errorf("query = %q, want only apiKey", r.rawQuery)
				}
			} else if r.rawQuery != "" {
				t.Errorf("query = %q, want none (the key goes in the body)", r.rawQuery)
			}
			if tt.body == nil {
				if len(r.body) != 0 || r.contentType != "" {
					t.Errorf("body %q (Content-Type %q), want none", r.body, r.contentType)
				}
				return
			}
			if r.contentType != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", r.contentType)
			}
			var got map[string]any
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("body %q: %v", r.body, err)
			}
			want := make(map[string]any, len(tt.body))
			for k, v := range tt.body {
				want[k] = v // every field is a JSON string
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body = %v, want %v", got, want)
			}
		})
	}
}

func TestBuyDecodesDocumentedExample(t *testing.T) {
	api := newFakeAPI(t, respond(200, `{"ok": true, "body": {"orderId": "1", "phoneNumber": "86123456789",
	 "expiredAtUTC": "2025-05-17 06:07:13", "purchasePrice": 16}}`))
	got, err := newTestClient(t, api.URL).Buy(t.Context(), testCred, testBuy)
	if err != nil {
		t.Fatalf("Buy: %v", err)
	}
	want := Purchase{OrderID: "1", PhoneNumber: "86123456789", ExpiresAt: time.Date(2025, 5, 17, 6, 7, 13, 0, time.UTC), Price: Cents(16)}
	if got != want {
		t.Errorf("Buy = %+v, want %+v", got, want)
	}
}

func TestActionsSucceed(t *testing.T) {
	for _, body := range []string{`{"ok":true,"body":{"orderId":"20046875","status":"refunded"}}`, `{"ok":true}`, `{"ok":true,"body":null}`} {
		c := newTestClient(t, newFakeAPI(t, respond(200, body)).URL)
		if err := c.Refund(t.Context(), testCred, "20046875"); err != nil {
			t.Errorf("Refund with answer %s: %v", body, err)
		}
		if err := c.AnotherSMS(t.Context(), testCred, "20046875"); err != nil {
			t.Errorf("AnotherSMS with answer %s: %v", body, err)
		}
	}
}

// TestWriteCallErrors checks the kinds the calls that change something end in,
// and whether each leaves the outcome unknown.
func TestWriteCallErrors(t *testing.T) {
	tests := []struct {
		name    string
		op      string
		handler http.HandlerFunc
		want    error
		status  int
		message string
		price   Money // NewPrice; invalid for none
		unknown bool  // OutcomeUnknown
	}{
		{name: "222 with price in body", op: opBuy, handler: respond(222, `{"ok":false,"errorMessage":"Additional action required","body":{"purchasePrice":20}}`),
			want: ErrPriceChanged, status: 222, message: "Additional action required", price: Cents(20)},
		{name: "222 with price on top", op: opBuy, handler: respond(222, `{"ok":false,"price":"0.25"}`), want: ErrPriceChanged, status: 222, price: Cents(25)},
		{name: "222 without body", op: opBuy, handler: respond(222, ``), want: ErrPriceChanged, status: 222},
		{name: "222 ok:true", op: opBuy, handler: respond(222, `{"ok":true,"body":{"orderId":"1"}}`), want: ErrPriceChanged, status: 222},
		{name: "222 unreadable price", op: opBuy, handler: respond(222, `{"ok":false,"body":{"purchasePrice":"soon"}}`), want: ErrPriceChanged, status: 222},
		{name: "NO_NUMBERS", op: opBuy, handler: respond(400, `{"ok":false,"errorMessage":"NO_NUMBERS"}`), want: ErrOutOfStock, status: 400, message: "NO_NUMBERS"},
		{name: "ok:false out of stock", op: opBuy, handler: respond(200, `{"ok":false,"message":"Service is out of stock"}`), want: ErrOutOfStock, status: 200, message: "Service is out of stock"},
		{name: "no free numbers", op: opBuy, handler: respond(404, `{"ok":false,"errorMessage":"No free numbers for this key"}`), want: ErrOutOfStock, status: 404, message: "No free numbers for this key"},
		{name: "insufficient balance", op: opBuy, handler: respond(400, `{"ok":false,"errorMessage":"Insufficient balance"}`), want: ErrLowBalance, status: 400, message: "Insufficient balance"},
		{name: "not enough money on key", op: opBuy, handler: respond(200, `{"ok":false,"errorMessage":"Not enough balance on this API key"}`), want: ErrLowBalance, status: 200, message: "Not enough balance on this API key"},
		{name: "402", op: opBuy, handler: respond(402, `{"ok":false}`), want: ErrLowBalance, status: 402},
		{name: "buy 401", op: opBuy, handler: respond(401, `{"ok":false,"errorMessage":"Invalid API key"}`), want: ErrBadCredentials, status: 401, message: "Invalid API key"},
		{name: "buy 429", op: opBuy, handler: respond(429, `{"ok":false}`), want: ErrRateLimited, status: 429},
		{name: "buy 400 other", op: opBuy, handler: respond(400, `{"ok":false,"errorMessage":"Unknown country"}`), want: ErrRejected, status: 400, message: "Unknown country"},
		{name: "buy 500", op: opBuy, handler: respond(500, `{"ok":false}`), want: ErrTransient, status: 500, unknown: true},
		{name: "buy without orderId", op: opBuy, handler: respond(200, `{"ok":true,"body":{"phoneNumber":"1","purchasePrice":16}}`), want: ErrMalformed, status: 200, unknown: true},
		{name: "buy with unusable orderId", op: opBuy, handler: respond(200, `{"ok":true,"body":{"orderId":"../1"}}`), want: ErrMalformed, status: 200, unknown: true},
		{name: "buy body not JSON", op: opBuy, handler: respond(200, `<html>`), want: ErrMalformed, status: 200, unknown: true},

		{name: "refund 404", op: opRefund, handler: respond(404, `{"ok":false,"errorMessage":"Order not found"}`), want: ErrOrderNotFound, status: 404, message: "Order not found"},
		{name: "refund ok:false not found", op: opRefund, handler: respond(200, `{"ok":false,"errorMessage":"No such order"}`), want: ErrOrderNotFound, status: 200, message: "No such order"},
		{name: "refund refused", op: opRefund, handler: respond(400, `{"ok":false,"errorMessage":"Refund is not possible: the number already received an SMS"}`),
			want: ErrRejected, status: 400, message: "Refund is not possible: the number already received an SMS"},
		{name: "refund ok:false", op: opRefund, handler: respond(200, `{"ok":false,"errorMessage":"Order is already closed"}`), want: ErrRejected, status: 200, message: "Order is already closed"},
		{name: "refund insufficient is no low balance", op: opRefund, handler: respond(400, `{"ok":false,"errorMessage":"Insufficient time passed"}`), want: ErrRejected, status: 400, message: "Insufficient time passed"},
		{name: "refund 222 is no price change", op: opRefund, handler: respond(222, `{"ok":true}`)},
		{name: "refund 503", op: opRefund, handler: respond(503, ``), want: ErrTransient, status: 503, unknown: true},
		{name: "another SMS 404", op: opAnotherSMS, handler: respond(404, ``), want: ErrOrderNotFound, status: 404},
		{name: "another SMS refused", op: opAnotherSMS, handler: respond(400, `{"ok":false,"errorMessage":"No SMS received yet"}`), want: ErrRejected, status: 400, message: "No SMS received yet"},
		{name: "another SMS 403", op: opAnotherSMS, handler: respond(403, ``), want: ErrBadCredentials, status: 403},

		{name: "invoice not a string", op: opInvoice, handler: respond(200, `{"ok":true,"body":{"url":"https://pay.cryptomus.com/pay/1"}}`), want: ErrMalformed, status: 200, unknown: true},
		{name: "invoice relative URL", op: opInvoice, handler: respond(200, `{"ok":true,"body":"/pay/1"}`), want: ErrMalformed, status: 200, unknown: true},
		{name: "invoice ftp URL", op: opInvoice, handler: respond(200, `{"ok":true,"body":"ftp://pay.cryptomus.com/pay/1"}`), want: ErrMalformed, status: 200, unknown: true},
		{name: "invoice URL with spaces", op: opInvoice, handler: respond(200, `{"ok":true,"body":"https://pay.example/\n1"}`), want: ErrMalformed, status: 200, unknown: true},
		{name: "invoice 404", op: opInvoice, handler: respond(404, `{"ok":false,"errorMessage":"not found"}`), want: ErrRejected, status: 404, message: "not found"},
		{name: "invoice out of stock is no stock", op: opInvoice, handler: respond(400, `{"ok":false,"errorMessage":"out of stock"}`), want: ErrRejected, status: 400, message: "out of stock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, newFakeAPI(t, tt.handler).URL)
			err := callOp(t.Context(), c, tt.op)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			for _, kind := range allKinds {
				if got, want := errors.Is(err, kind), kind == tt.want; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, kind, got, want)
				}
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if e.Op != tt.op || e.StatusCode != tt.status || e.Message != tt.message || !e.Sent {
				t.Errorf("got Op %q, StatusCode %d, Message %q, Sent %v; want %q, %d, %q, true",
					e.Op, e.StatusCode, e.Message, e.Sent, tt.op, tt.status, tt.message)
			}
			price, ok := NewPrice(err)
			if price != tt.price || ok != tt.price.Valid {
				t.Errorf("NewPrice = %+v, %v; want %+v", price, ok, tt.price)
			}
			if got := OutcomeUnknown(err); got != tt.unknown {
				t.Errorf("OutcomeUnknown = %v, want %v", got, tt.unknown)
			}
			assertNoKey(t, err.Error())
		})
	}
}

func TestWriteCallsRefuseBadInput(t *testing.T) {
	api := newFakeAPI(t, respond(200, `{"ok":true,"body":"https://pay.example/1"}`))
	c := newTestClient(t, api.URL)
	buy := func(edit func(*BuyRequest)) func() error {
		r := testBuy
		edit(&r)
		return func() error { _, err := c.Buy(t.Context(), testCred, r); return err }
	}
	invoice := func(m PayMethod, amount Money, coupon string) func() error {
		return func() error { _, err := c.Invoice(t.Context(), testCred, m, amount, coupon); return err }
	}
	calls := map[string]func() error{
		"buy no service":         buy(func(r *BuyRequest) { r.Service = "" }),
		"buy long country":       buy(func(r *BuyRequest) { r.Country = strings.Repeat("1", 65) }),
		"buy control carrier":    buy(func(r *BuyRequest) { r.Carrier = "any\n" }),
		"buy bad UTF-8":          buy(func(r *BuyRequest) { r.Service = "d\xffs" }),
		"buy no max price":       buy(func(r *BuyRequest) { r.MaxPrice = Money{} }),
		"buy zero max price":     buy(func(r *BuyRequest) { r.MaxPrice = Cents(0) }),
		"buy negative max price": buy(func(r *BuyRequest) { r.MaxPrice = Cents(-1) }),
		"buy bad user":           func() error { _, err := c.Buy(t.Context(), Credentials{"u/1", testKey}, testBuy); return err },
		"refund bad id":          func() error { return c.Refund(t.Context(), testCred, "1/2") },
		"another SMS empty id":   func() error { return c.AnotherSMS(t.Context(), testCred, "") },
		"refund bad key":         func() error { return c.Refund(t.Context(), Credentials{"user_1", "has space"}, "1") },
		"invoice method":         invoice("paypal", Cents(500), ""),
		"invoice zero":           invoice(PayCrypto, Cents(0), ""),
		"invoice invalid amount": invoice(PayCard, Money{}, ""),
		"invoice coupon on card": invoice(PayCard, Cents(500), "SAVE10"),
		"invoice coupon chars":   invoice(PayCrypto, Cents(500), "SAVE 10"),
		"invoice long coupon":    invoice(PayCrypto, Cents(500), strings.Repeat("C", 65)),
		"coupons bad user":       func() error { _, err := c.Coupons(t.Context(), Credentials{"", testKey}); return err },
		"payments bad key":       func() error { _, err := c.payments(t.Context(), Credentials{"user_1", ""}); return err },
	}
	for name, call := range calls {
		err := call()
		var e *Error
		if !errors.Is(err, ErrInvalidInput) || !errors.As(err, &e) || e.Sent || OutcomeUnknown(err) {
			t.Errorf("%s: err = %v, want ErrInvalidInput, not sent", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "has space") {
			t.Errorf("%s: error %q repeats the rejected key", name, err)
		}
	}
	if n := api.requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server, want 0", n)
	}
}

func TestOutcomeUnknown(t *testing.T) {
	t.Run("client timeout after sending", func(t *testing.T) {
		release := make(chan struct{})
		api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		t.Cleanup(func() { close(release) })
		c := newTestClient(t, api.URL, WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
		_, err := c.Buy(t.Context(), testCred, testBuy)
		if !isKind(err, ErrTransient) || !OutcomeUnknown(err) {
			t.Errorf("err = %v, want ErrTransient with the outcome unknown", err)
		}
	})
	t.Run("caller deadline after sending", func(t *testing.T) {
		release := make(chan struct{})
		api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		t.Cleanup(func() { close(release) })
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err := newTestClient(t, api.URL).Refund(ctx, testCred, "1")
		if !isKind(err, context.DeadlineExceeded) || !OutcomeUnknown(err) {
			t.Errorf("err = %v, want DeadlineExceeded with the outcome unknown", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = newTestClient(t, "http://"+addr).Buy(t.Context(), testCred, testBuy)
		// Refused before any byte went out, but the client cannot tell that
		// from a connection lost after the request: unknown is the safe side.
		if !isKind(err, ErrTransient) || !OutcomeUnknown(err) {
			t.Errorf("err = %v, want ErrTransient with the outcome unknown", err)
		}
		assertNoKey(t, err.Error())
	})
	t.Run("context ended in the rate cap", func(t *testing.T) {
		api := newFakeAPI(t, respond(200, `{"ok":true,"body":{"orderId":"1"}}`))
		c := newTestClient(t, api.URL, WithMaxRPS(0.5))
		if _, err := c.Buy(t.Context(), testCred, testBuy); err != nil {
			t.Fatalf("first Buy: %v", err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Buy(ctx, testCred, testBuy)
		var e *Error
		if !isKind(err, context.DeadlineExceeded) || !errors.As(err, &e) || e.Sent || OutcomeUnknown(err) {
			t.Errorf("err = %v, want DeadlineExceeded, not sent, outcome known", err)
		}
		if n := api.requests.Load(); n != 1 {
			t.Errorf("%d requests reached the server, want 1", n)
		}
	})
	t.Run("context ended before the call", func(t *testing.T) {
		api := newFakeAPI(t, respond(200, `{"ok":true}`))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := newTestClient(t, api.URL).Refund(ctx, testCred, "1")
		if !isKind(err, context.Canceled) || OutcomeUnknown(err) || api.requests.Load() != 0 {
			t.Errorf("err = %v after %d requests, want Canceled, nothing sent", err, api.requests.Load())
		}
	})
	for _, err := range []error{nil, errors.New("x"), &Error{Kind: ErrTransient}, &Error{Kind: ErrRejected, Sent: true}, &Error{Kind: ErrRateLimited, Sent: true}} {
		if OutcomeUnknown(err) {
			t.Errorf("OutcomeUnknown(%#v) = true", err)
		}
	}
}

// TestNewCallsRedactKey extends TestAPIMessageEchoingKeyIsRedacted to every
// call: the API echoing the key, a 222 doing so, and a transport failure.
func TestNewCallsRedactKey(t *testing.T) {
	bodies := []string{
		`{"ok":false,"errorMessage":"API key ` + testKey + ` is not valid"}`,
		`{"ok":false,"errorMessage":"bad request PUT /v3/x {\"apiKey\":\"` + testKey + `\"}"}`,
		`{"ok":true,"body":"` + testKey + `"}`,
		`{"ok":true,"body":{"orderId":"` + testKey + `"}}`,
	}
	for _, op := range allOps {
		for _, status := range []int{200, 222, 400, 500} {
			for _, body := range bodies {
				c := newTestClient(t, newFakeAPI(t, respond(status, body)).URL)
				if err := callOp(t.Context(), c, op); err != nil {
					assertNoKey(t, err.Error())
				}
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newTestClient(t, "http://"+addr)
	for _, op := range allOps {
		if err := callOp(t.Context(), c, op); err == nil {
			t.Errorf("%s: no error from a closed port", op)
		} else {
			assertNoKey(t, err.Error())
		}
	}
}
