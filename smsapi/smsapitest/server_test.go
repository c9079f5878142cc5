package smsapitest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

const (
	user = "user_1"
	key  = "key-1"
)

var cred = smsapi.Credentials{UserID: user, APIKey: key}

// setup returns a server with one account and its client.
func setup(t *testing.T, opts ...smsapi.Option) (*smsapitest.Server, *smsapi.Client) {
	t.Helper()
	s := smsapitest.New(t)
	s.AddAccount(user, key, 100)
	c, err := smsapi.New(s.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func getOrder(t *testing.T, c *smsapi.Client, id string) smsapi.Order {
	t.Helper()
	o, err := c.GetOrder(t.Context(), cred, id)
	if err != nil {
		t.Fatalf("GetOrder(%s): %v", id, err)
	}
	return o
}

func TestOrderLife(t *testing.T) {
	s, c := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("100"))

	o := getOrder(t, c, "100")
	if o.State() != smsapi.StateWaiting || o.HasSMS() || o.Status != smsapitest.StatusWaiting {
		t.Fatalf("new order: state %v, status %q, SMS %q; want waiting, no SMS", o.State(), o.Status, o.SMS)
	}
	if o.Service != "Discord" || o.Country != "United States" || o.PhoneNumber != "1234567890" || o.Price != smsapi.Cents(16) {
		t.Errorf("defaults = %+v", o)
	}
	if got := o.ExpiresAt.Sub(o.OrderedAt); got != 20*time.Minute {
		t.Errorf("lifetime = %v, want 20m", got)
	}
	if since := time.Since(o.LastCheckedAt); since < 0 || since > time.Minute {
		t.Errorf("LastCheckedAt = %v, want about now", o.LastCheckedAt)
	}

	s.DeliverSMS(user, "100", "123456")
	if o = getOrder(t, c, "100"); o.State() != smsapi.StateReceived || o.SMS != "123456" {
		t.Fatalf("after SMS: state %v, SMS %q", o.State(), o.SMS)
	}
	s.DeliverSMS(user, "100", "Your code is 654321")
	if o = getOrder(t, c, "100"); o.State() != smsapi.StateReceived || o.SMS != "Your code is 654321" {
		t.Fatalf("after second SMS: state %v, SMS %q", o.State(), o.SMS)
	}
	if stored, ok := s.Order(user, "100"); !ok || stored.SMS != "Your code is 654321" || stored.LastCheckedAt.IsZero() {
		t.Errorf("Order() = %+v, %v", stored, ok)
	}
}

func TestOrderEnds(t *testing.T) {
	s, c := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("c"))
	s.SetStatus(user, "c", smsapitest.StatusCancelled)

	expired := smsapitest.NewOrder("e")
	expired.OrderedAt = time.Now().Add(-30 * time.Minute).UTC().Truncate(time.Second)
	expired.ExpiresAt = expired.OrderedAt.Add(20 * time.Minute)
	s.AddOrder(user, expired)

	done := smsapitest.NewOrder("d")
	done.ExpiresAt = time.Now().Add(-time.Minute)
	done.Status, done.SMS = smsapitest.StatusCompleted, "42"
	s.AddOrder(user, done)

	for id, want := range map[string]struct {
		status string
		state  smsapi.State
	}{
		"c": {"cancelled", smsapi.StateFinal},
		"e": {"expired", smsapi.StateFinal},
		"d": {"completed", smsapi.StateReceived}, // an SMS outlives the order's expiry
	} {
		o := getOrder(t, c, id)
		if o.Status != want.status || o.State() != want.state {
			t.Errorf("order %s: status %q state %v, want %q %v", id, o.Status, o.State(), want.status, want.state)
		}
	}
}

func TestScheduleSMS(t *testing.T) {
	s, c := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("1"))
	now := time.Now()
	s.ScheduleSMS(user, "1", now.Add(time.Hour), "later")
	s.ScheduleSMS(user, "1", now.Add(-2*time.Second), "first")
	s.ScheduleSMS(user, "1", now.Add(-time.Second), "second")

	if o := getOrder(t, c, "1"); o.SMS != "second" || o.State() != smsapi.StateReceived {
		t.Errorf("due SMS: got %q (%v), want the latest due one, %q", o.SMS, o.State(), "second")
	}

	s.AddOrder(user, smsapitest.NewOrder("2"))
	s.ScheduleSMS(user, "2", now.Add(time.Hour), "later")
	if o := getOrder(t, c, "2"); o.HasSMS() || o.State() != smsapi.StateWaiting {
		t.Errorf("SMS due in an hour is already visible: %q", o.SMS)
	}
}

