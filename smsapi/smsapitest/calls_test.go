package smsapitest_test

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

var discord = smsapitest.Offer{Service: "ds", Country: "12", Carrier: "tmobile", ServiceName: "Discord", CountryName: "United States", Price: 16, Stock: 2}

var buyDiscord = smsapi.BuyRequest{Service: "ds", Country: "12", Carrier: "any", MaxPrice: smsapi.Cents(20)}

func TestBuyDeductsAndAddsTheOrder(t *testing.T) {
	s, c := setup(t) // balance 100
	s.SetOffer(discord)

	p, err := c.Buy(t.Context(), cred, buyDiscord)
	if err != nil {
		t.Fatalf("Buy: %v", err)
	}
	if p.OrderID != "30000001" || p.PhoneNumber != "15550000001" || p.Price != smsapi.Cents(16) {
		t.Errorf("Purchase = %+v", p)
	}
	if left := time.Until(p.ExpiresAt); left < 19*time.Minute || left > 20*time.Minute {
		t.Errorf("ExpiresAt in %v, want about 20m", left)
	}
	if b := s.Balance(user); b != 84 {
		t.Errorf("balance = %d, want 84", b)
	}
	o := getOrder(t, c, p.OrderID)
	if o.Service != "Discord" || o.Country != "United States" || o.ServiceCode != "ds" || o.CountryCode != "12" ||
		o.Carrier != "tmobile" || o.PhoneNumber != p.PhoneNumber || o.Status != smsapitest.StatusWaiting || o.OrderedAt.IsZero() {
		t.Errorf("bought order = %+v", o)
	}
	inv, err := c.Inventory(t.Context(), cred, 0)
	if err != nil || len(inv) != 1 || inv[0].ID != p.OrderID {
		t.Errorf("Inventory = %+v, %v; want the bought order", inv, err)
	}

	// Stock runs out after the second.
	if p2, err := c.Buy(t.Context(), cred, buyDiscord); err != nil || p2.OrderID != "30000002" || p2.PhoneNumber != "15550000002" {
		t.Errorf("second Buy = %+v, %v", p2, err)
	}
	if _, err := c.Buy(t.Context(), cred, buyDiscord); !errors.Is(err, smsapi.ErrOutOfStock) {
		t.Errorf("third Buy: err = %v, want ErrOutOfStock", err)
	}
	if b := s.Balance(user); b != 68 {
		t.Errorf("balance = %d, want 68", b)
	}

	buys := s.Buys(user)
	if len(buys) != 3 {
		t.Fatalf("%d buys recorded, want 3", len(buys))
	}
	want := []string{"apiKey", "carrier", "country", "m", "maximumPrice", "n", "service"}
	b := buys[0]
	if !reflect.DeepEqual(b.Fields, want) || b.Country != "12" || b.Service != "ds" || b.Carrier != "any" ||
		b.MaximumPrice != "20" || b.M != "" || b.N != "" || b.Status != 200 {
		t.Errorf("buy call = %+v", b)
	}
	if buys[2].Status != http.StatusBadRequest {
		t.Errorf("third buy answered %d, want 400", buys[2].Status)
	}
	if n := s.RequestCount("buy"); n != 3 {
		t.Errorf("buy requests = %d, want 3", n)
	}
}

