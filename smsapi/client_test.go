package smsapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	tests := []struct {
		base string
		ok   bool
	}{
		{"https://api-x.smsonline.cloud", true},
		{"https://api-x.smsonline.cloud/", true},
		{"http://127.0.0.1:8080/prefix/", true},
		{"", false},
		{"api-x.smsonline.cloud", false},
		{"ftp://api-x.smsonline.cloud", false},
		{"https://", false},
		{"https://user:pw@api-x.smsonline.cloud", false},
		{"https://api-x.smsonline.cloud/?apiKey=x", false},
		{"https://api-x.smsonline.cloud/#frag", false},
		{"https://api-x.smsonline.cloud/%zz", false},
		{"://bad", false},
	}
	for _, tt := range tests {
		c, err := New(tt.base)
		if tt.ok != (err == nil) {
			t.Errorf("New(%q) error = %v, want ok = %v", tt.base, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidInput) {
			t.Errorf("New(%q) error %v does not wrap ErrInvalidInput", tt.base, err)
		}
		if err == nil && c == nil {
			t.Errorf("New(%q) = nil, nil", tt.base)
		}
	}
}

func TestRequestURL(t *testing.T) {
	tests := []struct {
		name     string
		prefix   string // path of the base URL
		call     func(*Client) error
		wantPath string
	}{
		{"order", "", func(c *Client) error { _, err := c.GetOrder(context.Background(), testCred, "Ab_9-z"); return err }, "/v3/numbers/user_1/order/Ab_9-z"},
		{"balance", "", func(c *Client) error { _, err := c.Balance(context.Background(), testCred); return err }, "/v3/customers/user_1/balance"},
		{"inventory", "", func(c *Client) error { _, err := c.Inventory(context.Background(), testCred, 0); return err }, "/v3/numbers/user_1/inventory/0"},
		{"base with a path and trailing slash", "/proxy/", func(c *Client) error { _, err := c.Balance(context.Background(), testCred); return err }, "/proxy/v3/customers/user_1/balance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, respond(200, `{"ok":false}`))
			c := newTestClient(t, api.URL+tt.prefix, WithUserAgent("smsbot-test/1"))
			_ = tt.call(c)
			r := api.last.Load()
			if r == nil {
				t.Fatal("no request reached the server")
			}
			if r.Method != http.MethodGet {
				t.Errorf("method = %s, want GET", r.Method)
			}
			if r.URL.EscapedPath() != tt.wantPath {
				t.Errorf("path = %q, want %q", r.URL.EscapedPath(), tt.wantPath)
			}
			q := r.URL.Query()
			if got := q.Get("apiKey"); got != testKey || len(q) != 1 {
				t.Errorf("query = %q, want only apiKey=%q", r.URL.RawQuery, testKey)
			}
			if strings.Contains(r.URL.RawQuery, "+") || strings.Contains(r.URL.RawQuery, "/") {
				t.Errorf("query %q is not escaped", r.URL.RawQuery)
			}
			if got := r.Header.Get("User-Agent"); got != "smsbot-test/1" {
				t.Errorf("User-Agent = %q", got)
			}
		})
	}
}

func TestInvalidInputMakesNoRequest(t *testing.T) {
	api := newFakeAPI(t, respond(200, `{"ok":true,"body":[]}`))
	c := newTestClient(t, api.URL)
	good := testCred
	withUser := func(u string) Credentials { return Credentials{UserID: u, APIKey: testKey} }
	withKey := func(k string) Credentials { return Credentials{UserID: "user_1", APIKey: k} }

	type call struct {
		name string
		run  func() error
	}
	var calls []call
	for _, id := range []string{"../../x", "1/2", "%2e%2e", "..", "", " ", "12 3", "Ü", "заказ", "a?b", "a#b", "a\x00b", strings.Repeat("1", 65)} {
		calls = append(calls, call{"order id " + id, func() error { _, err := c.GetOrder(t.Context(), good, id); return err }})
	}
	for _, u := range []string{"../admin", "u/1", "", "%2F"} {
		calls = append(calls,
			call{"order user " + u, func() error { _, err := c.GetOrder(t.Context(), withUser(u), "1"); return err }},
			call{"balance user " + u, func() error { _, err := c.Balance(t.Context(), withUser(u)); return err }},
			call{"inventory user " + u, func() error { _, err := c.Inventory(t.Context(), withUser(u), 1); return err }},
		)
	}
	for _, k := range []string{"", "has space", "tab\tkey", "ключ", strings.Repeat("k", 257)} {
		calls = append(calls, call{"key", func() error { _, err := c.Balance(t.Context(), withKey(k)); return err }})
	}
	calls = append(calls,
		call{"negative limit", func() error { _, err := c.Inventory(t.Context(), good, -1); return err }},
		call{"huge limit", func() error { _, err := c.Inventory(t.Context(), good, maxExpiredLimit+1); return err }},
	)
	for _, tc := range calls {
		err := tc.run()
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", tc.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "has space") {
			t.Errorf("%s: error %q repeats the rejected key", tc.name, err)
		}
	}
	if n := api.requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server, want 0", n)
	}
}

