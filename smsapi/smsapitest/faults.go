package smsapitest

import (
	"net/http"
	"strings"
	"time"
)

// Fault makes the server misbehave for matching requests. A Status of 0 or
// 200 with an empty Body answers normally, only after Delay: that is how to
// script a slow answer. DelayAfter instead holds the answer of a call already
// carried out: with a client that times out first, that is "a PUT that buys
// and then times out". A Status or Body replaces the call, unless CarryOut:
// then the call is made first and only its answer is replaced, as in "a PUT
// that buys and then answers 500".
type Fault struct {
	Status     int           // HTTP status to answer; 0 means 200
	Body       string        // raw body to send; "" means a JSON error envelope fitting Status
	CarryOut   bool          // carry the call out before answering with Status or Body; its effect stays
	RetryAfter string        // Retry-After header value; "" sends none
	Delay      time.Duration // wait before the call; given up (call not made) when the client goes away
	DelayAfter time.Duration // wait after the call, before answering; given up when the client goes away, the effect stays
	Times      int           // how many requests it applies to; 0 means until ClearFaults
	Match      string        // "" for every request, else a kind: "order", "balance", "inventory", "refund", "another_sms", "buy", "invoice", "coupons" or "payments"
}

// activeFault is a queued Fault and how many more requests it applies to.
type activeFault struct {
	Fault
	left int // 0 means no limit
}

// InjectFault queues f. Each request takes the first queued fault that
// matches it; a fault with Times > 0 leaves the queue when used up.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &activeFault{Fault: f, left: max(f.Times, 0)})
}

// ClearFaults empties the fault queue.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// SetLatency adds d before every answer, on top of any fault's Delay.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Held returns how many requests of kind (see Fault.Match) wait now in a
// fault's Delay or DelayAfter, or the latency: a test that kills its client
// while a request is held waits for this to be sure the request got there.
func (s *Server) Held(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[kind]
}

// takeFault returns a copy of the first fault matching kind and counts the use;
// s.mu is held.
func (s *Server) takeFault(kind string) *Fault {
	for i, f := range s.faults {
		if f.Match != "" && f.Match != kind {
			continue
		}
		taken := f.Fault
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &taken
	}
	return nil
}

// answers reports whether f replaces the normal answer rather than only
// delaying it.
func (f *Fault) answers() bool {
	return f.Body != "" || f.Status != 0 && f.Status != http.StatusOK
}

// answer is f's response to a request of kind.
func (f *Fault) answer(kind string) answer {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if f.Body != "" {
		return answer{status: status, body: []byte(f.Body), html: strings.HasPrefix(strings.TrimSpace(f.Body), "<")}
	}
	return errorAnswer(status, faultMessage(status, kind))
}

// faultMessage is what the API would likely say with status.
func faultMessage(status int, kind string) string {
	switch {
	case status == http.StatusUnauthorized:
		return "Invalid API key"
	case status == http.StatusNotFound && kind == kindOrder:
		return "Order not found"
	case status == http.StatusTooManyRequests:
		return "Too many requests"
	case http.StatusText(status) != "":
		return http.StatusText(status)
	}
	return "Error"
}