func TestUpdateOrder(t *testing.T) {
	s, c := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("1"))
	s.UpdateOrder(user, "1", func(o *smsapitest.Order) {
		o.ID = "changed" // ignored
		o.Service, o.Price, o.Status = "Telegram", 25, "waiting for number"
	})
	o := getOrder(t, c, "1")
	if o.ID != "1" || o.Service != "Telegram" || o.Price != smsapi.Cents(25) || o.Status != "waiting for number" {
		t.Errorf("after UpdateOrder: %+v", o)
	}
}

func TestCredentials(t *testing.T) {
	s, c := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("1"))

	calls := map[string]func(smsapi.Credentials) error{
		"order":     func(cr smsapi.Credentials) error { _, err := c.GetOrder(t.Context(), cr, "1"); return err },
		"balance":   func(cr smsapi.Credentials) error { _, err := c.Balance(t.Context(), cr); return err },
		"inventory": func(cr smsapi.Credentials) error { _, err := c.Inventory(t.Context(), cr, 0); return err },
	}
	for name, call := range calls {
		for _, cr := range []smsapi.Credentials{{UserID: "nobody", APIKey: key}, {UserID: user, APIKey: "wrong"}} {
			err := call(cr)
			var e *smsapi.Error
			if !errors.Is(err, smsapi.ErrBadCredentials) || !errors.As(err, &e) || e.StatusCode != 401 || e.Message != "Invalid API key" {
				t.Errorf("%s with %s: err = %v, want 401 bad credentials", name, cr.UserID, err)
			}
		}
	}

	s.RevokeKey(user)
	if err := calls["order"](cred); !errors.Is(err, smsapi.ErrBadCredentials) {
		t.Errorf("after RevokeKey: err = %v, want bad credentials", err)
	}
	s.SetKey(user, "key-2")
	if err := calls["order"](cred); !errors.Is(err, smsapi.ErrBadCredentials) {
		t.Errorf("old key after SetKey: err = %v, want bad credentials", err)
	}
	if err := calls["order"](smsapi.Credentials{UserID: user, APIKey: "key-2"}); err != nil {
		t.Errorf("new key after SetKey: %v", err)
	}
}

func TestUnknownOrder(t *testing.T) {
	_, c := setup(t)
	_, err := c.GetOrder(t.Context(), cred, "404")
	var e *smsapi.Error
	if !errors.Is(err, smsapi.ErrOrderNotFound) || !errors.As(err, &e) || e.StatusCode != 404 || e.Message != "Order not found" {
		t.Errorf("err = %v, want 404 order not found", err)
	}
}

func TestFaults(t *testing.T) {
	s, c := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("1"))

	// Two 503s on order calls only, then normal answers.
	s.InjectFault(smsapitest.Fault{Status: 503, Times: 2, Match: "order"})
	if _, err := c.Balance(t.Context(), cred); err != nil {
		t.Errorf("balance under an order fault: %v", err)
	}
	for i := range 2 {
		if _, err := c.GetOrder(t.Context(), cred, "1"); !errors.Is(err, smsapi.ErrTransient) {
			t.Errorf("order call %d: err = %v, want transient", i, err)
		}
	}
	getOrder(t, c, "1")

	// 429 with Retry-After until cleared.
	s.InjectFault(smsapitest.Fault{Status: 429, RetryAfter: "3"})
	for range 3 {
		_, err := c.Inventory(t.Context(), cred, 0)
		var e *smsapi.Error
		if !errors.As(err, &e) || !errors.Is(err, smsapi.ErrRateLimited) || e.RetryAfter != 3*time.Second || e.Message != "Too many requests" {
			t.Errorf("err = %v, want rate limited, retry after 3s", err)
		}
	}
	s.ClearFaults()
	getOrder(t, c, "1")

	// A raw body; the first matching fault in the queue wins.
	s.InjectFault(smsapitest.Fault{Status: 502, Body: "<html>Bad Gateway</html>", Times: 1})
	s.InjectFault(smsapitest.Fault{Status: 401, Times: 1})
	if _, err := c.GetOrder(t.Context(), cred, "1"); !errors.Is(err, smsapi.ErrTransient) {
		t.Errorf("HTML 502: err = %v, want transient", err)
	}
	if _, err := c.GetOrder(t.Context(), cred, "1"); !errors.Is(err, smsapi.ErrBadCredentials) {
		t.Errorf("401 fault: err = %v, want bad credentials", err)
	}
	s.InjectFault(smsapitest.Fault{Body: `{"ok":true,"body":[{"orderId":"1"`, Times: 1})
	if _, err := c.GetOrder(t.Context(), cred, "1"); !errors.Is(err, smsapi.ErrMalformed) {
		t.Errorf("truncated body: err = %v, want malformed", err)
	}
	getOrder(t, c, "1")
}

