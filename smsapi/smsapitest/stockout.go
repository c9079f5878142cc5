package smsapitest

import "time"

// offerCodes names an offer as a purchase does.
type offerCodes struct{ service, country, carrier string }

// stockOut is a scripted shortage of one offer, apart from its Stock count:
// the offer sells nothing before until, and after that refuses the next
// purchases that it would fill.
type stockOut struct {
	until time.Time
	next  int
}

// SetStockOutUntil makes an offer sell nothing to purchases arriving before
// until (by the server's real clock): they get the usual out-of-stock answer,
// or are filled on another carrier when failing over (see SetFailover). From
// until on it sells again, its Stock as it was. A zero until ends the
// shortage now. An unknown offer fails the test.
func (s *Server) SetStockOutUntil(service, country, carrier string, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tb.Helper()
	if out := s.stockOutOf(service, country, carrier, "SetStockOutUntil"); out != nil {
		out.until = until
		s.dropSpentStockOut(service, country, carrier)
	}
}

// SetStockOutForNext makes an offer refuse the next n purchases that it
// would otherwise fill, as SetStockOutUntil does, and then sell again: n = 3
// is three NO_NUMBERS answers and then a number. Purchases refused before a
// SetStockOutUntil time do not count. n <= 0 ends it. An unknown offer fails
// the test.
func (s *Server) SetStockOutForNext(service, country, carrier string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tb.Helper()
	if out := s.stockOutOf(service, country, carrier, "SetStockOutForNext"); out != nil {
		out.next = max(n, 0)
		s.dropSpentStockOut(service, country, carrier)
	}
}

// stockOutOf returns the shortage of an offer, new if it had none, or fails the
// test for an unknown offer; s.mu is held.
func (s *Server) stockOutOf(service, country, carrier, method string) *stockOut {
	s.tb.Helper()
	if s.findOffer(service, country, carrier, method) == nil {
		return nil
	}
	k := offerCodes{service, country, carrier}
	if s.stockOuts[k] == nil {
		s.stockOuts[k] = &stockOut{}
	}
	return s.stockOuts[k]
}

// dropSpentStockOut forgets a shortage that can refuse nothing more, so that
// the map stays as small as the scripts; s.mu is held.
func (s *Server) dropSpentStockOut(service, country, carrier string) {
	k := offerCodes{service, country, carrier}
	if out := s.stockOuts[k]; out != nil && out.until.IsZero() && out.next == 0 {
		delete(s.stockOuts, k)
	}
}

// sells reports whether o can fill a purchase arriving at now: it has stock
// and no scripted shortage. A purchase refused by SetStockOutForNext uses up
// one of its refusals, so call it only for an offer the purchase would
// otherwise be filled from; s.mu is held.
func (s *Server) sells(o *Offer, now time.Time) bool {
	if o.Stock == 0 {
		return false
	}
	out := s.stockOuts[offerCodes{o.Service, o.Country, o.Carrier}]
	switch {
	case out == nil:
		return true
	case now.Before(out.until):
		return false
	case out.next > 0:
		out.next--
		return false
	}
	return true
}
