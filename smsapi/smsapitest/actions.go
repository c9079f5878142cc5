package smsapitest

import (
	"net/http"
	"strings"
	"time"
)

// Messages of the Change order status call.
const (
	msgRefundAfterSMS = "Refund is not possible: the number already received an SMS"
	msgClosed         = "Order is already closed"
	msgNoSMSYet       = "No SMS received yet"
	msgRefundTooEarly = "Refund is not available yet"
)

// SetRefundAfter makes later refunds of an order ordered less than d ago
// (by its OrderedAt, whole seconds, and the server's real clock, whatever
// SetClockSkew says) refused with a 400 "Refund is not available yet", as
// SMSOnline may do in an order's first minutes; from d on a refund goes
// through. d <= 0 turns this off (the default).
func (s *Server) SetRefundAfter(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refundAfter = d
}

// actionWire is the body of a successful Change order status.
type actionWire struct {
	OrderID string `json:"orderId"`
	Status  string `json:"status"`
}

// refund serves a refund; s.mu is held. Only an order still waiting that
// never showed an SMS, and is old enough (see SetRefundAfter), is refunded,
// in full. A refund that could never go through says so rather than "not yet".
func (s *Server) refund(c call, acc *account, now time.Time) reply {
	o := s.orders[orderKey{c.userID, c.orderID}]
	if o == nil {
		return errorReply(http.StatusNotFound, "Order not found")
	}
	o.advance(now)
	switch {
	case o.SMS != "" || !isWaiting(o.Status) && !isClosed(o.Status): // an SMS, or "completed"
		return errorReply(http.StatusBadRequest, msgRefundAfterSMS)
	case isClosed(o.Status):
		return errorReply(http.StatusBadRequest, msgClosed)
	case now.Sub(o.OrderedAt) < s.refundAfter:
		return errorReply(http.StatusBadRequest, msgRefundTooEarly)
	}
	o.Status = StatusRefunded
	acc.balance += o.Price
	return okReply(actionWire{o.ID, o.Status})
}

// anotherSMS serves a request for another SMS; s.mu is held. An order that
// showed an SMS waits again; the old SMS stays visible until the next one,
// so a client must not take it for new.
func (s *Server) anotherSMS(c call, now time.Time) reply {
	o := s.orders[orderKey{c.userID, c.orderID}]
	if o == nil {
		return errorReply(http.StatusNotFound, "Order not found")
	}
	o.advance(now)
	switch {
	case isClosed(o.Status):
		return errorReply(http.StatusBadRequest, msgClosed)
	case o.SMS == "":
		return errorReply(http.StatusBadRequest, msgNoSMSYet)
	}
	o.Status = StatusWaiting
	return okReply(actionWire{o.ID, o.Status})
}

// isClosed reports whether status ends an order without (more) SMS.
func isClosed(status string) bool {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "cancelled", "canceled", "refunded", "expired":
		return true
	}
	return false
}