func TestBuyRefusals(t *testing.T) {
	s, c := setup(t) // balance 100
	s.SetOffer(discord)
	s.SetStock("ds", "12", "tmobile", -1)

	s.SetPrice("ds", "12", "tmobile", 25)
	_, err := c.Buy(t.Context(), cred, buyDiscord)
	if price, ok := smsapi.NewPrice(err); !errors.Is(err, smsapi.ErrPriceChanged) || !ok || price != smsapi.Cents(25) {
		t.Errorf("price over the maximum: err = %v, new price %v %v; want ErrPriceChanged at 25", err, price, ok)
	}
	var e *smsapi.Error
	if errors.As(err, &e) && e.StatusCode != 222 {
		t.Errorf("status = %d, want 222", e.StatusCode)
	}

	s.SetPrice("ds", "12", "tmobile", 101)
	rich := buyDiscord
	rich.MaxPrice = smsapi.Cents(500)
	if _, err := c.Buy(t.Context(), cred, rich); !errors.Is(err, smsapi.ErrLowBalance) {
		t.Errorf("price over the balance: err = %v, want ErrLowBalance", err)
	}

	other := buyDiscord
	other.Country = "44"
	if _, err := c.Buy(t.Context(), cred, other); !errors.Is(err, smsapi.ErrOutOfStock) {
		t.Errorf("no offer: err = %v, want ErrOutOfStock", err)
	}
	wrongCarrier := buyDiscord
	wrongCarrier.Carrier = "vodafone"
	if _, err := c.Buy(t.Context(), cred, wrongCarrier); !errors.Is(err, smsapi.ErrOutOfStock) {
		t.Errorf("other carrier: err = %v, want ErrOutOfStock", err)
	}
	if b := s.Balance(user); b != 100 {
		t.Errorf("balance = %d after refusals, want 100", b)
	}
	if _, ok := s.Order(user, "30000001"); ok {
		t.Error("a refused buy made an order")
	}

	// Unlimited stock stays unlimited.
	s.SetPrice("ds", "12", "tmobile", 1)
	for range 3 {
		if _, err := c.Buy(t.Context(), cred, buyDiscord); err != nil {
			t.Fatalf("unlimited stock: %v", err)
		}
	}
}

func TestRefundRules(t *testing.T) {
	s, c := setup(t) // balance 100
	s.AddOrder(user, smsapitest.NewOrder("w"))
	if err := c.Refund(t.Context(), cred, "w"); err != nil {
		t.Fatalf("Refund of a waiting order: %v", err)
	}
	if o := getOrder(t, c, "w"); o.Status != smsapitest.StatusRefunded || o.State() != smsapi.StateFinal {
		t.Errorf("refunded order reads %q", o.Status)
	}
	if b := s.Balance(user); b != 116 {
		t.Errorf("balance = %d, want 116", b)
	}
	assertRejected(t, c.Refund(t.Context(), cred, "w"), "Order is already closed")

	s.AddOrder(user, smsapitest.NewOrder("sms"))
	s.DeliverSMS(user, "sms", "123456")
	assertRejected(t, c.Refund(t.Context(), cred, "sms"), "Refund is not possible: the number already received an SMS")

	done := smsapitest.NewOrder("done")
	done.Status = smsapitest.StatusCompleted
	s.AddOrder(user, done)
	assertRejected(t, c.Refund(t.Context(), cred, "done"), "Refund is not possible: the number already received an SMS")

	expired := smsapitest.NewOrder("old")
	expired.ExpiresAt = time.Now().Add(-time.Second)
	s.AddOrder(user, expired)
	assertRejected(t, c.Refund(t.Context(), cred, "old"), "Order is already closed")

	if err := c.Refund(t.Context(), cred, "nope"); !errors.Is(err, smsapi.ErrOrderNotFound) {
		t.Errorf("unknown order: err = %v, want ErrOrderNotFound", err)
	}
	if b := s.Balance(user); b != 116 {
		t.Errorf("balance = %d after refused refunds, want 116", b)
	}
	if n := s.RequestCount("refund"); n != 6 {
		t.Errorf("refund requests = %d, want 6", n)
	}
}

