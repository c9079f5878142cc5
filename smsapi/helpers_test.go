package smsapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// testKey holds characters that change under URL escaping, so tests catch the
// key in its raw and in its escaped form.
const testKey = "s3cr3t+K/ey=42"

var testCred = Credentials{UserID: "user_1", APIKey: testKey}

// documentedOrder is the order object exactly as DESIGN.md shows it.
const documentedOrder = `{"sShort":"ds","cShort":"12","orderId":"20046875","country":"United States",
 "service":"Discord","carrier":"any","phoneNumber":"1234567890","purchasePrice":16,
 "status":"completed","receivedSMS":"123456","orderedAt":"2025-05-17 05:47:13",
 "expiredAt":"2025-05-17 06:07:13","lastCheckedAt":"2025-05-17 05:48:38"}`

// fakeAPI is an httptest server that counts the requests reaching it.
type fakeAPI struct {
	*httptest.Server
	requests atomic.Int64
	last     atomic.Pointer[http.Request]
}

func newFakeAPI(t *testing.T, h http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.last.Store(r)
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// newTestClient returns a Client of f with its default HTTP client.
func newTestClient(t *testing.T, baseURL string, opts ...Option) *Client {
	t.Helper()
	c, err := New(baseURL, opts...)
	if err != nil {
		t.Fatalf("New(%q): %v", baseURL, err)
	}
	return c
}

// respond answers every request with status, headers and body.
func respond(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// callOp runs the Client method named by op with testCred.
func callOp(ctx context.Context, c *Client, op string) error {
	var err error
	switch op {
	case opGetOrder:
		_, err = c.GetOrder(ctx, testCred, "20046875")
	case opBalance:
		_, err = c.Balance(ctx, testCred)
	case opInventory:
		_, err = c.Inventory(ctx, testCred, 5)
	case opRefund:
		err = c.Refund(ctx, testCred, "20046875")
	case opAnotherSMS:
		err = c.AnotherSMS(ctx, testCred, "20046875")
	case opBuy:
		_, err = c.Buy(ctx, testCred, testBuy)
	case opInvoice:
		_, err = c.Invoice(ctx, testCred, PayCrypto, Cents(500), "SAVE10")
	case opCoupons:
		_, err = c.Coupons(ctx, testCred)
	case opPayments:
		_, err = c.payments(ctx, testCred)
	default:
		panic("unknown op " + op)
	}
	return err
}

// assertNoKey fails the test if s shows the API key in any form.
func assertNoKey(t *testing.T, s string) {
	t.Helper()
	for _, form := range []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey), "s3cr3t"} {
		if strings.Contains(s, form) {
			t.Errorf("API key (as %q) leaked into %q", form, s)
		}
	}
}

var allKinds = []error{ErrInvalidInput, ErrBadCredentials, ErrOrderNotFound, ErrRateLimited, ErrTransient, ErrMalformed, ErrRejected,
	ErrPriceChanged, ErrOutOfStock, ErrLowBalance}

// allOps are the ops callOp knows, the calls of this package.
var allOps = []string{opGetOrder, opBalance, opInventory, opRefund, opAnotherSMS, opBuy, opInvoice, opCoupons, opPayments}

// testBuy is a valid purchase: Discord in the United States for at most 20 cents.
var testBuy = BuyRequest{Service: "ds", Country: "12", Carrier: "any", MaxPrice: Cents(20)}

// sentRequest is what a recordingAPI saw of one request.
type sentRequest struct {
	method, path, rawQuery, contentType string
	query                               url.Values
	body                                []byte
}

// recordingAPI answers every request with status and body and keeps what
// each request sent, body included.
type recordingAPI struct {
	*httptest.Server
	mu   sync.Mutex
	seen []sentRequest
}

func newRecordingAPI(t *testing.T, status int, body string) *recordingAPI {
	t.Helper()
	a := &recordingAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.seen = append(a.seen, sentRequest{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Content-Type"), r.URL.Query(), b})
		a.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(a.Close)
	return a
}

// last returns the last request seen, failing t when there was none.
func (a *recordingAPI) last(t *testing.T) sentRequest {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.seen) == 0 {
		t.Fatal("no request reached the server")
	}
	return a.seen[len(a.seen)-1]
}

// isKind is errors.Is, named for what the tests ask.
func isKind(err, kind error) bool { return errors.Is(err, kind) }
