package smsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// errBodyTooLarge is the cause of an ErrMalformed for a body over maxBodySize.
var errBodyTooLarge = fmt.Errorf("body larger than %d bytes", maxBodySize)

// rawResponse is what do read off the wire. parse turns it into the body of a
// successful envelope or an *Error without touching the network, which is
// also what FuzzDecodeOrder feeds it.
type rawResponse struct {
	status   int
	header   http.Header
	body     []byte // at most maxBodySize bytes
	tooLarge bool   // the body went on past maxBodySize
}

// envelope is the wrapper of every answer: {"ok": bool, "body": ...}, with the
// message of a failure in one of several places.
type envelope struct {
	OK           *flexBool       `json:"ok"`
	Body         json.RawMessage `json:"body"`
	ErrorMessage json.RawMessage `json:"errorMessage"`
	Message      json.RawMessage `json:"message"`
	Error        json.RawMessage `json:"error"`
}

// parse classifies r. On an error status the status decides the kind and the
// body only lends its message; on 2xx the envelope decides.
func (r rawResponse) parse(op, apiKey string, now time.Time) (json.RawMessage, error) {
	var env envelope
	decodeErr := errBodyTooLarge
	if !r.tooLarge {
		decodeErr = json.Unmarshal(r.body, &env)
	}
	// A 222 is success-class but means an order was not made.
	priceChange := op == opBuy && r.status == statusPriceChanged
	success := r.status >= 200 && r.status < 300 && !priceChange
	if success && decodeErr == nil && env.OK != nil && bool(*env.OK) {
		return bytes.TrimSpace(env.Body), nil
	}

	var msg string
	switch {
	case decodeErr == nil:
		msg = env.message()
	case !r.tooLarge:
		msg = bareString(r.body)
	}
	e := &Error{Op: op, StatusCode: r.status, Message: cleanMessage(msg, apiKey)}
	switch s := r.status; {
	case priceChange:
		e.Kind = ErrPriceChanged
		if decodeErr == nil {
			e.Price = newPriceIn(env.Body, r.body)
		}
	case success:
		switch {
		case decodeErr != nil:
			e.Kind, e.Err = ErrMalformed, redactErr(fmt.Errorf("decode envelope: %w", decodeErr), apiKey)
		case env.OK == nil && msg == "":
			e.Kind, e.Err = ErrMalformed, errors.New(`envelope has no "ok" field`)
		default: // ok:false, or no ok but a message
			e.Kind = classifyMessage(op, msg, ErrRejected)
		}
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.Kind = ErrBadCredentials
	case s == http.StatusNotFound && isOrderOp(op):
		e.Kind = ErrOrderNotFound
	case s == statusLowBalance && op == opBuy:
		e.Kind = ErrLowBalance
	case s == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
	case s == http.StatusRequestTimeout || s >= 500:
		e.Kind = ErrTransient
	case s >= 400:
		e.Kind = classifyMessage(op, msg, ErrRejected)
	default: // 1xx, or a 3xx the client was told not to follow
		e.Kind, e.Err = ErrMalformed, errors.New("unexpected HTTP status")
	}
	if e.Kind == ErrRateLimited || e.Kind == ErrTransient {
		e.RetryAfter = parseRetryAfter(r.header.Get("Retry-After"), now)
	}
	return nil, e
}

// newPriceIn finds the price a 222 answer names: one of priceFields in the
// envelope's body, else at its top level; Money{} when neither has one.
func newPriceIn(objects ...[]byte) Money {
	for _, obj := range objects {
		var fields map[string]flexMoney
		if json.Unmarshal(obj, &fields) != nil {
			continue
		}
		for _, name := range priceFields {
			if m := fields[name]; m.Valid {
				return Money(m)
			}
		}
	}
	return Money{}
}

// message finds the text of a failure: errorMessage, message, error (a string
// or an object holding a message), or a string body.
func (env *envelope) message() string {
	for _, raw := range []json.RawMessage{env.ErrorMessage, env.Message, env.Error, env.Body} {
		if m := messageIn(raw, true); m != "" {
			return m
		}
	}
	return ""
}

// messageIn reads a message from a string, a number, or (when nested is true)
// an object with a message field. Booleans, as in "error": true, are no message.
func messageIn(raw json.RawMessage, nested bool) string {
	if isNull(raw) {
		return ""
	}
	switch raw[0] {
	case '{':
		if !nested {
			return ""
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		for _, k := range []string{"errorMessage", "message", "error", "msg", "description", "detail"} {
			if m := messageIn(obj[k], false); m != "" {
				return m
			}
		}
		return ""
	case '[', 't', 'f':
		return ""
	}
	var s flexString
	if s.UnmarshalJSON(raw) != nil {
		return ""
	}
	return string(s)
}

// bareString returns body's text when body is a JSON string, else "".
func bareString(body []byte) string {
	var s string
	if json.Unmarshal(body, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

var (
	rateLimitWords  = []string{"too many requests", "rate limit", "ratelimit", "rate-limit"}
	credentialWords = []string{
		"key", "auth", "credential", "unauthorized", "unauthorised", "forbidden",
		"access denied", "user not found", "customer not found", "account not found",
	}
	notFoundWords = []string{"not found", "no such order", "does not exist", "doesn't exist", "not exist"}
)

// classifyMessage picks the kind of an ok:false (or an unmapped 4xx) from its
// message; fallback when the message says nothing known.
func classifyMessage(op, msg string, fallback error) error {
	m := strings.ToLower(msg)
	switch {
	case m == "":
		return fallback
	case containsAny(m, rateLimitWords):
		return ErrRateLimited
	case op == opBuy && containsAny(m, outOfStockWords):
		return ErrOutOfStock
	case op == opBuy && containsAny(m, lowBalanceWords):
		return ErrLowBalance
	case containsAny(m, credentialWords):
		return ErrBadCredentials
	case isOrderOp(op) && containsAny(m, notFoundWords):
		return ErrOrderNotFound
	}
	return fallback
}

// isOrderOp reports whether op names one existing order, so that a 404 or a
// "not found" means the order is unknown.
func isOrderOp(op string) bool {
	return op == opGetOrder || op == opRefund || op == opAnotherSMS
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