// TestRefundAfter refunds a bought number while SMSOnline refuses refunds in
// an order's first minutes: refused (definitely, not as bad credentials) and
// not credited while the order is younger than the delay by the server's real
// clock, whatever its skewed one says; refunded, and credited once, after.
func TestRefundAfter(t *testing.T) {
	tests := []struct {
		name        string
		refundAfter time.Duration
		skew        time.Duration // SetClockSkew
		age         time.Duration // how long before the refund the number was bought
		wantRefused bool
	}{
		{"no delay", 0, 0, 0, false},
		{"just bought", 2 * time.Minute, 0, 0, true},
		{"too early", 5 * time.Minute, 0, 4 * time.Minute, true},
		{"skewed clock reads it old", 5 * time.Minute, time.Hour, 0, true},
		{"old enough", 5 * time.Minute, 0, 5 * time.Minute, false},
		{"old enough, skewed clock reads it new", 5 * time.Minute, -time.Hour, 5 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := setup(t) // balance 100
			s.SetOffer(discord)
			s.SetRefundAfter(tt.refundAfter)
			s.SetClockSkew(tt.skew)
			p, err := c.Buy(t.Context(), cred, buyDiscord)
			if err != nil {
				t.Fatalf("Buy: %v", err)
			}
			older := func(d time.Duration) {
				s.UpdateOrder(user, p.OrderID, func(o *smsapitest.Order) { o.OrderedAt = o.OrderedAt.Add(-d) })
			}
			older(tt.age)

			if tt.wantRefused {
				err := c.Refund(t.Context(), cred, p.OrderID)
				assertRejected(t, err, "Refund is not available yet")
				if smsapi.OutcomeUnknown(err) || errors.Is(err, smsapi.ErrBadCredentials) {
					t.Errorf("err = %v, want a definite refusal", err)
				}
				if o, _ := s.Order(user, p.OrderID); o.Status != smsapitest.StatusWaiting || s.Balance(user) != 84 {
					t.Errorf("after a refused refund: status %q, balance %d; want waiting, 84", o.Status, s.Balance(user))
				}
				older(tt.refundAfter) // as if the delay had passed
			}
			if err := c.Refund(t.Context(), cred, p.OrderID); err != nil {
				t.Fatalf("Refund: %v", err)
			}
			assertRejected(t, c.Refund(t.Context(), cred, p.OrderID), "Order is already closed")
			if o, _ := s.Order(user, p.OrderID); o.Status != smsapitest.StatusRefunded || s.Balance(user) != 100 {
				t.Errorf("after the refund: status %q, balance %d; want refunded, 100", o.Status, s.Balance(user))
			}
		})
	}
}

// TestRefundAfterSMS: a number that got its SMS in its first minutes is told
// it cannot be refunded at all, not that it is too early.
func TestRefundAfterSMS(t *testing.T) {
	s, c := setup(t)
	s.SetRefundAfter(5 * time.Minute)
	s.AddOrder(user, smsapitest.NewOrder("sms"))
	s.DeliverSMS(user, "sms", "123456")
	assertRejected(t, c.Refund(t.Context(), cred, "sms"), "Refund is not possible: the number already received an SMS")
}

func TestAnotherSMS(t *testing.T) {
	s, c := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("1"))
	assertRejected(t, c.AnotherSMS(t.Context(), cred, "1"), "No SMS received yet")

	s.DeliverSMS(user, "1", "111111")
	if err := c.AnotherSMS(t.Context(), cred, "1"); err != nil {
		t.Fatalf("AnotherSMS: %v", err)
	}
	// Waiting again, with the old SMS still shown: the bot must dedupe.
	if o := getOrder(t, c, "1"); o.Status != smsapitest.StatusWaiting || o.SMS != "111111" {
		t.Errorf("after AnotherSMS: status %q, SMS %q", o.Status, o.SMS)
	}
	s.DeliverSMS(user, "1", "222222")
	if o := getOrder(t, c, "1"); o.State() != smsapi.StateReceived || o.SMS != "222222" {
		t.Errorf("second SMS: state %v, SMS %q", o.State(), o.SMS)
	}

	s.AddOrder(user, smsapitest.NewOrder("c"))
	s.DeliverSMS(user, "c", "1")
	s.SetStatus(user, "c", smsapitest.StatusCancelled)
	assertRejected(t, c.AnotherSMS(t.Context(), cred, "c"), "Order is already closed")
	if err := c.AnotherSMS(t.Context(), cred, "nope"); !errors.Is(err, smsapi.ErrOrderNotFound) {
		t.Errorf("unknown order: err = %v, want ErrOrderNotFound", err)
	}
	if n := s.RequestCount("another_sms"); n != 4 {
		t.Errorf("another_sms requests = %d, want 4", n)
	}
}

func assertRejected(t *testing.T, err error, msg string) {
	t.Helper()
	var e *smsapi.Error
	if !errors.Is(err, smsapi.ErrRejected) || !errors.As(err, &e) || e.Message != msg || e.StatusCode != http.StatusBadRequest {
		t.Errorf("err = %v, want ErrRejected (400) %q", err, msg)
	}
}

