package smsapitest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// catalogue is one service and country on three carriers, in this order:
// tmobile at 16, vodafone at 18, att at 30 (over buyDiscord's maximum of 20).
func catalogue(s *smsapitest.Server, tmobileStock, vodafoneStock int) {
	tmobile := discord
	tmobile.Stock = tmobileStock
	vodafone := discord
	vodafone.Carrier, vodafone.Price, vodafone.Stock = "vodafone", 18, vodafoneStock
	att := discord
	att.Carrier, att.Price, att.Stock = "att", 30, -1
	telegram := discord
	telegram.Service, telegram.ServiceName, telegram.Carrier, telegram.Price, telegram.Stock = "tg", "Telegram", "verizon", 1, -1
	for _, o := range []smsapitest.Offer{telegram, tmobile, vodafone, att} {
		s.SetOffer(o)
	}
}

func TestFailover(t *testing.T) {
	tests := []struct {
		name           string
		failover       smsapitest.Failover
		carrier        string
		tmobile, voda  int    // stock
		wantCarrier    string // "" when nothing is bought
		wantPrice      int64
		wantOutOfStock bool
	}{
		{"off, carrier out", smsapitest.FailoverOff, "tmobile", 0, -1, "", 0, true},
		{"when out, carrier in stock", smsapitest.FailoverWhenOut, "tmobile", 1, -1, "tmobile", 16, false},
		{"when out, carrier out", smsapitest.FailoverWhenOut, "tmobile", 0, -1, "vodafone", 18, false},
		{"when out, unknown carrier", smsapitest.FailoverWhenOut, "sprint", 1, -1, "tmobile", 16, false},
		{"when out, the others over the maximum price", smsapitest.FailoverWhenOut, "tmobile", 0, 0, "", 0, true},
		{"always, carrier in stock", smsapitest.FailoverAlways, "tmobile", 1, -1, "vodafone", 18, false},
		{"always, only the carrier in stock", smsapitest.FailoverAlways, "tmobile", 1, 0, "tmobile", 16, false},
		{"always, any carrier", smsapitest.FailoverAlways, "any", 1, -1, "tmobile", 16, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := setup(t) // balance 100
			catalogue(s, tt.tmobile, tt.voda)
			s.SetFailover(tt.failover)
			req := buyDiscord
			req.Carrier = tt.carrier

			p, err := c.Buy(t.Context(), cred, req)
			if tt.wantOutOfStock {
				if !errors.Is(err, smsapi.ErrOutOfStock) {
					t.Errorf("err = %v, want ErrOutOfStock", err)
				}
			} else if err != nil || p.Price != smsapi.Cents(tt.wantPrice) {
				t.Fatalf("Buy = %+v, %v; want a purchase at %d", p, err, tt.wantPrice)
			}

			inv, err := c.Inventory(t.Context(), cred, 0)
			if err != nil {
				t.Fatalf("Inventory: %v", err)
			}
			if tt.wantCarrier == "" {
				if len(inv) != 0 || s.Balance(user) != 100 {
					t.Errorf("inventory %+v, balance %d; want nothing bought", inv, s.Balance(user))
				}
				return
			}
			if len(inv) != 1 || inv[0].ID != p.OrderID || inv[0].Carrier != tt.wantCarrier || inv[0].Price != smsapi.Cents(tt.wantPrice) ||
				inv[0].ServiceCode != "ds" || inv[0].CountryCode != "12" {
				t.Errorf("inventory = %+v; want one ds/12 order on %s at %d", inv, tt.wantCarrier, tt.wantPrice)
			}
			if b := s.Balance(user); b != 100-tt.wantPrice {
				t.Errorf("balance = %d, want %d: charged once, the filled price", b, 100-tt.wantPrice)
			}
			if buys := s.Buys(user); len(buys) != 1 || buys[0].Carrier != tt.carrier {
				t.Errorf("buys = %+v; want one, for carrier %s as asked", buys, tt.carrier)
			}
		})
	}
}

