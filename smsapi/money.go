package smsapi

import (
	"fmt"
	"strconv"
	"strings"
)

// maxDollars bounds ParseDollars: no top-up or price comes near it, and it
// keeps every amount far from overflowing int64 cents.
const maxDollars = 1_000_000_000

// Money is an amount of US dollars held in cents. Valid is false when the API
// left the amount out or sent something unreadable (like sql.NullInt64).
type Money struct {
	Cents int64
	Valid bool
}

// Cents returns the valid amount of n cents.
func Cents(n int64) Money { return Money{Cents: n, Valid: true} }

// String formats m as "$5.00", "$0.16", "-$1.50" or "$1,234.50"; it returns
// "" when m is not Valid.
func (m Money) String() string {
	if !m.Valid {
		return ""
	}
	sign, n := "", uint64(m.Cents)
	if m.Cents < 0 {
		sign, n = "-", -n // two's complement: right for math.MinInt64 too
	}
	return fmt.Sprintf("%s$%s.%02d", sign, groupThousands(strconv.FormatUint(n/100, 10)), n%100)
}

// groupThousands puts a comma between every three digits from the right.
func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(digits[:head])
	for i := head; i < len(digits); i += 3 {
		b.WriteByte(',')
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// ParseDollars reads an amount a person typed: dollars with at most two
// decimals after a point or a comma, optionally after a "$" and with spaces
// around, such as "5", "5.5", "$5.50", "0.2" or "12,50" (as Russians write
// it). It rejects negative amounts, exponents, thousands separators, more
// than two decimals and amounts over a billion dollars; "1,000" is refused
// rather than read as $1.00, since its comma may group thousands. The error
// wraps ErrInvalidInput and says why. "0" is valid: bounds are the caller's.
func ParseDollars(s string) (Money, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimPrefix(s, "$"))
	reject := func(reason string) (Money, error) {
		return Money{}, fmt.Errorf("%w: %w", ErrInvalidInput, &inputError{"amount", reason})
	}
	switch {
	case s == "":
		return reject("is empty")
	case s[0] == '-':
		return reject("must not be negative")
	}
	if whole, frac, ok := strings.Cut(s, ","); ok && !strings.Contains(s, ".") {
		if len(frac) == 3 && isDigits(frac) {
			return reject("has a comma before three digits, which may group thousands: write 1000 or 1000.00")
		}
		s = whole + "." + frac // one decimal comma; a second one fails below
	}
	d, ok := parseDecimal(s)
	switch {
	case !ok:
		return reject("must be a number of dollars, such as 5 or 5.50")
	case d.fracDigits > 2:
		return reject("may have at most two digits after the point")
	case d.cents > maxDollars*100:
		return reject("must be at most $1,000,000,000")
	}
	return Cents(d.cents), nil
}

// decimal is plain decimal text read as dollars.
type decimal struct {
	cents      int64 // rounded half away from zero past the second decimal
	fracDigits int   // how many digits followed the point
	point      bool  // the text had a decimal point
}

// maxWholeDigits keeps whole dollars times 100 inside int64.
const maxWholeDigits = 16

// parseDecimal reads s, such as "5", "-0.165" or "12.50", as dollars: an
// optional '-', digits, and optionally a point followed by digits. Nothing
// else is accepted: no '+', exponent, separator or white space.
func parseDecimal(s string) (decimal, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	whole, frac, point := strings.Cut(s, ".")
	if !isDigits(whole) || point && !isDigits(frac) {
		return decimal{}, false
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > maxWholeDigits {
		return decimal{}, false
	}
	var cents int64
	for i := 0; i < len(whole); i++ {
		cents = cents*10 + int64(whole[i]-'0')
	}
	cents *= 100
	padded := frac + "000"
	cents += int64(padded[0]-'0')*10 + int64(padded[1]-'0')
	if padded[2] >= '5' {
		cents++
	}
	if neg {
		cents = -cents
	}
	return decimal{cents: cents, fracDigits: len(frac), point: point}, true
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
