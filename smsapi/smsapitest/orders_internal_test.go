package smsapitest

import (
	"testing"
	"time"
)

func TestAdvanceAtTheInstant(t *testing.T) {
	at := time.Date(2025, 5, 17, 5, 47, 13, 0, time.UTC)
	o := &order{Order: Order{Status: StatusWaiting, ExpiresAt: at.Add(time.Minute)}}
	o.scheduled = []scheduledSMS{{at, "123456"}}

	o.advance(at.Add(-time.Nanosecond))
	if o.SMS != "" || o.Status != StatusWaiting {
		t.Fatalf("just before: %+v", o.Order)
	}
	o.advance(at)
	if o.SMS != "123456" || o.Status != StatusCompleted || len(o.scheduled) != 0 {
		t.Fatalf("at the instant: %+v, %d scheduled left", o.Order, len(o.scheduled))
	}

	w := &order{Order: Order{Status: StatusWaiting, ExpiresAt: at}}
	w.advance(at.Add(-time.Nanosecond))
	if w.Status != StatusWaiting {
		t.Fatalf("expired early: %q", w.Status)
	}
	w.advance(at)
	if w.Status != StatusExpired {
		t.Fatalf("not expired at ExpiresAt: %q", w.Status)
	}
}

func TestTakeFault(t *testing.T) {
	s := &Server{}
	s.faults = []*activeFault{
		{Fault: Fault{Status: 500, Match: kindBalance}, left: 1},
		{Fault: Fault{Status: 429}, left: 0},
	}
	if f := s.takeFault(kindOrder); f == nil || f.Status != 429 {
		t.Fatalf("order took %+v, want the unlimited 429", f)
	}
	if f := s.takeFault(kindBalance); f == nil || f.Status != 500 {
		t.Fatalf("balance took %+v, want the 500", f)
	}
	if f := s.takeFault(kindBalance); f == nil || f.Status != 429 {
		t.Fatalf("second balance took %+v, want the 429 (500 used up)", f)
	}
	if len(s.faults) != 1 {
		t.Errorf("%d faults left, want 1", len(s.faults))
	}
}
