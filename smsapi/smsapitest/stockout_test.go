package smsapitest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// TestStockOut buys again and again from an offer scripted out of stock: each
// refusal is a definite ErrOutOfStock, and the offer sells after, its Stock
// untouched by the refusals.
func TestStockOut(t *testing.T) {
	tests := []struct {
		name     string
		until    time.Duration // from now; 0: no SetStockOutUntil
		next     int           // SetStockOutForNext
		failover smsapitest.Failover
		tmobile  int      // tmobile's Stock; vodafone has plenty
		want     []string // carrier of each purchase in turn; "" for a refusal
	}{
		{"until later", time.Hour, 0, smsapitest.FailoverOff, -1, []string{"", ""}},
		{"until passed", -time.Second, 0, smsapitest.FailoverOff, -1, []string{"tmobile"}},
		{"until later, failing over", time.Hour, 0, smsapitest.FailoverWhenOut, -1, []string{"vodafone", "vodafone"}},
		{"three refusals then a number", 0, 3, smsapitest.FailoverOff, -1, []string{"", "", "", "tmobile", "tmobile"}},
		{"no refusal", 0, 0, smsapitest.FailoverOff, -1, []string{"tmobile"}},
		{"refusals use up no stock", 0, 2, smsapitest.FailoverOff, 1, []string{"", "", "tmobile", ""}},
		{"next, failing over", 0, 1, smsapitest.FailoverWhenOut, -1, []string{"vodafone", "tmobile"}},
		{"until later, with next too", time.Hour, 1, smsapitest.FailoverOff, -1, []string{"", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := setup(t) // balance 100
			catalogue(s, tt.tmobile, -1)
			s.SetFailover(tt.failover)
			if tt.until != 0 {
				s.SetStockOutUntil("ds", "12", "tmobile", time.Now().Add(tt.until))
			}
			s.SetStockOutForNext("ds", "12", "tmobile", tt.next)

			req := buyDiscord
			req.Carrier = "tmobile"
			balance := int64(100)
			for i, want := range tt.want {
				p, err := c.Buy(t.Context(), cred, req)
				if want == "" {
					if !errors.Is(err, smsapi.ErrOutOfStock) || smsapi.OutcomeUnknown(err) {
						t.Errorf("buy %d: %+v, %v; want a definite ErrOutOfStock", i+1, p, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("buy %d: %v; want a number on %s", i+1, err, want)
				}
				o, _ := s.Order(user, p.OrderID)
				if o.Carrier != want {
					t.Errorf("buy %d: filled on %q, want %q", i+1, o.Carrier, want)
				}
				balance -= o.Price
			}
			if b := s.Balance(user); b != balance {
				t.Errorf("balance = %d, want %d", b, balance)
			}
			if n := s.RequestCount("buy"); n != len(tt.want) {
				t.Errorf("buy requests = %d, want %d", n, len(tt.want))
			}
		})
	}
}

// TestStockOutUntilPasses keeps buying through a short shortage by the
// server's real clock: every purchase arriving before its end is refused, the
// first after it uses up the one scripted refusal left, and the next sells.
func TestStockOutUntilPasses(t *testing.T) {
	s, c := setup(t)
	s.SetOffer(discord)
	until := time.Now().Add(200 * time.Millisecond)
	s.SetStockOutUntil("ds", "12", "tmobile", until)
	s.SetStockOutForNext("ds", "12", "tmobile", 1)

	var sold smsapi.Purchase
	waitFor(t, func() bool {
		p, err := c.Buy(t.Context(), cred, buyDiscord)
		if err != nil && (!errors.Is(err, smsapi.ErrOutOfStock) || smsapi.OutcomeUnknown(err)) {
			t.Fatalf("Buy: %v; want a number or a definite ErrOutOfStock", err)
		}
		sold = p
		return err == nil
	})

	buys := s.Buys(user)
	if len(buys) < 3 {
		t.Fatalf("%d buys, want at least one before %v, one refused after and one sold", len(buys), until)
	}
	for i, b := range buys[:len(buys)-2] {
		if !b.At.Before(until) || b.Status != 400 {
			t.Errorf("buy %d at %v answered %d; want refusals only before %v", i+1, b.At, b.Status, until)
		}
	}
	if last := buys[len(buys)-2:]; last[0].At.Before(until) || last[0].Status != 400 || last[1].Status != 200 {
		t.Errorf("last buys %+v; want one refused after %v, then one sold", last, until)
	}
	if o, ok := s.Order(user, sold.OrderID); !ok || o.Carrier != "tmobile" {
		t.Errorf("sold %+v: order %+v, %v", sold, o, ok)
	}
	if b := s.Balance(user); b != 84 {
		t.Errorf("balance = %d, want 84: one number at 16", b)
	}
}
