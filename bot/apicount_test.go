package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/smsbot/smsbot/store"
)

// callStore records each AddAPICalls, failing while fail is set.
type callStore struct {
	writes [][]store.APICalls
	fail   bool
}

func (s *callStore) AddAPICalls(_ context.Context, calls []store.APICalls) error {
	if s.fail {
		return errors.New("disk full")
	}
	s.writes = append(s.writes, calls)
	return nil
}

func TestRequestCounterWritesOncePerFlushAndKeepsWhatFailed(t *testing.T) {
	st := &callStore{fail: true}
	now := statsNow.Add(30 * time.Second)
	c := NewRequestCounter(st, func() time.Time { return now }, nil)
	for i := range 1000 {
		var err error
		if i%100 == 0 {
			err = errors.New("timeout")
		}
		c.Observe("get order", err, time.Millisecond)
	}
	c.Flush(context.Background()) // fails: the counts wait for the next flush
	now = now.Add(time.Minute)
	c.Observe("balance", nil, time.Millisecond)
	st.fail = false
	c.Flush(context.Background())
	if len(st.writes) != 1 || len(st.writes[0]) != 2 {
		t.Fatalf("writes = %+v, want one write of two minutes", st.writes)
	}
	got := map[time.Time]store.APICalls{}
	for _, m := range st.writes[0] {
		got[m.Minute] = m
	}
	if m := got[statsNow]; m.Requests != 1000 || m.Errors != 10 {
		t.Errorf("first minute = %+v, want 1000 requests, 10 errors", m)
	}
	if m := got[statsNow.Add(time.Minute)]; m.Requests != 1 || m.Errors != 0 {
		t.Errorf("second minute = %+v, want 1 request", m)
	}
	c.Flush(context.Background())
	if len(st.writes) != 1 {
		t.Errorf("a flush with nothing counted wrote %+v", st.writes[1:])
	}
}
