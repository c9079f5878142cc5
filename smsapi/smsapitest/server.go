// Package smsapitest is a fake SMSOnline v3 server for tests and benchmarks.
// Tests script accounts and orders (an SMS now, an SMS at a given time, a
// cancellation), a catalogue of offers to buy (filled on another carrier when
// failing over, out of stock for a while), refunds refused in an order's
// first minutes, invoices that pay themselves and coupons, skew the clock
// that stamps orders, inject faults (errors, rate limiting, latency, a call
// carried out whose answer never comes or is an error) and read back what was
// asked of it. All state is in one mutex-protected map and nothing runs in the
// background, so it stays cheap with thousands of orders.
package smsapitest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The kinds of request the server tells apart, as used by Fault.Match,
// RequestCount and Request.Kind. Anything else is kindOther.
const (
	kindOrder      = "order"
	kindBalance    = "balance"
	kindInventory  = "inventory"
	kindRefund     = "refund"
	kindAnotherSMS = "another_sms"
	kindBuy        = "buy"
	kindInvoice    = "invoice"
	kindCoupons    = "coupons"
	kindPayments   = "payments"
	kindOther      = "other"
)

// The {next} words of the Change order status call the server knows. They
// must equal smsapi.NextRefund and smsapi.NextAnotherSMS (a test in smsapi
// checks; this package cannot import smsapi).
const (
	NextRefund     = "refund"
	NextAnotherSMS = "resend"
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

	mu        sync.Mutex
	accounts  map[string]*account
	orders    map[orderKey]*order
	offers    []*Offer
	nextOrder int64         // the id of the next number bought
	nextPhone int           // numbers the next bought phone number
	nextPay   int           // numbers the next invoice
	payAfter  time.Duration // see SetPayAfter; < 0: invoices are never paid by themselves
	failover  Failover      // see SetFailover
	clockSkew time.Duration // see SetClockSkew
	faults    []*activeFault
	latency   time.Duration
	held      map[string]int // requests a delay holds now, by kind (see Held)
	drift     Drift          // see SetDrift
	stats     stats

	// Scripted refusals, also under mu.
	refundAfter time.Duration            // see SetRefundAfter
	stockOuts   map[offerCodes]*stockOut // see SetStockOutUntil and SetStockOutForNext
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
		tb:        tb,
		start:     time.Now(),
		done:      make(chan struct{}),
		accounts:  make(map[string]*account),
		orders:    make(map[orderKey]*order),
		nextOrder: firstOrderID,
		nextPhone: 1,
		nextPay:   1,
		payAfter:  -1,
		stockOuts: make(map[offerCodes]*stockOut),
		held:      make(map[string]int),
		stats:     stats{byKind: make(map[string]int), buys: make(map[string][]BuyCall)},
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
	orderID string            // order, refund and another SMS calls
	limit   int               // inventory only
	method  string            // invoice only: "cryptomus" or "pay4bit"
	amount  int64             // invoice only
	apiKeys []string          // from the query and the JSON body
	body    map[string]string // JSON body fields, non-strings as their JSON text
	fields  []string          // names of the body's fields, sorted
	bad     *answer           // set when the call cannot be served: the answer
}

// maxRequestBody caps how much of a request body is read.
const maxRequestBody = 1 << 20

// parseCall routes r by hand: a few fixed shapes are cheaper to match than a
// mux, and the ids are taken from the escaped path so "1%2F2" stays one id.
func parseCall(r *http.Request) call {
	c := call{kind: kindOther}
	if k := r.URL.Query().Get("apiKey"); k != "" {
		c.apiKeys = append(c.apiKeys, k)
	}
	c.readBody(r)
	c.bad = ptr(errorAnswer(http.StatusNotFound, "Not found"))
	seg := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for i, s := range seg {
		u, err := url.PathUnescape(s)
		if err != nil {
			return c
		}
		seg[i] = u
	}
	if len(seg) < 4 || seg[0] != "v3" {
		return c
	}
	c.userID = seg[2]
	want := http.MethodGet
	area, n := seg[1], len(seg)
	switch {
	case area == "numbers" && seg[3] == "order" && n == 5:
		c.kind, c.orderID = kindOrder, seg[4]
	case area == "numbers" && seg[3] == "order" && n == 6:
		c.orderID, want = seg[4], http.MethodPatch
		switch seg[5] {
		case NextRefund:
			c.kind = kindRefund
		case NextAnotherSMS:
			c.kind = kindAnotherSMS
		default:
			c.bad = ptr(errorAnswer(http.StatusBadRequest, "Unknown action"))
			return c
		}
	case area == "numbers" && seg[3] == "order" && n == 4:
		c.kind, want = kindBuy, http.MethodPut
	case area == "numbers" && seg[3] == "inventory" && n == 5:
		c.kind = kindInventory
		limit, err := strconv.Atoi(seg[4])
		if err != nil || limit < 0 {
			c.bad = ptr(errorAnswer(http.StatusBadRequest, "Invalid limit"))
			return c // kind known for counting, but not valid
		}
		c.limit = limit
	case area == "customers" && n == 4 && seg[3] == "balance":
		c.kind = kindBalance
	case area == "customers" && n == 4 && seg[3] == "coupons":
		c.kind = kindCoupons
	case area == "customers" && n == 4 && seg[3] == "payments":
		c.kind = kindPayments
	case area == "customers" && n == 6 && (seg[3] == payCrypto || seg[3] == payCard) && seg[4] == "invoice":
		c.kind, c.method, want = kindInvoice, seg[3], http.MethodPut
		amount, err := strconv.ParseInt(seg[5], 10, 64)
		if err != nil || amount <= 0 {
			c.bad = ptr(errorAnswer(http.StatusBadRequest, "Invalid amount"))
			return c
		}
		c.amount = amount
	default:
		return c
	}
	c.bad = nil
	if r.Method != want {
		c.bad = ptr(errorAnswer(http.StatusMethodNotAllowed, "Method not allowed"))
	}
	return c
}

