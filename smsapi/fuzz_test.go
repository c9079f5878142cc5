package smsapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// FuzzDecodeOrder feeds any bytes as the body of an order call's answer,
// under several statuses. Whatever the body, decoding must not panic, a
// success must be the requested order, a failure must be an *Error of a known
// kind, and no error text may show the API key.
func FuzzDecodeOrder(f *testing.F) {
	const id, key = "20046875", "FuzzKey-7Q9"
	f.Add([]byte(`{"ok":true,"body":[` + documentedOrder + `]}`))
	f.Add([]byte(`{"ok":false,"errorMessage":"Invalid API key FuzzKey-7Q9"}`))
	f.Add([]byte(`{"ok":true,"body":[{"orderId":20046875,"purchasePrice":"0.5","receivedSMS":null}]}`))
	f.Add([]byte(`{"ok":true,"body":[]}`))
	f.Add([]byte(`<html>502</html>`))

	header := http.Header{"Retry-After": {"3"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 400, 404, 429, 500} {
			r := rawResponse{status: status, header: header, body: body}
			raw, err := r.parse(opGetOrder, key, time.Unix(0, 0))
			if err == nil {
				var o Order
				if o, err = decodeOrderBody(raw, id, key); err == nil && o.ID != id {
					t.Fatalf("status %d: decoded order %q, asked for %q", status, o.ID, id)
				}
			}
			if err == nil {
				continue
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("status %d: error %v (%T) is not an *Error", status, err, err)
			}
			known := false
			for _, k := range allKinds {
				known = known || e.Kind == k
			}
			if !known {
				t.Fatalf("status %d: unknown kind %v", status, e.Kind)
			}
			if msg := err.Error(); strings.Contains(msg, key) {
				t.Fatalf("status %d: key leaked into %q", status, msg)
			}
		}
	})
}

// fuzzStatuses are the HTTP statuses the decoder fuzz targets answer with.
var fuzzStatuses = []int{200, 400, 404, 429, 500}

// bodyTransport answers every request with one status and body, without a
// network, so a fuzz target runs the whole client path of a call.
type bodyTransport struct {
	status int
	body   []byte
}

func (bt *bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: bt.status,
		Header:     http.Header{"Retry-After": {"3"}, "Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(bt.body)),
		Request:    r,
	}, nil
}

// fuzzCall runs call against a Client whose every answer is status and body,
// once per status in fuzzStatuses, and checks its error: none only on 200,
// else an *Error of op with a known kind, whose text holds the API key
// (testKey) in no form.
func fuzzCall(t *testing.T, op string, body []byte, call func(*Client, Credentials) error) {
	t.Helper()
	bt := &bodyTransport{body: body}
	c, err := New("https://api.invalid", WithHTTPClient(&http.Client{Transport: bt}))
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range fuzzStatuses {
		bt.status = status
		err := call(c, testCred)
		if err == nil {
			if status != http.StatusOK {
				t.Fatalf("status %d taken as a success", status)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("status %d: error %v (%T) is not an *Error", status, err, err)
		}
		if e.Op != op {
			t.Fatalf("status %d: error %v has op %q, want %q", status, err, e.Op, op)
		}
		if !slices.Contains(allKinds, e.Kind) {
			t.Fatalf("status %d: error %v has unknown kind %v", status, err, e.Kind)
		}
		msg := err.Error()
		for _, form := range []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey)} {
			if strings.Contains(msg, form) {
				t.Fatalf("status %d: key (as %q) leaked into %q", status, form, msg)
			}
		}
	}
}

