package smsapitest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// firstOrderID is the id of the first number the server sells.
const firstOrderID = 30000001

// orderLifetime is how long a bought number waits for its SMS.
const orderLifetime = 20 * time.Minute

// Offer is a number the server sells: one service in one country on one
// carrier, at a price, while stock lasts.
type Offer struct {
	Service, Country, Carrier string // codes, as a buy request names them: "ds", "12", "tmobile"
	ServiceName, CountryName  string // display names the orders get: "Discord", "United States"
	Price                     int64  // cents
	Stock                     int    // numbers left; -1 means unlimited
}

// SetOffer adds o to the catalogue, replacing the offer with the same
// Service, Country and Carrier.
func (s *Server) SetOffer(o Offer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.offers {
		if old.Service == o.Service && old.Country == o.Country && old.Carrier == o.Carrier {
			s.offers[i] = &o
			return
		}
	}
	s.offers = append(s.offers, &o)
}

// SetStock sets how many numbers an offer has left (-1: unlimited). An
// unknown offer fails the test.
func (s *Server) SetStock(service, country, carrier string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.findOffer(service, country, carrier, "SetStock"); o != nil {
		o.Stock = n
	}
}

// SetPrice sets an offer's price in cents. An unknown offer fails the test.
func (s *Server) SetPrice(service, country, carrier string, cents int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.findOffer(service, country, carrier, "SetPrice"); o != nil {
		o.Price = cents
	}
}

// Failover is how the server treats a purchase's failover field, which the
// API documents with a default of true: an order for one carrier may be
// filled on another. Our client leaves the field out.
type Failover int

const (
	// FailoverOff fills a purchase only on the carrier it names (the default).
	FailoverOff Failover = iota
	// FailoverWhenOut fills a purchase whose carrier has no stock from
	// another offer of the same service and country priced within its
	// maximumPrice.
	FailoverWhenOut
	// FailoverAlways fills a purchase on another carrier whenever one has
	// stock within its maximumPrice, even when the named carrier has some.
	FailoverAlways
)

// SetFailover sets how later purchases that name a carrier (not "any") may
// be filled on another one: the first such offer in the catalogue, whose
// carrier, price and stock the order then has. A purchase that sends
// "failover": false is never filled on another carrier. The default,
// FailoverOff, is stricter than SMSOnline, whose default is to fail over.
func (s *Server) SetFailover(f Failover) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failover = f
}

// findOffer returns the offer with exactly these codes or fails the test;
// s.mu is held.
func (s *Server) findOffer(service, country, carrier, method string) *Offer {
	for _, o := range s.offers {
		if o.Service == service && o.Country == country && o.Carrier == carrier {
			return o
		}
	}
	s.tb.Helper()
	s.tb.Errorf("smsapitest: %s: no offer %s/%s/%s", method, service, country, carrier)
	return nil
}

// match returns the first offer for service and country on carrier ("any"
// matches every carrier) that sells at now, else nil; s.mu is held.
func (s *Server) match(service, country, carrier string, now time.Time) *Offer {
	for _, o := range s.offers {
		if o.Service == service && o.Country == country && (carrier == "any" || o.Carrier == carrier) && s.sells(o, now) {
			return o
		}
	}
	return nil
}

// fill returns the offer a purchase arriving at now is filled from, else nil;
// s.mu is held. Failing over takes an offer on another carrier, within
// maxPrice.
func (s *Server) fill(c call, maxPrice int64, now time.Time) *Offer {
	service, country, carrier := c.body["service"], c.body["country"], c.body["carrier"]
	o := s.match(service, country, carrier, now)
	if carrier == "any" || s.failover == FailoverOff || o != nil && s.failover != FailoverAlways {
		return o
	}
	if ok, err := strconv.ParseBool(c.body["failover"]); err == nil && !ok {
		return o
	}
	for _, alt := range s.offers {
		if alt.Service == service && alt.Country == country && alt.Carrier != carrier && alt.Price <= maxPrice && s.sells(alt, now) {
			return alt
		}
	}
	return o
}

// buyFields are the documented required fields of a buy body besides apiKey.
var buyFields = []string{"country", "service", "carrier", "maximumPrice", "m", "n"}

// purchaseWire is the documented body of a purchase.
type purchaseWire struct {
	OrderID       string `json:"orderId"`
	PhoneNumber   string `json:"phoneNumber"`
	ExpiredAtUTC  string `json:"expiredAtUTC"`
	PurchasePrice int64  `json:"purchasePrice"`
}

// buy serves a purchase; s.mu is held. The checks go from the request to the
// catalogue to the money: a missing field, no stock or a scripted shortage
// (after failing over, see SetFailover and SetStockOutUntil), a price over
// the maximum (222, with the price), a balance under the price.
func (s *Server) buy(c call, acc *account, now time.Time) reply {
	for _, f := range buyFields {
		if _, ok := c.body[f]; !ok {
			return errorReply(http.StatusBadRequest, "Missing field: "+f)
		}
	}
	maxPrice, err := strconv.ParseInt(c.body["maximumPrice"], 10, 64)
	if err != nil || maxPrice < 0 {
		return errorReply(http.StatusBadRequest, "Invalid maximumPrice")
	}
	o := s.fill(c, maxPrice, now)
	switch {
	case o == nil:
		return errorReply(http.StatusBadRequest, "NO_NUMBERS")
	case maxPrice < o.Price:
		return reply{status: 222, msg: "Additional action required", body: map[string]int64{"purchasePrice": o.Price}}
	case acc.balance < o.Price:
		return errorReply(http.StatusBadRequest, "Insufficient balance")
	}
	acc.balance -= o.Price
	if o.Stock > 0 {
		o.Stock--
	}
	bought := now.UTC().Truncate(time.Second)
	order := Order{
		ID:          s.newOrderID(c.userID),
		ServiceCode: o.Service,
		CountryCode: o.Country,
		Country:     o.CountryName,
		Service:     o.ServiceName,
		Carrier:     o.Carrier,
		PhoneNumber: fmt.Sprintf("1555000%04d", s.nextPhone),
		Price:       o.Price,
		Status:      StatusWaiting,
		OrderedAt:   bought,
		ExpiresAt:   bought.Add(orderLifetime),
	}
	s.nextPhone++
	s.addOrder(c.userID, order)
	return okReply(purchaseWire{order.ID, order.PhoneNumber, formatSkewed(order.ExpiresAt, s.clockSkew), order.Price})
}

// newOrderID returns the next id from the counter that userID has no order
// with; s.mu is held.
func (s *Server) newOrderID(userID string) string {
	for {
		id := strconv.FormatInt(s.nextOrder, 10)
		s.nextOrder++
		if s.orders[orderKey{userID, id}] == nil {
			return id
		}
	}
}
