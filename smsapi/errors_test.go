package smsapi

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fixedNow is the clock of the Retry-After tests.
var fixedNow = time.Date(2025, 5, 17, 5, 47, 13, 0, time.UTC)

func TestErrorClasses(t *testing.T) {
	huge := strings.Repeat("a", maxBodySize+10)
	tests := []struct {
		name    string
		op      string           // opGetOrder when ""
		handler http.HandlerFunc // answers the call
		client  func(t *testing.T) *Client
		want    error
		status  int
		message string
		retry   time.Duration
	}{
		{name: "401", handler: respond(401, `{"ok":false,"errorMessage":"Invalid API key"}`), want: ErrBadCredentials, status: 401, message: "Invalid API key"},
		{name: "403 on balance", op: opBalance, handler: respond(403, `{"ok":false,"message":"Forbidden"}`), want: ErrBadCredentials, status: 403, message: "Forbidden"},
		{name: "404 on order", handler: respond(404, `{"ok":false,"errorMessage":"Order not found"}`), want: ErrOrderNotFound, status: 404, message: "Order not found"},
		{name: "404 on balance", op: opBalance, handler: respond(404, `{"ok":false,"errorMessage":"No route"}`), want: ErrRejected, status: 404, message: "No route"},
		{name: "429 with seconds", handler: respond(429, `{"ok":false,"errorMessage":"Too many requests"}`, "Retry-After", "120"), want: ErrRateLimited, status: 429, message: "Too many requests", retry: 120 * time.Second},
		{name: "429 with HTTP-date", handler: respond(429, `{"ok":false}`, "Retry-After", fixedNow.Add(90*time.Second).Format(http.TimeFormat)), want: ErrRateLimited, status: 429, retry: 90 * time.Second},
		{name: "429 without Retry-After", op: opInventory, handler: respond(429, ``), want: ErrRateLimited, status: 429},
		{name: "500", handler: respond(500, `{"ok":false,"error":"internal"}`), want: ErrTransient, status: 500, message: "internal"},
		{name: "502 HTML page", handler: respond(502, `<html><body><h1>502 Bad Gateway</h1></body></html>`, "Content-Type", "text/html"), want: ErrTransient, status: 502},
		{name: "503 with Retry-After", handler: respond(503, `Service Unavailable`, "Retry-After", "7"), want: ErrTransient, status: 503, retry: 7 * time.Second},
		{name: "401 HTML page", op: opBalance, handler: respond(401, `<!DOCTYPE html><title>Unauthorized</title>`), want: ErrBadCredentials, status: 401},
		{name: "500 huge body", handler: respond(500, huge), want: ErrTransient, status: 500},
		{name: "400 other", handler: respond(400, `{"ok":false,"errorMessage":"Country not available"}`), want: ErrRejected, status: 400, message: "Country not available"},
		{name: "400 about the key", op: opInventory, handler: respond(400, `{"ok":false,"errorMessage":"apiKey is invalid"}`), want: ErrBadCredentials, status: 400, message: "apiKey is invalid"},
		{name: "302 is not followed", handler: respond(302, ``, "Location", "http://127.0.0.1:1/v3/x?apiKey="+url.QueryEscape(testKey)), want: ErrMalformed, status: 302},

		{name: "ok:false errorMessage", handler: respond(200, `{"ok":false,"errorMessage":"Invalid API key"}`), want: ErrBadCredentials, status: 200, message: "Invalid API key"},
		{name: "ok:false message", handler: respond(200, `{"ok":false,"message":"Order not found"}`), want: ErrOrderNotFound, status: 200, message: "Order not found"},
		{name: "ok:false error string", handler: respond(200, `{"ok":false,"error":"No such order"}`), want: ErrOrderNotFound, status: 200, message: "No such order"},
		{name: "ok:false error object", handler: respond(200, `{"ok":false,"error":{"code":7,"message":"Order does not exist"}}`), want: ErrOrderNotFound, status: 200, message: "Order does not exist"},
		{name: "ok:false bare string body", handler: respond(200, `{"ok":false,"body":"Unauthorized"}`), want: ErrBadCredentials, status: 200, message: "Unauthorized"},
		{name: "ok:false other message", handler: respond(200, `{"ok":false,"errorMessage":"Insufficient balance"}`), want: ErrRejected, status: 200, message: "Insufficient balance"},
		{name: "ok:false no message", handler: respond(200, `{"ok":false}`), want: ErrRejected, status: 200},
		{name: "ok:false not found on balance", op: opBalance, handler: respond(200, `{"ok":false,"message":"not found"}`), want: ErrRejected, status: 200, message: "not found"},
		{name: "ok:false too many requests", handler: respond(200, `{"ok":false,"errorMessage":"Too many requests"}`), want: ErrRateLimited, status: 200, message: "Too many requests"},
		{name: "no ok but a message", handler: respond(200, `{"errorMessage":"Bad API key"}`), want: ErrBadCredentials, status: 200, message: "Bad API key"},

		{name: "empty array", handler: respond(200, `{"ok":true,"body":[]}`), want: ErrOrderNotFound, status: 200},
		{name: "array with a different order", handler: respond(200, `{"ok":true,"body":[{"orderId":"1","status":"pending"}]}`), want: ErrMalformed, status: 200},
		{name: "not JSON", handler: respond(200, `<html>maintenance</html>`), want: ErrMalformed, status: 200},
		{name: "truncated JSON", handler: respond(200, `{"ok":true,"body":[{"orderId":"20046875","sta`), want: ErrMalformed, status: 200},
		{name: "no ok field", handler: respond(200, `{"body":[]}`), want: ErrMalformed, status: 200},
		{name: "no body", handler: respond(200, `{"ok":true}`), want: ErrMalformed, status: 200},
		{name: "balance not an object", op: opBalance, handler: respond(200, `{"ok":true,"body":[1]}`), want: ErrMalformed, status: 200},
		{name: "inventory not an array", op: opInventory, handler: respond(200, `{"ok":true,"body":{"a":1}}`), want: ErrMalformed, status: 200},
		{name: "huge body", handler: respond(200, `{"ok":true,"body":"`+huge+`"}`), want: ErrMalformed, status: 200},
		{
			name: "body cut off mid-transfer",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Length", "1000")
				w.WriteHeader(200)
				_, _ = w.Write([]byte(`{"ok":true,"body":[`))
			},
			want: ErrTransient, status: 200,
		},
		{
			name: "timeout of the HTTP client",
			client: func(t *testing.T) *Client {
				release := make(chan struct{})
				api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-release:
					}
				})
				t.Cleanup(func() { close(release) }) // runs before api.Close
				return newTestClient(t, api.URL, WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
			},
			want: ErrTransient,
		},
		{
			name: "connection refused",
			client: func(t *testing.T) *Client {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := l.Addr().String()
				l.Close()
				return newTestClient(t, "http://"+addr)
			},
			want: ErrTransient,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := tt.op
			if op == "" {
				op = opGetOrder
			}
			var c *Client
			if tt.client != nil {
				c = tt.client(t)
			} else {
				c = newTestClient(t, newFakeAPI(t, tt.handler).URL)
			}
			c.now = func() time.Time { return fixedNow }

			err := callOp(t.Context(), c, op)
			for _, kind := range allKinds {
				if got, want := errors.Is(err, kind), kind == tt.want; got != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, kind, got, want)
				}
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if e.Op != op || e.StatusCode != tt.status || e.Message != tt.message || e.RetryAfter != tt.retry {
				t.Errorf("got Op %q, StatusCode %d, Message %q, RetryAfter %v; want %q, %d, %q, %v",
					e.Op, e.StatusCode, e.Message, e.RetryAfter, op, tt.status, tt.message, tt.retry)
			}
			if got := RetryAfter(err); got != tt.retry {
				t.Errorf("RetryAfter = %v, want %v", got, tt.retry)
			}
			assertNoKey(t, err.Error())
		})
	}
}

func TestTransportErrorsRedactURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newTestClient(t, "http://"+addr)

	_, err = c.GetOrder(t.Context(), testCred, "20046875")
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("error %v does not carry a *url.Error", err)
	}
	if !strings.Contains(ue.URL, "apiKey=REDACTED") {
		t.Errorf("url.Error URL = %q, want apiKey=REDACTED in it", ue.URL)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not carry the *net.OpError", err)
	}
	assertNoKey(t, err.Error())
	assertNoKey(t, ue.Error())
}

func TestAPIMessageEchoingKeyIsRedacted(t *testing.T) {
	tests := []string{
		`{"ok":false,"errorMessage":"API key ` + testKey + ` is not valid"}`,
		`{"ok":false,"errorMessage":"bad request GET /v3/x?apiKey=` + url.QueryEscape(testKey) + `&a=1"}`,
		`{"ok":false,"errorMessage":"key \u0073` + testKey[1:] + ` unknown"}`,
	}
	for _, body := range tests {
		c := newTestClient(t, newFakeAPI(t, respond(400, body)).URL)
		err := callOp(t.Context(), c, opGetOrder)
		if err == nil {
			t.Fatalf("body %s: no error", body)
		}
		assertNoKey(t, err.Error())
		var e *Error
		if errors.As(err, &e) && !strings.Contains(e.Message, "REDACTED") {
			t.Errorf("Message %q shows no redaction", e.Message)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "get order", Kind: ErrRateLimited, StatusCode: 429, Message: "slow down"}, "smsapi: get order: rate limited (HTTP 429): slow down"},
		{&Error{Op: "get order", Kind: ErrRateLimited, StatusCode: 429, RetryAfter: 30 * time.Second}, "smsapi: get order: rate limited (HTTP 429, retry after 30s)"},
		{&Error{Op: "balance", Kind: ErrTransient, Err: errors.New("dial failed")}, "smsapi: balance: temporary failure: dial failed"},
		{&Error{Op: "inventory", Kind: ErrInvalidInput, Err: &inputError{"user id", "is empty"}}, "smsapi: inventory: invalid input: user id is empty"},
		{&Error{}, "smsapi: error"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"5", 5 * time.Second},
		{" 120 ", 120 * time.Second},
		{"-3", 0},
		{"1.5", 0},
		{"soon", 0},
		{"99999999999999999999999", maxRetryAfter},
		{strconv.Itoa(48 * 3600), maxRetryAfter},
		{fixedNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{fixedNow.Add(-time.Minute).Format(http.TimeFormat), 0},
		{fixedNow.Add(90 * time.Second).Format(time.RFC850), 90 * time.Second},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, fixedNow); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRetryAfterOfForeignError(t *testing.T) {
	if got := RetryAfter(errors.New("x")); got != 0 {
		t.Errorf("RetryAfter(plain error) = %v, want 0", got)
	}
	wrapped := errors.Join(errors.New("context"), &Error{Kind: ErrRateLimited, RetryAfter: time.Second})
	if got := RetryAfter(wrapped); got != time.Second {
		t.Errorf("RetryAfter(wrapped) = %v, want 1s", got)
	}
}