// readBody takes the fields of a JSON object body, and the apiKey among them.
// A body that is no JSON object is as good as none.
func (c *call) readBody(r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil || len(data) == 0 {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return
	}
	c.body = make(map[string]string, len(obj))
	for name, raw := range obj {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		c.body[name] = s
		c.fields = append(c.fields, name)
	}
	slices.Sort(c.fields)
	if k := c.body["apiKey"]; k != "" {
		c.apiKeys = append(c.apiKeys, k)
	}
}

func ptr[T any](v T) *T { return &v }

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
	drift := s.drift
	s.mu.Unlock()
	if f != nil {
		delay += f.Delay
	}
	if delay > 0 && !s.hold(r.Context(), c.kind, delay) {
		s.record(arrived, c, 0) // the client went away or the server is closing
		return
	}

	var a answer
	if f != nil && f.answers() {
		if f.CarryOut {
			s.answerCall(c, arrived) // the effect stays, the answer is the fault's
		}
		a = f.answer(c.kind)
	} else {
		a = s.answerCall(c, arrived)
	}
	a = drift.apply(a)
	if f != nil && f.RetryAfter != "" {
		a.retryAfter = f.RetryAfter
	}
	// The call has been carried out; a DelayAfter holds only its answer.
	if f != nil && f.DelayAfter > 0 && !s.hold(r.Context(), c.kind, f.DelayAfter) {
		s.record(arrived, c, 0)
		return
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

// hold is wait for a request of kind, counted by Held meanwhile.
func (s *Server) hold(ctx context.Context, kind string, d time.Duration) bool {
	s.mu.Lock()
	s.held[kind]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.held[kind]--
		s.mu.Unlock()
	}()
	return s.wait(ctx, d)
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
	if c.bad != nil {
		return *c.bad
	}
	s.mu.Lock()
	acc := s.accounts[c.userID]
	if acc == nil || acc.apiKey == "" || !slices.Contains(c.apiKeys, acc.apiKey) {
		s.mu.Unlock()
		return errorAnswer(http.StatusUnauthorized, "Invalid API key")
	}
	s.advanceInvoices(acc, now)
	var rep reply
	switch c.kind {
	case kindOrder:
		rep = s.getOrder(c, now)
	case kindBalance:
		rep = okReply(s.balanceWire(c.userID, acc))
	case kindInventory:
		rep = okReply(s.inventoryWire(c.userID, acc, c.limit, now))
	case kindRefund:
		rep = s.refund(c, acc, now)
	case kindAnotherSMS:
		rep = s.anotherSMS(c, now)
	case kindBuy:
		rep = s.buy(c, acc, now)
	case kindInvoice:
		rep = s.invoice(c, acc, now)
	case kindCoupons:
		rep = okReply(couponsWire(c.userID, acc))
	case kindPayments:
		rep = okReply(paymentsWire(c.userID, acc))
	}
	s.mu.Unlock()
	return rep.answer() // marshalled outside the lock: an inventory may be long
}

// getOrder serves an order call; s.mu is held.
func (s *Server) getOrder(c call, now time.Time) reply {
	o := s.orders[orderKey{c.userID, c.orderID}]
	if o == nil {
		return errorReply(http.StatusNotFound, "Order not found")
	}
	o.advance(now)
	o.LastCheckedAt = now.UTC().Truncate(time.Second)
	return okReply([]orderWire{o.wire(s.clockSkew)})
}

// reply is the outcome of a call, made under s.mu and marshalled after.
type reply struct {
	status int    // of a failure; a success is 200
	msg    string // errorMessage of a failure; "" for a success
	body   any    // body of the envelope, of a failure too when not nil
}

func okReply(body any) reply { return reply{body: body} }

func errorReply(status int, msg string) reply { return reply{status: status, msg: msg} }

func (r reply) answer() answer {
	if r.msg == "" {
		return okAnswer(r.body)
	}
	b, _ := json.Marshal(struct {
		OK           bool   `json:"ok"`
		ErrorMessage string `json:"errorMessage"`
		Body         any    `json:"body,omitempty"`
	}{false, r.msg, r.body})
	return answer{status: r.status, body: b}
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

func errorAnswer(status int, msg string) answer { return errorReply(status, msg).answer() }
