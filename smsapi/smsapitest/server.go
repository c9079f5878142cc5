// Package smsapitest is a fake SMSOnline v3 server for tests and benchmarks.
// Tests script accounts and orders (an SMS now, an SMS at a given time, a
// cancellation), inject faults (errors, rate limiting, latency) and read back
// what was asked of it. All state is in one mutex-protected map and nothing
// runs in the background, so it stays cheap with thousands of orders.
package smsapitest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The kinds of request the server tells apart, as used by Fault.Match,
// RequestCount and Request.Kind. Anything else is kindOther.
const (
	kindOrder     = "order"
	kindBalance   = "balance"
	kindInventory = "inventory"
	kindOther     = "other"
)

// Server is a running fake SMSOnline API. Its methods are safe for concurrent
// use, also while requests are being served.
type Server struct {
	// URL is the base URL to give smsapi.New, such as "http://127.0.0.1:40123".
	URL string

	tb    testing.TB
	srv   *httptest.Server
	start time.Time
	done  chan struct{} // closed at cleanup, so delayed answers give up

	mu       sync.Mutex
	accounts map[string]*account
	orders   map[orderKey]*order
	faults   []*activeFault
	latency  time.Duration
	stats    stats
}

// Option configures a Server in New.
type Option func(*Server)

// WithoutLog makes the server keep no per-request log: Log returns nothing,
// while the counts and PerSecond still work. A load test making millions of
// requests then does not measure the log's memory.
func WithoutLog() Option {
	return func(s *Server) { s.stats.noLog = true }
}

// New starts a Server on 127.0.0.1; tb.Cleanup closes it.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		tb:       tb,
		start:    time.Now(),
		done:     make(chan struct{}),
		accounts: make(map[string]*account),
		orders:   make(map[orderKey]*order),
		stats:    stats{byKind: make(map[string]int)},
	}
	for _, opt := range opts {
		opt(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	tb.Cleanup(func() {
		close(s.done)
		s.srv.Close()
	})
	return s
}

// call is one request, parsed.
type call struct {
	kind    string
	userID  string
	orderID string
	limit   int // inventory only
	apiKey  string
	valid   bool // the path and method name a known call
}

// parseCall routes r by hand: three fixed shapes are cheaper to match than a
// mux, and the ids are taken from the escaped path so "1%2F2" stays one id.
func parseCall(r *http.Request) call {
	c := call{kind: kindOther, apiKey: r.URL.Query().Get("apiKey")}
	seg := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i, s := range seg {
		u, err := url.PathUnescape(s)
		if err != nil {
			return c
		}
		seg[i] = u
	}
	switch {
	case len(seg) == 5 && seg[0] == "v3" && seg[1] == "numbers" && seg[3] == "order":
		c.kind, c.userID, c.orderID = kindOrder, seg[2], seg[4]
	case len(seg) == 4 && seg[0] == "v3" && seg[1] == "customers" && seg[3] == "balance":
		c.kind, c.userID = kindBalance, seg[2]
	case len(seg) == 5 && seg[0] == "v3" && seg[1] == "numbers" && seg[3] == "inventory":
		c.kind, c.userID = kindInventory, seg[2]
		n, err := strconv.Atoi(seg[4])
		if err != nil || n < 0 {
			return c // kind known for counting, but not valid
		}
		c.limit = n
	default:
		return c
	}
	c.valid = r.Method == http.MethodGet
	return c
}

// answer is a response ready to write.
type answer struct {
	status     int
	body       []byte
	retryAfter string
	html       bool
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	c := parseCall(r)

	s.mu.Lock()
	f := s.takeFault(c.kind)
	delay := s.latency
	s.mu.Unlock()
	if f != nil {
		delay += f.Delay
	}
	if delay > 0 && !s.wait(r.Context(), delay) {
		s.record(arrived, c, 0) // the client went away or the server is closing
		return
	}

	var a answer
	if f != nil && f.answers() {
		a = f.answer(c.kind)
	} else {
		a = s.answerCall(c, arrived)
	}
	if f != nil && f.RetryAfter != "" {
		a.retryAfter = f.RetryAfter
	}

	// Recorded before the answer leaves, so a client that has its answer
	// also sees it counted.
	s.record(arrived, c, a.status)
	h := w.Header()
	if a.html {
		h.Set("Content-Type", "text/html; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/json")
	}
	if a.retryAfter != "" {
		h.Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// wait sleeps for d unless the request or the server ends first; it reports
// whether the full delay passed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// answerCall serves c from the scripted state, as seen at time now.
func (s *Server) answerCall(c call, now time.Time) answer {
	if !c.valid {
		if c.kind == kindOther {
			return errorAnswer(http.StatusNotFound, "Not found")
		}
		if c.kind == kindInventory {
			return errorAnswer(http.StatusBadRequest, "Invalid limit")
		}
		return errorAnswer(http.StatusMethodNotAllowed, "Method not allowed")
	}

	s.mu.Lock()
	acc := s.accounts[c.userID]
	if acc == nil || acc.apiKey == "" || acc.apiKey != c.apiKey {
		s.mu.Unlock()
		return errorAnswer(http.StatusUnauthorized, "Invalid API key")
	}
	var body any
	switch c.kind {
	case kindOrder:
		o := s.orders[orderKey{c.userID, c.orderID}]
		if o == nil {
			s.mu.Unlock()
			return errorAnswer(http.StatusNotFound, "Order not found")
		}
		o.advance(now)
		o.LastCheckedAt = now.UTC().Truncate(time.Second)
		body = []orderWire{o.wire()}
	case kindBalance:
		body = s.balanceWire(c.userID, acc)
	case kindInventory:
		body = s.inventoryWire(c.userID, acc, c.limit, now)
	}
	s.mu.Unlock()

	return okAnswer(body)
}

func okAnswer(body any) answer {
	b, err := json.Marshal(struct {
		OK   bool `json:"ok"`
		Body any  `json:"body"`
	}{true, body})
	if err != nil {
		return errorAnswer(http.StatusInternalServerError, "Internal server error")
	}
	return answer{status: http.StatusOK, body: b}
}

func errorAnswer(status int, msg string) answer {
	b, _ := json.Marshal(struct {
		OK           bool   `json:"ok"`
		ErrorMessage string `json:"errorMessage"`
	}{false, msg})
	return answer{status: status, body: b}
}
