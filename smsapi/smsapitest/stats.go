package smsapitest

import (
	"slices"
	"time"
)

// Request is one request the server received. It holds no API key.
type Request struct {
	At      time.Time // when it arrived
	Kind    string    // one of the kinds of Fault.Match, or "other"
	UserID  string
	OrderID string // order, refund and another_sms calls only
	Status  int    // HTTP status answered; 0 when the client went away first
}

// BuyCall is the body of one buy request, as sent; it holds no API key.
type BuyCall struct {
	At           time.Time
	Country      string
	Service      string
	Carrier      string
	MaximumPrice string
	M, N         string
	Fields       []string // names of the fields the body held, sorted, "apiKey" among them when sent
	Status       int      // HTTP status answered; 0 when the client went away first
}

// stats is the record of every request; it lives under Server.mu.
type stats struct {
	total     int
	byKind    map[string]int
	log       []Request
	buys      map[string][]BuyCall // by user id
	noLog     bool                 // WithoutLog: keep no log
	perSecond []int                // requests that arrived in each second since start
}

// record logs a served request.
func (s *Server) record(at time.Time, c call, status int) {
	sec := int(at.Sub(s.start) / time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.stats
	st.total++
	st.byKind[c.kind]++
	if !st.noLog {
		st.log = append(st.log, Request{At: at, Kind: c.kind, UserID: c.userID, OrderID: c.orderID, Status: status})
	}
	if c.kind == kindBuy {
		b := c.body
		st.buys[c.userID] = append(st.buys[c.userID], BuyCall{
			At: at, Country: b["country"], Service: b["service"], Carrier: b["carrier"],
			MaximumPrice: b["maximumPrice"], M: b["m"], N: b["n"], Fields: c.fields, Status: status,
		})
	}
	for len(st.perSecond) <= sec {
		st.perSecond = append(st.perSecond, 0)
	}
	st.perSecond[sec]++
}

// Requests returns how many requests the server has served, of every kind.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.total
}

// RequestCount returns how many requests of kind (see Fault.Match, or
// "other") the server has served.
func (s *Server) RequestCount(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.byKind[kind]
}

// Log returns a copy of every request served so far, in the order answered;
// nothing when the server was started WithoutLog.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.stats.log...)
}

// PerSecond returns how many requests arrived in each wall-clock second since
// the server started: element i counts [start+i s, start+i+1 s). The last
// element is the current, unfinished second.
func (s *Server) PerSecond() []int {
	sec := int(time.Since(s.start) / time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int, max(sec+1, len(s.stats.perSecond)))
	copy(out, s.stats.perSecond)
	return out
}

// Buys returns a copy of every buy request for userID so far, in the order
// answered, also those a fault answered; kept even WithoutLog.
func (s *Server) Buys(userID string) []BuyCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.stats.buys[userID])
}
