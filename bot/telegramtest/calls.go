package telegramtest

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

// The record of calls the server received, and waiting on it.

// Call is one request the server received.
type Call struct {
	// Method is the API method, spelled canonically ("sendMessage") when
	// known, else as requested.
	Method string
	// Params holds every parameter as text: scalars as sent, objects such as
	// reply_markup as their JSON.
	Params map[string]string
	// At is when the call arrived.
	At time.Time
	// Status is the HTTP status answered: 0 while the call is still in flight
	// or when the client went away before an answer.
	Status int
}

// Calls returns every call received so far, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Params = maps.Clone(c.Params)
		out[i] = c
	}
	return out
}

// CallsTo returns the calls to one method (case-insensitive), in arrival order.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if strings.EqualFold(c.Method, method) {
			c.Params = maps.Clone(c.Params)
			out = append(out, c)
		}
	}
	return out
}

// WaitFor waits until cond returns true and fails tb if that takes longer
// than timeout. cond is re-evaluated whenever the server's state changes and
// at least every 10ms, so it may also watch state outside the server. Call it
// from the test's goroutine, and do not call it from inside cond.
func (s *Server) WaitFor(tb testing.TB, timeout time.Duration, cond func() bool) {
	tb.Helper()
	if !s.wait(timeout, cond) {
		tb.Fatalf("telegramtest: condition not met within %v\n%s", timeout, s.dump())
	}
}

// wait reports whether cond became true within timeout.
func (s *Server) wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			return cond()
		}
	}
}

// notifyLocked wakes everyone waiting in WaitFor. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// dump describes the server's state for a failing test: the last calls and
// what is still queued.
func (s *Server) dump() string {
	const last = 25
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "telegramtest state: %d calls, %d accepted sends, %d edits, %d pending updates, %d answered 429\n",
		len(s.calls), len(s.sent), len(s.edits), len(s.queue), s.count429)
	start := max(0, len(s.calls)-last)
	if start > 0 {
		fmt.Fprintf(&b, "  ... %d earlier calls\n", start)
	}
	for _, c := range s.calls[start:] {
		fmt.Fprintf(&b, "  %s %-20s %d", c.At.Format("15:04:05.000"), c.Method, c.Status)
		for _, k := range []string{"chat_id", "message_id", "callback_query_id", "offset", "timeout"} {
			if v, ok := c.Params[k]; ok {
				fmt.Fprintf(&b, " %s=%s", k, v)
			}
		}
		if v, ok := c.Params["text"]; ok {
			fmt.Fprintf(&b, " text=%q", truncate(v, 80))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
