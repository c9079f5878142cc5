package smsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The API documents only a little of its JSON, so the types below read what
// it sends leniently: numbers where strings were expected and the reverse,
// null for "nothing". What cannot be read at all is an error, which callers
// report as ErrMalformed, except for times, which are merely left zero.

// flexString is a JSON scalar read as text: a string (trimmed), a number (its
// decimal text), a bool ("true"/"false") or null (""). Objects and arrays are
// an error.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("empty JSON value")
	}
	switch c := b[0]; {
	case c == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(strings.TrimSpace(v))
	case c == 'n':
		*s = ""
	case c == 't' || c == 'f':
		*s = flexString(b)
	case c == '-' || '0' <= c && c <= '9':
		*s = flexString(decimalText(string(b)))
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(c), Type: typeOfFlexString}
	}
	return nil
}

// decimalText turns a JSON number literal into plain decimal text: "16" stays
// "16", "1.6e1" becomes "16".
func decimalText(lit string) string {
	if !strings.ContainsAny(lit, "eE") {
		return lit
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) {
		return lit
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// flexInt is an integer given as a JSON number or numeric string; null and ""
// are 0. A fraction other than .0 is an error.
type flexInt int

// UnmarshalJSON implements json.Unmarshaler.
func (n *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*n = 0
		return nil
	}
	if i, err := strconv.Atoi(string(s)); err == nil {
		*n = flexInt(i)
		return nil
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return &json.UnmarshalTypeError{Value: "number " + string(s), Type: typeOfFlexInt}
	}
	*n = flexInt(f)
	return nil
}

// flexMoney is an amount of money given as a JSON number or string, read by
// the rule of moneyFromText. It never fails: null, "", and anything
// unreadable (objects included) are Money{}, an amount the API did not give.
type flexMoney Money

// UnmarshalJSON implements json.Unmarshaler; it never fails.
func (m *flexMoney) UnmarshalJSON(b []byte) error {
	var s flexString
	if s.UnmarshalJSON(b) != nil {
		*m = flexMoney{}
		return nil
	}
	*m = flexMoney(moneyFromText(string(s)))
	return nil
}

// flexBool is true/false, also as the strings "true"/"false"/"1"/"0" or the
// numbers 1/0.
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	switch strings.ToLower(string(s)) {
	case "true", "1":
		*v = true
	case "false", "0", "":
		*v = false
	default:
		return &json.UnmarshalTypeError{Value: "value " + strconv.Quote(string(s)), Type: typeOfFlexBool}
	}
	return nil
}

// flexTime is a UTC time given as "2006-01-02 15:04:05" (UTC, the documented
// form), RFC 3339, or Unix seconds or milliseconds. Anything else, null
// included, is the zero time: a time the bot cannot read should not cost the
// user their SMS.
type flexTime time.Time

// timeLayouts are tried in order; layouts without a zone are read as UTC.
var timeLayouts = []string{
	time.DateTime,
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 MST",
}

// UnmarshalJSON implements json.Unmarshaler; it never fails.
func (t *flexTime) UnmarshalJSON(b []byte) error {
	*t = flexTime(parseTime(b))
	return nil
}

func parseTime(b []byte) time.Time {
	var s flexString
	if s.UnmarshalJSON(b) != nil || s == "" {
		return time.Time{}
	}
	if n, ok := parseDigits(string(s)); ok {
		switch {
		case n == 0:
			return time.Time{}
		case n < 1e11: // seconds until the year 5138
			return time.Unix(n, 0).UTC()
		case n < 1e14:
			return time.UnixMilli(n).UTC()
		default:
			return time.Time{}
		}
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, string(s)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

var (
	typeOfFlexString = reflect.TypeFor[flexString]()
	typeOfFlexInt    = reflect.TypeFor[flexInt]()
	typeOfFlexBool   = reflect.TypeFor[flexBool]()
)

// jsonKind names the kind of JSON value that starts with c, for errors.
func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	default:
		return "value"
	}
}