// TestFailoverStock checks that failing over takes stock from the offer that
// filled the order, and that a purchase sending "failover": false never
// fails over.
func TestFailoverStock(t *testing.T) {
	s, c := setup(t) // balance 100
	catalogue(s, 0, 1)
	s.SetFailover(smsapitest.FailoverWhenOut)

	put := func(failover string) int {
		body := `{"apiKey":"` + key + `","country":"12","service":"ds","carrier":"tmobile","maximumPrice":"20","m":"","n":""` + failover + `}`
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, s.URL+"/v3/numbers/"+user+"/order", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := put(`,"failover":false`); got != http.StatusBadRequest {
		t.Errorf("failover false: status %d, want 400 (no numbers)", got)
	}
	if got := put(`,"failover":true`); got != http.StatusOK {
		t.Errorf("failover true: status %d, want 200", got)
	}
	tmobile := buyDiscord
	tmobile.Carrier = "tmobile"
	if _, err := c.Buy(t.Context(), cred, tmobile); !errors.Is(err, smsapi.ErrOutOfStock) {
		t.Errorf("after vodafone's one number: err = %v, want ErrOutOfStock", err)
	}
	if b := s.Balance(user); b != 82 {
		t.Errorf("balance = %d, want 82: one number at 18", b)
	}
}

// TestBuyCarriedOutAnswerLost scripts purchases that happen while the client
// learns nothing usable: the answer held past the client's timeout, or an
// error or garbage sent after the order was made. Only a fault that does not
// carry the call out buys nothing.
func TestBuyCarriedOutAnswerLost(t *testing.T) {
	tests := []struct {
		name       string
		fault      smsapitest.Fault
		wantKind   error // of the client's error
		wantStatus int   // of the buy, as recorded; 0 when the client went away
		wantBought bool
	}{
		{"held past the timeout", smsapitest.Fault{DelayAfter: time.Hour}, smsapi.ErrTransient, 0, true},
		{"500 after buying", smsapitest.Fault{Status: 500, CarryOut: true}, smsapi.ErrTransient, 500, true},
		{"HTML 502 after buying", smsapitest.Fault{Status: 502, Body: "<html>Bad Gateway</html>", CarryOut: true}, smsapi.ErrTransient, 502, true},
		{"garbage after buying", smsapitest.Fault{Body: `{"ok":true,"body":{"orderId":`, CarryOut: true}, smsapi.ErrMalformed, 200, true},
		{"500 after buying, held", smsapitest.Fault{Status: 500, CarryOut: true, DelayAfter: time.Hour}, smsapi.ErrTransient, 0, true},
		{"500 instead of buying", smsapitest.Fault{Status: 500}, smsapi.ErrTransient, 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := setup(t, smsapi.WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond})) // balance 100
			s.SetOffer(discord)
			f := tt.fault
			f.Match, f.Times = "buy", 1
			s.InjectFault(f)

			_, err := c.Buy(t.Context(), cred, buyDiscord)
			if !errors.Is(err, tt.wantKind) || !smsapi.OutcomeUnknown(err) {
				t.Errorf("err = %v, want %v with the outcome unknown", err, tt.wantKind)
			}
			// A held answer is recorded once the server gives it up.
			waitFor(t, func() bool { return len(s.Buys(user)) == 1 })
			if got := s.Buys(user)[0].Status; got != tt.wantStatus {
				t.Errorf("buy recorded with status %d, want %d", got, tt.wantStatus)
			}

			inv, err := c.Inventory(t.Context(), cred, 0)
			if err != nil {
				t.Fatalf("Inventory: %v", err)
			}
			wantBalance, wantOrders := int64(100), 0
			if tt.wantBought {
				wantBalance, wantOrders = 84, 1
			}
			if b := s.Balance(user); b != wantBalance {
				t.Errorf("balance = %d, want %d", b, wantBalance)
			}
			if len(inv) != wantOrders || wantOrders == 1 && (inv[0].ID != "30000001" || inv[0].Carrier != "tmobile" || inv[0].Status != smsapitest.StatusWaiting) {
				t.Errorf("inventory = %+v, want %d waiting order(s)", inv, wantOrders)
			}
			if n := s.RequestCount("buy"); n != 1 {
				t.Errorf("%d buy requests, want 1 (never retried)", n)
			}
		})
	}
}

// TestHeldBuyIsInTheInventory reads the inventory while a purchase's answer
// is still held: the order is there before the buyer hears of it.
func TestHeldBuyIsInTheInventory(t *testing.T) {
	s, c := setup(t) // balance 100
	s.SetOffer(discord)
	s.InjectFault(smsapitest.Fault{Match: "buy", DelayAfter: time.Hour, Times: 1})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Buy(ctx, cred, buyDiscord)
		done <- err
	}()

	var inv []smsapi.Order
	waitFor(t, func() bool {
		var err error
		inv, err = c.Inventory(t.Context(), cred, 0)
		return err == nil && len(inv) == 1
	})
	if inv[0].ID != "30000001" || inv[0].Carrier != "tmobile" || inv[0].Price != smsapi.Cents(16) {
		t.Errorf("inventory = %+v, want the held purchase", inv)
	}
	select {
	case err := <-done:
		t.Fatalf("the buy answered (%v) while its answer should be held", err)
	default:
	}
	if b := s.Balance(user); b != 84 {
		t.Errorf("balance = %d while held, want 84", b)
	}

	cancel()
	if err := <-done; !smsapi.OutcomeUnknown(err) {
		t.Errorf("cancelled buy: err = %v, want the outcome unknown", err)
	}
	waitFor(t, func() bool { return s.RequestCount("buy") == 1 })
	if b := s.Buys(user); b[0].Status != 0 {
		t.Errorf("held buy recorded with status %d, want 0", b[0].Status)
	}
}