func TestDelayFaultAndClientGoingAway(t *testing.T) {
	s, c := setup(t, smsapi.WithHTTPClient(&http.Client{Timeout: 50 * time.Millisecond}))
	s.AddOrder(user, smsapitest.NewOrder("1"))
	s.InjectFault(smsapitest.Fault{Delay: time.Hour, Times: 1})

	if _, err := c.GetOrder(t.Context(), cred, "1"); !errors.Is(err, smsapi.ErrTransient) {
		t.Fatalf("err = %v, want transient (client timeout)", err)
	}
	// The handler notices the client left and logs the request unanswered.
	waitFor(t, func() bool {
		log := s.Log()
		return len(log) == 1 && log[0].Status == 0
	})
	getOrder(t, c, "1") // the fault was used up
}

// TestHeld counts a request while a fault holds it, before and after the
// call is carried out, and not once the client went away.
func TestHeld(t *testing.T) {
	s, c := setup(t, smsapi.WithHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}))
	s.AddOrder(user, smsapitest.NewOrder("1"))
	for _, f := range []smsapitest.Fault{
		{Match: "order", Delay: time.Hour, Times: 1},
		{Match: "refund", DelayAfter: time.Hour, Times: 1},
	} {
		s.InjectFault(f)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if f.Match == "order" {
				c.GetOrder(t.Context(), cred, "1")
			} else {
				c.Refund(t.Context(), cred, "1")
			}
		}()
		waitFor(t, func() bool { return s.Held(f.Match) == 1 })
		<-done
		waitFor(t, func() bool { return s.Held(f.Match) == 0 })
	}
	if o, _ := s.Order(user, "1"); o.Status != smsapitest.StatusRefunded {
		t.Errorf("status %q: the held refund was not carried out", o.Status)
	}
}

func TestLatency(t *testing.T) {
	s, c := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("1"))
	s.SetLatency(30 * time.Millisecond)
	start := time.Now()
	getOrder(t, c, "1")
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answer took %v, want at least the 30ms latency", d)
	}
}

func TestCountsAndLog(t *testing.T) {
	s, c := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("1"))
	getOrder(t, c, "1")
	getOrder(t, c, "1")
	_, _ = c.GetOrder(t.Context(), cred, "2")
	_, _ = c.Balance(t.Context(), cred)
	_, _ = c.Inventory(t.Context(), cred, 1)

	if got := s.Requests(); got != 5 {
		t.Errorf("Requests = %d, want 5", got)
	}
	for kind, want := range map[string]int{"order": 3, "balance": 1, "inventory": 1, "other": 0} {
		if got := s.RequestCount(kind); got != want {
			t.Errorf("RequestCount(%s) = %d, want %d", kind, got, want)
		}
	}
	log := s.Log()
	if len(log) != 5 {
		t.Fatalf("Log has %d entries, want 5", len(log))
	}
	if r := log[2]; r.Kind != "order" || r.UserID != user || r.OrderID != "2" || r.Status != 404 || r.At.IsZero() {
		t.Errorf("log[2] = %+v", r)
	}
	sum := 0
	for _, n := range s.PerSecond() {
		sum += n
	}
	if sum != 5 {
		t.Errorf("PerSecond sums to %d, want 5", sum)
	}
}