func TestInvoicesAndPayAfter(t *testing.T) {
	s, c := setup(t) // balance 100
	link, err := c.Invoice(t.Context(), cred, smsapi.PayCrypto, smsapi.Cents(500), "SAVE10")
	if err != nil {
		t.Fatalf("Invoice: %v", err)
	}
	invs := s.Invoices(user)
	if len(invs) != 1 {
		t.Fatalf("%d invoices, want 1", len(invs))
	}
	inv := invs[0]
	if link != "https://pay.cryptomus.com/pay/"+inv.PayID || inv.Method != "cryptomus" || inv.Amount != 500 ||
		inv.Coupon != "SAVE10" || inv.Status != smsapitest.InvoicePending || inv.ExpiresAt.Sub(inv.Created) != time.Hour {
		t.Errorf("link %q, invoice %+v", link, inv)
	}

	card, err := c.Invoice(t.Context(), cred, smsapi.PayCard, smsapi.Cents(1250), "")
	if err != nil {
		t.Fatalf("card Invoice: %v", err)
	}
	u, err := url.Parse(card)
	q := u.Query()
	if err != nil || u.Host != "api.pay4bit.net" || q.Get("amount") != "1250" || q.Get("currency") != "USD" ||
		q.Get("user") != user || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(q.Get("sign")) {
		t.Errorf("card link %q", card)
	}
	if b := s.Balance(user); b != 100 {
		t.Errorf("balance = %d before payment, want 100", b)
	}

	s.SetPayAfter(0)
	if b := s.Balance(user); b != 1850 {
		t.Errorf("balance = %d after pay-after, want 1850", b)
	}
	pays := s.Invoices(user)
	if len(pays) != 2 || pays[0].Status != smsapitest.InvoicePaid || pays[1].Status != smsapitest.InvoicePaid ||
		pays[0].Amount != 500 || pays[1].Method != "pay4bit" || pays[0].PayID != inv.PayID {
		t.Errorf("invoices after paying = %+v", pays)
	}

	// Later invoices are paid too, once d has passed; PayInvoices pays now.
	s.SetPayAfter(time.Hour / 2)
	if _, err := c.Invoice(t.Context(), cred, smsapi.PayCrypto, smsapi.Cents(100), ""); err != nil {
		t.Fatal(err)
	}
	if b := s.Balance(user); b != 1850 {
		t.Errorf("balance = %d before the half hour, want 1850", b)
	}
	s.PayInvoices(user)
	if b, last := s.Balance(user), s.Invoices(user)[2]; b != 1950 || last.Status != smsapitest.InvoicePaid {
		t.Errorf("after PayInvoices: balance %d, status %q", b, last.Status)
	}
	if n := s.RequestCount("invoice"); n != 3 {
		t.Errorf("invoice requests = %d, want 3", n)
	}
}

func TestCoupons(t *testing.T) {
	s, c := setup(t)
	issued := time.Now().UTC().Truncate(time.Second)
	s.AddCoupon(user, smsapitest.Coupon{Code: "SAVE10", IssuedAt: issued, ExpiresAt: issued.Add(30 * 24 * time.Hour), Status: "issued", Percentage: 10, TargetPay: "crypto"})
	got, err := c.Coupons(t.Context(), cred)
	if err != nil || len(got) != 1 {
		t.Fatalf("Coupons = %+v, %v", got, err)
	}
	want := smsapi.Coupon{Code: "SAVE10", IssuedAt: issued, ExpiresAt: issued.Add(30 * 24 * time.Hour), Status: "issued", Percentage: 10, TargetPay: "crypto"}
	if got[0] != want || !got[0].Usable(time.Now()) {
		t.Errorf("coupon = %+v, want %+v, usable", got[0], want)
	}
	if b, err := c.Balance(t.Context(), cred); err != nil || b.CouponCount != 1 {
		t.Errorf("Balance = %+v, %v; want couponCount 1", b, err)
	}
}