// TestClockSkew buys with the server's clock off ours and reads the order's
// times as sent: shifted by the skew, while the order still expires by the
// real clock, neither early nor late.
func TestClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{-3 * time.Hour, 2 * time.Hour, 0} {
		t.Run(skew.String(), func(t *testing.T) {
			s, c := setup(t)
			s.SetOffer(discord)
			s.SetClockSkew(skew)

			before := time.Now().UTC().Truncate(time.Second)
			p, err := c.Buy(t.Context(), cred, buyDiscord)
			if err != nil {
				t.Fatalf("Buy: %v", err)
			}
			stored, _ := s.Order(user, p.OrderID)
			if at := stored.OrderedAt; at.Before(before) || at.After(time.Now()) {
				t.Errorf("stored OrderedAt = %v, want the real time of the purchase", at)
			}
			if want := stored.ExpiresAt.Add(skew); !p.ExpiresAt.Equal(want) {
				t.Errorf("purchase expiredAtUTC = %v, want %v", p.ExpiresAt, want)
			}

			added := smsapitest.NewOrder("added")
			s.AddOrder(user, added)

			// The wire's own text: "2006-01-02 15:04:05", shifted.
			wire := inventoryWire(t, s)
			for id, want := range map[string]smsapitest.Order{p.OrderID: stored, "added": added} {
				got, ok := wire[id]
				if !ok {
					t.Errorf("order %s is not in the inventory: expired early", id)
					continue
				}
				if got.OrderedAt != want.OrderedAt.Add(skew).UTC().Format("2006-01-02 15:04:05") ||
					got.ExpiredAt != want.ExpiresAt.Add(skew).UTC().Format("2006-01-02 15:04:05") {
					t.Errorf("order %s: orderedAt %q expiredAt %q, want the real %v and %v shifted by %v",
						id, got.OrderedAt, got.ExpiredAt, want.OrderedAt, want.ExpiresAt, skew)
				}
				if got.Status != smsapitest.StatusWaiting {
					t.Errorf("order %s reads %q with expiredAt %q: expired early", id, got.Status, got.ExpiredAt)
				}
			}
			o := getOrder(t, c, p.OrderID)
			if !o.OrderedAt.Equal(stored.OrderedAt.Add(skew)) {
				t.Errorf("client reads orderedAt %v, want %v", o.OrderedAt, stored.OrderedAt.Add(skew))
			}
			if d := o.LastCheckedAt.Sub(time.Now().Add(skew)); d < -2*time.Second || d > time.Second {
				t.Errorf("lastCheckedAt = %v, want about now shifted by %v", o.LastCheckedAt, skew)
			}

			// Due by the real clock: expired, whatever the skewed expiredAt says.
			s.UpdateOrder(user, p.OrderID, func(o *smsapitest.Order) { o.ExpiresAt = time.Now().Add(-time.Second) })
			if o := getOrder(t, c, p.OrderID); o.Status != smsapitest.StatusExpired {
				t.Errorf("order past its real expiry reads %q (expiredAt %v): expired late", o.Status, o.ExpiresAt)
			}
		})
	}
}

// sentOrder is an order of the inventory as the server wrote it.
type sentOrder struct{ OrderID, OrderedAt, ExpiredAt, Status string }

// inventoryWire returns the server's inventory as sent, by order id.
func inventoryWire(t *testing.T, s *smsapitest.Server) map[string]sentOrder {
	t.Helper()
	body := httpGet(t, s.URL+"/v3/numbers/"+user+"/inventory/0?apiKey="+key, http.StatusOK)
	var env struct{ Body []sentOrder }
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("inventory %s: %v", body, err)
	}
	byID := make(map[string]sentOrder, len(env.Body))
	for _, o := range env.Body {
		byID[o.OrderID] = o
	}
	return byID
}