func TestWireFormat(t *testing.T) {
	s := smsapitest.New(t)
	s.AddAccount(user, key, 7)
	o := smsapitest.NewOrder("20046875")
	o.OrderedAt = time.Date(2025, 5, 17, 5, 47, 13, 0, time.UTC)
	o.ExpiresAt = time.Date(2099, 5, 17, 6, 7, 13, 0, time.UTC)
	s.AddOrder(user, o)
	s.DeliverSMS(user, "20046875", "123456")

	body := httpGet(t, s.URL+"/v3/numbers/user_1/order/20046875?apiKey="+key, 200)
	var env struct {
		OK   bool
		Body []map[string]any
	}
	if err := json.Unmarshal(body, &env); err != nil || !env.OK || len(env.Body) != 1 {
		t.Fatalf("order envelope %s: %v", body, err)
	}
	got := env.Body[0]
	for k, want := range map[string]any{
		"sShort": "ds", "cShort": "12", "orderId": "20046875", "country": "United States",
		"service": "Discord", "carrier": "any", "phoneNumber": "1234567890", "purchasePrice": 16.0,
		"status": "completed", "receivedSMS": "123456", "orderedAt": "2025-05-17 05:47:13",
		"expiredAt": "2099-05-17 06:07:13",
	} {
		if got[k] != want {
			t.Errorf("%s = %#v, want %#v", k, got[k], want)
		}
	}
	if _, err := time.Parse("2006-01-02 15:04:05", got["lastCheckedAt"].(string)); err != nil {
		t.Errorf("lastCheckedAt %v: %v", got["lastCheckedAt"], err)
	}

	body = httpGet(t, s.URL+"/v3/customers/user_1/balance?apiKey="+key, 200)
	want := `{"ok":true,"body":{"userId":"user_1","balance":7,"totalCharges":"16","couponCount":0,"currentDiscountRate":"0%",` +
		`"discountRates":[[8000,0.8,"-20%"],[6000,0.85,"-15%"],[4000,0.9,"-10%"],[2000,0.95,"-5%"],[0,1,"0%"]]}}`
	if string(body) != want {
		t.Errorf("balance = %s, want %s", body, want)
	}

	httpGet(t, s.URL+"/v3/numbers/user_1/inventory/x?apiKey="+key, 400)
	httpGet(t, s.URL+"/v3/nothing?apiKey="+key, 404)
	if body := httpGet(t, s.URL+"/v3/customers/user_1/balance", 401); !strings.Contains(string(body), `"errorMessage":"Invalid API key"`) {
		t.Errorf("401 body = %s", body)
	}
	for _, r := range s.Log() {
		if strings.Contains(r.UserID+r.OrderID+r.Kind, key) {
			t.Errorf("log entry %+v holds the key", r)
		}
	}
}

func TestConcurrentLoad(t *testing.T) {
	s := smsapitest.New(t)
	const accounts, orders = 20, 50
	for a := range accounts {
		u := "u" + itoa(a)
		s.AddAccount(u, "k"+u, 0)
		for o := range orders {
			s.AddOrder(u, smsapitest.NewOrder(itoa(o)))
		}
	}
	c, err := smsapi.New(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for a := range accounts {
		wg.Go(func() {
			u := "u" + itoa(a)
			cr := smsapi.Credentials{UserID: u, APIKey: "k" + u}
			for o := range orders {
				if o%2 == 0 {
					s.DeliverSMS(u, itoa(o), "code "+itoa(o))
				}
				got, err := c.GetOrder(t.Context(), cr, itoa(o))
				if err != nil || got.HasSMS() != (o%2 == 0) {
					t.Errorf("%s/%d: %+v, %v", u, o, got, err)
				}
			}
		})
	}
	wg.Wait()
	if got := s.RequestCount("order"); got != accounts*orders {
		t.Errorf("order requests = %d, want %d", got, accounts*orders)
	}
}

func BenchmarkOrderCall(b *testing.B) {
	s := smsapitest.New(b)
	s.AddAccount(user, key, 0)
	for o := range 10000 {
		s.AddOrder(user, smsapitest.NewOrder(itoa(o)))
	}
	c, err := smsapi.New(s.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.GetOrder(b.Context(), cred, itoa(i%10000)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func httpGet(t *testing.T, url string, wantStatus int) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		t.Errorf("GET %s: status %d, want %d; body %s", url, resp.StatusCode, wantStatus, body)
	}
	return body
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