// FuzzDecodeBalance feeds any bytes as the body of a balance call's answer,
// under several statuses, through the whole client: no panic, an error is an
// *Error of a known kind without the API key in its text.
func FuzzDecodeBalance(f *testing.F) {
	f.Add([]byte(`{"ok":true,"body":{"userId":"user_1","balance":1500,"totalCharges":"12.5","couponCount":2,"currentDiscountRate":"0.05"}}`))
	f.Add([]byte(`{"ok":false,"errorMessage":"Invalid API key s3cr3t+K/ey=42"}`))
	f.Add([]byte(`{"ok":false,"error":{"message":"apiKey=s3cr3t%2BK%2Fey%3D42 rejected"}}`))
	f.Add([]byte(`{"ok":true,"body":{"couponCount":"s3cr3t+K/ey=42"}}`))
	f.Add([]byte(`{"ok":"s3cr3t+K/ey=42","body":{}}`))
	f.Add([]byte(`{"ok":"1","body":{"balance":1e400,"couponCount":1.5}}`))
	f.Add([]byte(`{"ok":true,"body":[]}`))
	f.Add([]byte(`{"ok":true,"body":null}`))
	f.Add([]byte(`"s3cr3t+K%2Fey=42 is not a key"`))
	f.Add([]byte("{\"ok\":false,\"message\":\"s3cr3t\xff+K/ey=42\"}"))
	f.Add([]byte(`<html>502</html>`))
	f.Add([]byte(`{"ok":true,"body":{"bal`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzCall(t, opBalance, body, func(c *Client, cred Credentials) error {
			_, err := c.Balance(t.Context(), cred)
			return err
		})
	})
}

// FuzzDecodeInventory is FuzzDecodeBalance for the inventory call; a success
// is also a non-nil list of orders that each carry some order field.
func FuzzDecodeInventory(f *testing.F) {
	f.Add([]byte(`{"ok":true,"body":[` + documentedOrder + `,{"orderId":7,"status":"pending"}]}`))
	f.Add([]byte(`{"ok":true,"body":[]}`))
	f.Add([]byte(`{"ok":true,"body":null}`))
	f.Add([]byte(`{"ok":true,"body":[null,{"status":"pending"}]}`))
	f.Add([]byte(`{"ok":true,"body":[{}]}`))
	f.Add([]byte(`{"ok":true,"body":{"orderId":"1"}}`))
	f.Add([]byte(`{"ok":true,"body":[1,"s3cr3t+K/ey=42"]}`))
	f.Add([]byte(`{"ok":true,"body":[{"orderId":{"apiKey":"s3cr3t+K/ey=42"}}]}`))
	f.Add([]byte(`{"ok":true,"body":[{"orderedAt":99999999999999999999,"purchasePrice":-1e-7}]}`))
	f.Add([]byte(`{"ok":false,"message":"rate limit for s3cr3t+K/ey=42"}`))
	f.Add([]byte(`{"ok":true,"body":[{"orderId":"2004`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzCall(t, opInventory, body, func(c *Client, cred Credentials) error {
			orders, err := c.Inventory(t.Context(), cred, 5)
			if err == nil {
				if orders == nil {
					t.Fatal("Inventory succeeded with a nil list")
				}
				for _, o := range orders {
					if o == (Order{}) {
						t.Fatalf("Inventory succeeded with an empty order in %+v", orders)
					}
				}
			}
			return err
		})
	})
}