// TestDelayAfterCarriesOutTheCall scripts a buy and a refund that happen
// while their answers never arrive.
func TestDelayAfterCarriesOutTheCall(t *testing.T) {
	s, c := setup(t, smsapi.WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
	s.SetOffer(discord)
	s.InjectFault(smsapitest.Fault{Match: "buy", DelayAfter: time.Hour, Times: 1})

	_, err := c.Buy(t.Context(), cred, buyDiscord)
	if !smsapi.OutcomeUnknown(err) {
		t.Fatalf("err = %v, want an unknown outcome", err)
	}
	if b := s.Balance(user); b != 84 {
		t.Errorf("balance = %d, want 84: the buy happened", b)
	}
	if _, ok := s.Order(user, "30000001"); !ok {
		t.Error("the timed-out buy made no order")
	}
	waitFor(t, func() bool {
		buys := s.Buys(user)
		return len(buys) == 1 && buys[0].Status == 0
	})

	s.InjectFault(smsapitest.Fault{Match: "refund", DelayAfter: time.Hour, Times: 1})
	if err := c.Refund(t.Context(), cred, "30000001"); !smsapi.OutcomeUnknown(err) {
		t.Fatalf("refund err = %v, want an unknown outcome", err)
	}
	if o, _ := s.Order(user, "30000001"); o.Status != smsapitest.StatusRefunded || s.Balance(user) != 100 {
		t.Errorf("after the timed-out refund: status %q, balance %d", o.Status, s.Balance(user))
	}
	// A held answer is counted once the server gives it up, after the
	// client went away: wait for that rather than race it.
	waitFor(t, func() bool { return s.RequestCount("refund") == 1 })
	if n := s.RequestCount("buy") + s.RequestCount("refund"); n != 2 {
		t.Errorf("%d buy and refund requests, want 2 (never retried)", n)
	}
}

// TestRouting checks the paths, methods and key places the server accepts,
// with raw requests.
func TestRouting(t *testing.T) {
	s, _ := setup(t)
	s.AddOrder(user, smsapitest.NewOrder("1"))
	s.SetOffer(discord)
	base := s.URL + "/v3/numbers/" + user + "/order"
	tests := []struct {
		name, method, url, body string
		want                    int
	}{
		{"refund, key in body only", "PATCH", base + "/1/refund", `{"apiKey":"` + key + `"}`, 200},
		{"another SMS, key in query only", "PATCH", base + "/1/resend?apiKey=" + key, ``, 400},
		{"unknown next", "PATCH", base + "/1/cancel?apiKey=" + key, ``, 400},
		{"no key", "PATCH", base + "/1/refund", `{}`, 401},
		{"wrong key in body", "PUT", base, `{"apiKey":"nope","country":"12","service":"ds","carrier":"any","maximumPrice":"20","m":"","n":""}`, 401},
		{"buy, missing m", "PUT", base, `{"apiKey":"` + key + `","country":"12","service":"ds","carrier":"any","maximumPrice":"20","n":""}`, 400},
		{"buy, cents as dollars", "PUT", base, `{"apiKey":"` + key + `","country":"12","service":"ds","carrier":"any","maximumPrice":"0.20","m":"","n":""}`, 400},
		{"buy by GET", "GET", base + "?apiKey=" + key, ``, 405},
		{"refund by GET", "GET", base + "/1/refund?apiKey=" + key, ``, 405},
		{"invoice amount zero", "PUT", s.URL + "/v3/customers/" + user + "/cryptomus/invoice/0", `{"apiKey":"` + key + `"}`, 400},
		{"invoice amount dollars", "PUT", s.URL + "/v3/customers/" + user + "/pay4bit/invoice/5.00", `{"apiKey":"` + key + `"}`, 400},
		{"invoice unknown method", "PUT", s.URL + "/v3/customers/" + user + "/paypal/invoice/500", `{"apiKey":"` + key + `"}`, 404},
		{"coupons", "GET", s.URL + "/v3/customers/" + user + "/coupons?apiKey=" + key, ``, 200},
		{"payments by PUT", "PUT", s.URL + "/v3/customers/" + user + "/payments", `{"apiKey":"` + key + `"}`, 405},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), tt.method, tt.url, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	for kind, want := range map[string]int{"refund": 3, "another_sms": 1, "buy": 4, "invoice": 2, "coupons": 1, "payments": 1, "other": 2} {
		if got := s.RequestCount(kind); got != want {
			t.Errorf("RequestCount(%q) = %d, want %d", kind, got, want)
		}
	}
}
