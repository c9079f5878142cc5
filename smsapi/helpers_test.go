package smsapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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

var allKinds = []error{ErrInvalidInput, ErrBadCredentials, ErrOrderNotFound, ErrRateLimited, ErrTransient, ErrMalformed, ErrRejected}

// isKind is errors.Is, named for what the tests ask.
func isKind(err, kind error) bool { return errors.Is(err, kind) }