// FuzzDecodeBuy is FuzzDecodeBalance for a purchase; a success names a
// usable order id.
func FuzzDecodeBuy(f *testing.F) {
	f.Add([]byte(`{"ok":true,"body":{"orderId":"1","phoneNumber":"86123456789","expiredAtUTC":"2025-05-17 06:07:13","purchasePrice":16}}`))
	f.Add([]byte(`{"ok":false,"errorMessage":"Additional action required","body":{"purchasePrice":20}}`))
	f.Add([]byte(`{"ok":false,"errorMessage":"NO_NUMBERS"}`))
	f.Add([]byte(`{"ok":false,"errorMessage":"Insufficient balance for s3cr3t+K/ey=42"}`))
	f.Add([]byte(`{"ok":true,"body":{"orderId":"s3cr3t+K/ey=42"}}`))
	f.Add([]byte(`{"ok":true,"body":[{"orderId":7,"purchasePrice":"0.16"}]}`))
	f.Add([]byte(`{"ok":true,"body":{"phoneNumber":"1"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzCall(t, opBuy, body, func(c *Client, cred Credentials) error {
			p, err := c.Buy(t.Context(), cred, testBuy)
			if err == nil && checkID("order id", p.OrderID) != nil {
				t.Fatalf("Buy succeeded with order id %q", p.OrderID)
			}
			return err
		})
	})
}

// FuzzDecodeInvoice is FuzzDecodeBalance for an invoice; a success is an
// absolute https URL, exactly as sent.
func FuzzDecodeInvoice(f *testing.F) {
	f.Add([]byte(`{"ok":true,"body":"https://pay.cryptomus.com/pay/991d9a35-e6db-43b7-8922-0000000000"}`))
	f.Add([]byte(`{"ok":true,"body":"https://api.pay4bit.net/pay?amount=500\u0026currency=USD\u0026user=user_1\u0026sign=ab"}`))
	f.Add([]byte(`{"ok":true,"body":"http://pay.example/1"}`))
	f.Add([]byte(`{"ok":true,"body":"https://s3cr3t+K/ey=42@pay.example/"}`))
	f.Add([]byte(`{"ok":true,"body":{"url":"https://pay.example"}}`))
	f.Add([]byte(`{"ok":false,"errorMessage":"Invalid coupon"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzCall(t, opInvoice, body, func(c *Client, cred Credentials) error {
			link, err := c.Invoice(t.Context(), cred, PayCrypto, Cents(500), "")
			if err == nil && !strings.HasPrefix(link, "https://") {
				t.Fatalf("Invoice succeeded with %q", link)
			}
			return err
		})
	})
}

// FuzzDecodeCouponsAndPayments is FuzzDecodeBalance for the two lists; a
// success is a non-nil list.
func FuzzDecodeCouponsAndPayments(f *testing.F) {
	f.Add([]byte(`{"ok":true,"body":{"totalReceived":30,"codes":[{"userId":"userId","code":"coupon code","issuedAt":"2025-05-14 02:17:30","expiredAt":"2025-06-14 02:17:30","status":"issued","timing":30,"percentage":10,"targetPay":"crypto"}]}}`))
	f.Add([]byte(`{"ok":true,"body":[{"method":"payment method","sesid":"sessionId","payId":"payId","amount":500,"created":"2025-05-15 18:37:30","expires_at":"2025-05-15 19:37:30","status":"cancel","userId":"userId"}]}`))
	f.Add([]byte(`{"ok":true,"body":[{"payId":{"apiKey":"s3cr3t+K/ey=42"}},null,1]}`))
	f.Add([]byte(`{"ok":true,"body":{"codes":"s3cr3t+K/ey=42"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzCall(t, opCoupons, body, func(c *Client, cred Credentials) error {
			coupons, err := c.Coupons(t.Context(), cred)
			if err == nil && coupons == nil {
				t.Fatal("Coupons succeeded with a nil list")
			}
			return err
		})
		fuzzCall(t, opPayments, body, func(c *Client, cred Credentials) error {
			payments, err := c.payments(t.Context(), cred)
			if err == nil && payments == nil {
				t.Fatal("Payments succeeded with a nil list")
			}
			return err
		})
	})
}

// FuzzValidateID feeds any user and order ids to the validators and to the
// client, against an httptest server that records each request's path. An id
// the validators accept is a safe path segment: no '/', '.', '%', '?', '#' or
// white space, unchanged by url.PathEscape. A call sends a request only when
// its ids are valid, and then to exactly the expected path, segment by
// segment.
func FuzzValidateID(f *testing.F) {
	for _, ids := range [][2]string{
		{"user_1", "20046875"},
		{"user_1", "Ab_9-z"},
		{"user_1", "../balance"},
		{"user_1", "a/b"},
		{"user_1", "%2F"},
		{"..", "."},
		{"user 1", "1?apiKey=x"},
		{"user_1", "1#frag"},
		{"user_1", "\u200b123"},
		{"user_1", "１２３"},
		{"user_1", strings.Repeat("9", 64)},
		{"user_1", strings.Repeat("9", 65)},
		{"", "1"},
		{"user_1", ""},
		{"user_1", "\xff\xed\xa0\x80"},
		{"u;x", "1"},
		{"user_1", "1\u202e2"},
		{"user_1\n", "1\t"},
	} {
		f.Add(ids[0], ids[1])
	}

	var (
		mu    sync.Mutex
		paths []string // EscapedPath of each request since the last take
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		if r.URL.RawPath != "" {
			paths = append(paths, "RawPath:"+r.URL.RawPath)
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
	}))
	f.Cleanup(srv.Close)
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		p := paths
		paths = nil
		return p
	}
	c, err := New(srv.URL)
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, userID, orderID string) {
		checkValidator(t, "validateUserID", validateUserID, userID)
		checkValidator(t, "ValidateOrderID", ValidateOrderID, orderID)
		userOK, orderOK := validateUserID(userID) == nil, ValidateOrderID(orderID) == nil
		cred := Credentials{UserID: userID, APIKey: testKey}

		calls := []struct {
			name  string
			valid bool
			path  string
			call  func() error
		}{
			{"GetOrder", userOK && orderOK, "/v3/numbers/" + userID + "/order/" + orderID, func() error {
				_, err := c.GetOrder(t.Context(), cred, orderID)
				return err
			}},
			{"Balance", userOK, "/v3/customers/" + userID + "/balance", func() error {
				_, err := c.Balance(t.Context(), cred)
				return err
			}},
			{"Inventory", userOK, "/v3/numbers/" + userID + "/inventory/3", func() error {
				_, err := c.Inventory(t.Context(), cred, 3)
				return err
			}},
			{"Refund", userOK && orderOK, "/v3/numbers/" + userID + "/order/" + orderID + "/" + NextRefund, func() error {
				return c.Refund(t.Context(), cred, orderID)
			}},
			{"Buy", userOK, "/v3/numbers/" + userID + "/order", func() error {
				_, err := c.Buy(t.Context(), cred, testBuy)
				return err
			}},
		}
		take()
		for _, call := range calls {
			err := call.call()
			got := take()
			if !call.valid {
				if len(got) != 0 {
					t.Fatalf("%s(%q, %q) sent %q for an invalid id", call.name, userID, orderID, got)
				}
				if !errors.Is(err, ErrInvalidInput) {
					t.Fatalf("%s(%q, %q) = %v, want ErrInvalidInput", call.name, userID, orderID, err)
				}
				continue
			}
			if len(got) != 1 || got[0] != call.path {
				t.Fatalf("%s(%q, %q) sent %q, want one request to %q", call.name, userID, orderID, got, call.path)
			}
			if want, n := strings.Count(call.path, "/"), strings.Count(got[0], "/"); n != want {
				t.Fatalf("%s(%q, %q) sent %q with %d segments, want %d", call.name, userID, orderID, got[0], n, want)
			}
		}
	})
}

// checkValidator checks what an accepted id must be; a refused one must wrap
// ErrInvalidInput.
func checkValidator(t *testing.T, name string, validate func(string) error, id string) {
	t.Helper()
	if err := validate(id); err != nil {
		if !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("%s(%q) = %v, want ErrInvalidInput", name, id, err)
		}
		return
	}
	if id == "" || len(id) > maxIDLen {
		t.Fatalf("%s accepted %q, of length %d", name, id, len(id))
	}
	if strings.ContainsAny(id, "/.%?#") || strings.IndexFunc(id, unicode.IsSpace) >= 0 {
		t.Fatalf("%s accepted %q, which holds a path or query character or white space", name, id)
	}
	if url.PathEscape(id) != id || url.QueryEscape(id) != id {
		t.Fatalf("%s accepted %q, which changes under URL escaping", name, id)
	}
}
