package smsapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The kinds of failure a call can end in. Branch on them with errors.Is; every
// error of this package is an *Error whose Kind is one of these, except when
// the caller's context ended: then Kind is ctx.Err().
var (
	// ErrInvalidInput means an argument was rejected before any request was made.
	ErrInvalidInput = errors.New("invalid input")
	// ErrBadCredentials means the API refused the user id or API key
	// (HTTP 401/403, or an ok:false message about the key or authorization).
	ErrBadCredentials = errors.New("bad credentials")
	// ErrOrderNotFound means the API does not know the order (HTTP 404 on an
	// order call, an empty order array, or an ok:false "not found" message).
	ErrOrderNotFound = errors.New("order not found")
	// ErrRateLimited means the API asked us to slow down (HTTP 429); see
	// RetryAfter for how long it asked us to wait.
	ErrRateLimited = errors.New("rate limited")
	// ErrTransient means the call failed in a way that may pass on a retry:
	// HTTP 5xx or 408, a timeout of the HTTP client, a refused or reset
	// connection.
	ErrTransient = errors.New("temporary failure")
	// ErrMalformed means the API answered something this package cannot read:
	// not JSON, the wrong shape, a body over 1 MiB, or an order array that
	// holds only other orders.
	ErrMalformed = errors.New("malformed response")
	// ErrRejected means the API refused the request for another reason
	// (any other ok:false or HTTP 4xx); Error.Message says why.
	ErrRejected = errors.New("request rejected")
	// ErrPriceChanged means an order was refused because the price moved
	// (HTTP 222, "Additional action required"); NewPrice tells the new price
	// when the API gave it. Nothing was bought.
	ErrPriceChanged = errors.New("price changed")
	// ErrOutOfStock means an order was refused because no number is free
	// right now (a NO_NUMBERS or "out of stock" message); V2 says numbers
	// usually restock within minutes.
	ErrOutOfStock = errors.New("out of stock")
	// ErrLowBalance means an order was refused because the balance does not
	// cover the price (HTTP 402, or an "insufficient balance" message).
	ErrLowBalance = errors.New("balance too low")
)

// maxMessageLen bounds Error.Message, which comes from the API and may end up
// in a chat.
const maxMessageLen = 200

// Error is the error of every Client method. Its strings never contain the
// API key: URLs, causes and the API's own message are all redacted.
type Error struct {
	Op         string        // "get order", "balance", "inventory", "refund", "another sms", "buy", "invoice", "coupons" or "payments"
	Kind       error         // one of the Err* sentinels, or ctx.Err() when the caller's context ended
	StatusCode int           // HTTP status, 0 when there was no response
	Message    string        // the API's own message, redacted and truncated; may be ""
	RetryAfter time.Duration // how long the server asked us to wait; 0 if it did not say
	Price      Money         // ErrPriceChanged only: the new price, when the API gave it
	Sent       bool          // the request was handed to the HTTP client, so it may have reached the API
	Err        error         // underlying cause, redacted; may be nil
}

// Error formats e as, for example,
// "smsapi: get order: rate limited (HTTP 429, retry after 30s): slow down".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("smsapi: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	} else {
		b.WriteString("error")
	}
	switch {
	case e.StatusCode != 0 && e.RetryAfter > 0:
		fmt.Fprintf(&b, " (HTTP %d, retry after %s)", e.StatusCode, e.RetryAfter)
	case e.StatusCode != 0:
		fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	case e.RetryAfter > 0:
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Kind and Err, so that errors.Is(err, ErrRateLimited) and
// errors.As on the cause both work.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// RetryAfter returns the wait the server asked for, from the first *Error in
// err's chain; 0 when there is none or the server gave none.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// NewPrice returns the price an ErrPriceChanged answer named, from the first
// *Error in err's chain; false when err is no such error or the API gave no
// price.
func NewPrice(err error) (Money, bool) {
	var e *Error
	if errors.As(err, &e) && e.Kind == ErrPriceChanged && e.Price.Valid {
		return e.Price, true
	}
	return Money{}, false
}

// OutcomeUnknown reports whether a call that changes something (Buy, Refund,
// AnotherSMS, Invoice) may have taken effect though no answer says so: the
// request was sent, and then the connection failed, the answer was
// unreadable, or the caller's context ended. A caller must then check (for
// example in the inventory) before trying again. Rate limiting, any 4xx, an
// ok:false and a 222 are definite answers: nothing was done.
func OutcomeUnknown(err error) bool {
	var e *Error
	if !errors.As(err, &e) || !e.Sent {
		return false
	}
	switch e.Kind {
	case ErrTransient, ErrMalformed, context.Canceled, context.DeadlineExceeded:
		return true
	}
	return false
}

// malformed is the *Error of a successful answer whose body cannot be used.
func malformed(op, apiKey string, err error) *Error {
	return &Error{Op: op, Kind: ErrMalformed, StatusCode: http.StatusOK, Sent: true, Err: redactErr(err, apiKey)}
}

// redactedPlaceholder replaces every secret in error text.
const redactedPlaceholder = "REDACTED"

// apiKeyParam finds an apiKey parameter in any URL-ish text, whatever its value.
var apiKeyParam = regexp.MustCompile(`(?i)(api_?key=)[^&#\s"'<>]*`)

// redact removes the API key from s: the value of any apiKey parameter and the
// key itself anywhere, raw or escaped.
func redact(s, apiKey string) string {
	s = apiKeyParam.ReplaceAllString(s, "${1}"+redactedPlaceholder)
	if apiKey == "" {
		return s
	}
	// Escaped forms first: where several match at one position, the
	// replacer takes the first listed, and escaping only lengthens a key.
	forms := []string{url.QueryEscape(apiKey), url.PathEscape(apiKey), apiKey}
	args := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		args = append(args, f, redactedPlaceholder)
	}
	return strings.NewReplacer(args...).Replace(s)
}

// hasSecret reports whether s holds what redact would remove.
func hasSecret(s, apiKey string) bool {
	return redact(s, apiKey) != s
}

// redactErr returns err with the API key removed from its text. A *url.Error,
// which prints the whole request URL, is rebuilt with a redacted URL so its
// Timeout and Unwrap keep working; any other error that holds the key is
// replaced by its redacted text.
func redactErr(err error, apiKey string) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		return &url.Error{Op: ue.Op, URL: redact(ue.URL, apiKey), Err: redactErr(ue.Err, apiKey)}
	}
	if !hasSecret(err.Error(), apiKey) {
		return err
	}
	return redactedError(redact(err.Error(), apiKey))
}

// redactedError is the text of an error that held a secret, without the secret.
type redactedError string

func (e redactedError) Error() string { return string(e) }

// cleanMessage makes an API message safe to show: invalid UTF-8 dropped,
// control characters and runs of spaces turned into one space, the key
// redacted, at most maxMessageLen characters. Redaction comes after the
// clean-up, which could otherwise join the pieces of a key.
func cleanMessage(msg, apiKey string) string {
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(msg, ""))
	msg = redact(strings.Join(strings.Fields(msg), " "), apiKey)
	if utf8.RuneCountInString(msg) > maxMessageLen {
		msg = string([]rune(msg)[:maxMessageLen-1]) + "…"
	}
	return msg
}

// maxRetryAfter bounds a Retry-After so a hostile or broken header cannot park
// a watch for years.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP-date.
// It returns 0 for an absent, invalid or past value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, ok := parseDigits(v); ok {
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// parseDigits parses a non-negative decimal integer made of ASCII digits only;
// a value too large for int64 saturates.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-9)/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}