func TestValidators(t *testing.T) {
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"order id digits", ValidateOrderID("20046875"), true},
		{"order id all classes", ValidateOrderID("aZ09_-"), true},
		{"order id 64", ValidateOrderID(strings.Repeat("x", 64)), true},
		{"order id 65", ValidateOrderID(strings.Repeat("x", 65)), false},
		{"order id dot", ValidateOrderID("1.2"), false},
		{"user id", validateUserID("user-42"), true},
		{"user id slash", validateUserID("a/b"), false},
		{"credentials", Credentials{"u1", "K~!@#$%^&*()"}.Validate(), true},
		{"key 256", Credentials{"u1", strings.Repeat("k", 256)}.Validate(), true},
		{"key DEL", Credentials{"u1", "k\x7f"}.Validate(), false},
		{"no user", Credentials{"", "k"}.Validate(), false},
	}
	for _, tt := range tests {
		if tt.ok != (tt.err == nil) {
			t.Errorf("%s: err = %v, want ok = %v", tt.name, tt.err, tt.ok)
		}
		if tt.err != nil && !errors.Is(tt.err, ErrInvalidInput) {
			t.Errorf("%s: %v does not wrap ErrInvalidInput", tt.name, tt.err)
		}
	}
}

func TestCancelReturnsPromptly(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	c := newTestClient(t, api.URL)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- callOp(ctx, c, opGetOrder) }()
	<-arrived
	start := time.Now()
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("GetOrder did not return within 5s of cancel")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("GetOrder took %v to return after cancel", d)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrTransient) {
		t.Errorf("caller cancellation reported as transient: %v", err)
	}
	assertNoKey(t, err.Error())
}

func TestCallerDeadlineIsNotTransient(t *testing.T) {
	release := make(chan struct{})
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	c := newTestClient(t, api.URL)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()

	_, err := c.Balance(ctx, testCred)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTransient) {
		t.Errorf("err = %v, want context.DeadlineExceeded and not ErrTransient", err)
	}
}

func TestAlreadyCancelledContext(t *testing.T) {
	api := newFakeAPI(t, respond(200, `{"ok":true,"body":[]}`))
	c := newTestClient(t, api.URL)
	ctx, cancel := context.WithCancelCause(t.Context())
	cause := errors.New("shutting down")
	cancel(cause)

	_, err := c.Inventory(ctx, testCred, 1)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, cause) {
		t.Errorf("err = %v, want context.Canceled and the cause", err)
	}
	if n := api.requests.Load(); n != 0 {
		t.Errorf("%d requests made with a cancelled context", n)
	}
}

func TestDefaultHTTPClient(t *testing.T) {
	c := newTestClient(t, "https://api-x.smsonline.cloud")
	if c.hc.Timeout != 15*time.Second {
		t.Errorf("Timeout = %v, want 15s", c.hc.Timeout)
	}
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("Transport is %T, want *http.Transport", c.hc.Transport)
	}
	if tr == http.DefaultTransport {
		t.Error("default client shares http.DefaultTransport")
	}
	if tr.MaxIdleConns != 256 || tr.MaxIdleConnsPerHost != 128 || tr.IdleConnTimeout != 90*time.Second {
		t.Errorf("pool = %d/%d/%v, want 256/128/90s", tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.IdleConnTimeout)
	}
	hc := &http.Client{}
	if c := newTestClient(t, "https://x.example", WithHTTPClient(hc)); c.hc != hc {
		t.Error("WithHTTPClient was not used")
	}
	if c := newTestClient(t, "https://x.example", WithHTTPClient(nil), WithUserAgent("")); c.hc == nil || c.userAgent != defaultUserAgent {
		t.Error("nil/empty options did not keep the defaults")
	}
}

func TestConnectionsAreReused(t *testing.T) {
	// Successes and every kind of failure with a body leave the connection
	// fit for reuse, so sequential calls need one connection.
	var conns atomic.Int64
	var n atomic.Int64
	bodies := []struct {
		status int
		body   string
	}{
		{200, `{"ok":true,"body":[` + documentedOrder + `]}`},
		{404, `{"ok":false,"errorMessage":"Order not found"}`},
		{500, strings.Repeat("x", 100<<10)},
		{200, `{"ok":true,"body":[{"orderId":"1"` + strings.Repeat(" ", 10<<10)},
		{429, `<html>slow down</html>`},
	}
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := bodies[int(n.Add(1)-1)%len(bodies)]
		w.WriteHeader(b.status)
		_, _ = w.Write([]byte(b.body))
	}))
	api.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	api.Start()
	t.Cleanup(api.Close)
	c := newTestClient(t, api.URL)
	for range 3 * len(bodies) {
		_ = callOp(t.Context(), c, opGetOrder)
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("%d connections for %d sequential calls, want 1", got, 3*len(bodies))
	}
}

func TestObserverSeesEveryRequestSent(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/balance") {
			respond(200, `{"ok":true,"body":{"balance":500}}`)(w, r)
			return
		}
		respond(404, `{"ok":false,"message":"Order not found"}`)(w, r)
	})
	type seen struct {
		op  string
		err error
	}
	var got []seen
	c := newTestClient(t, api.URL, WithObserver(func(op string, err error, took time.Duration) {
		if took < 0 {
			t.Errorf("%s took %v", op, took)
		}
		got = append(got, seen{op, err})
	}))
	c.Balance(t.Context(), testCred)
	c.GetOrder(t.Context(), testCred, "1")
	c.GetOrder(t.Context(), testCred, "bad id") // refused before sending: not observed
	if len(got) != 2 || got[0].op != "balance" || got[0].err != nil || got[1].op != "get order" || !errors.Is(got[1].err, ErrOrderNotFound) {
		t.Errorf("observed %+v", got)
	}
}
