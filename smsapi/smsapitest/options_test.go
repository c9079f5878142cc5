package smsapitest_test

import (
	"testing"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

func TestWithoutLog(t *testing.T) {
	s := smsapitest.New(t, smsapitest.WithoutLog())
	s.AddAccount(user, key, 100)
	s.AddOrder(user, smsapitest.NewOrder("1"))
	c, err := smsapi.New(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	getOrder(t, c, "1")
	getOrder(t, c, "1")
	if n := len(s.Log()); n != 0 {
		t.Errorf("Log has %d entries, want none", n)
	}
	if got := s.RequestCount("order"); got != 2 {
		t.Errorf("RequestCount(order) = %d, want 2", got)
	}
	sum := 0
	for _, n := range s.PerSecond() {
		sum += n
	}
	if sum != 2 {
		t.Errorf("PerSecond sums to %d, want 2", sum)
	}
}
