package smsapi

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// TestFakeServerSharesTheGuesses keeps smsapitest, which cannot import this
// package, on the words this package sends.
func TestFakeServerSharesTheGuesses(t *testing.T) {
	if smsapitest.NextRefund != NextRefund || smsapitest.NextAnotherSMS != NextAnotherSMS {
		t.Errorf("smsapitest next words %q/%q, smsapi %q/%q",
			smsapitest.NextRefund, smsapitest.NextAnotherSMS, NextRefund, NextAnotherSMS)
	}
	if smsapitest.InvoicePaid == "" || !(payment{Status: smsapitest.InvoicePaid}).Paid() {
		t.Errorf("the fake's paid status %q is not paid here", smsapitest.InvoicePaid)
	}
	if !(Order{Status: smsapitest.StatusRefunded}).Refunded() {
		t.Errorf("the fake's refunded status %q is not refunded here", smsapitest.StatusRefunded)
	}
}

func TestOrderedAtField(t *testing.T) {
	f, ok := reflect.TypeFor[orderJSON]().FieldByName("OrderedAt")
	if !ok || strings.Split(f.Tag.Get("json"), ",")[0] != orderedAtField {
		t.Errorf("orderJSON reads orderedAt from %q, orderedAtField is %q", f.Tag.Get("json"), orderedAtField)
	}
}

// TestWriteCallsAgainstFakeServer runs the calls that change something
// against smsapitest, ending with a buy whose answer is lost after it
// happened.
func TestWriteCallsAgainstFakeServer(t *testing.T) {
	srv := smsapitest.New(t)
	srv.AddAccount("user_1", testKey, 100)
	srv.SetOffer(smsapitest.Offer{Service: "ds", Country: "12", Carrier: "any", ServiceName: "Discord", Price: 16, Stock: -1})
	c := newTestClient(t, srv.URL, WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}))

	p, err := c.Buy(t.Context(), testCred, testBuy)
	if err != nil || p.Price != Cents(16) {
		t.Fatalf("Buy = %+v, %v", p, err)
	}
	if err := c.Refund(t.Context(), testCred, p.OrderID); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if err := c.AnotherSMS(t.Context(), testCred, p.OrderID); !isKind(err, ErrRejected) {
		t.Errorf("AnotherSMS on a refunded order: err = %v, want ErrRejected", err)
	}
	link, err := c.Invoice(t.Context(), testCred, PayCrypto, Cents(500), "")
	if err != nil || !strings.HasPrefix(link, "https://pay.cryptomus.com/pay/") {
		t.Errorf("Invoice = %q, %v", link, err)
	}

	srv.InjectFault(smsapitest.Fault{Match: "buy", DelayAfter: time.Hour, Times: 1})
	_, err = c.Buy(t.Context(), testCred, testBuy)
	if !OutcomeUnknown(err) {
		t.Errorf("lost answer: err = %v, want the outcome unknown", err)
	}
	if b := srv.Balance("user_1"); b != 84 {
		t.Errorf("balance = %d, want 84: the lost buy happened", b)
	}
	assertNoKey(t, err.Error())
}
