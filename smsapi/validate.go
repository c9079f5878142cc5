package smsapi

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxIDLen     = 64
	maxAPIKeyLen = 256
)

// Credentials name an SMSOnline account: its user id and API key.
type Credentials struct {
	UserID string
	APIKey string
}

// Validate checks that c could be sent to the API: a well-formed user id and
// a non-empty API key of at most 256 printable ASCII characters without
// spaces. The error wraps ErrInvalidInput and never repeats the key.
func (c Credentials) Validate() error {
	if err := c.check(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return nil
}

// ValidateOrderID checks that id is 1 to 64 characters of A-Z, a-z, 0-9, '_'
// or '-', which is what makes it safe as a path segment. The error wraps
// ErrInvalidInput.
func ValidateOrderID(id string) error {
	if err := checkID("order id", id); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return nil
}

// validateUserID checks a user id the same way as ValidateOrderID.
func validateUserID(id string) error {
	if err := checkID("user id", id); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return nil
}

// inputError says which input was rejected and why. It never quotes the input:
// a misplaced API key must not travel on in an error.
type inputError struct {
	field, reason string
}

func (e *inputError) Error() string { return e.field + " " + e.reason }

func (c Credentials) check() error {
	if err := checkID("user id", c.UserID); err != nil {
		return err
	}
	return checkAPIKey(c.APIKey)
}

func checkID(field, id string) error {
	switch {
	case id == "":
		return &inputError{field, "is empty"}
	case len(id) > maxIDLen:
		return &inputError{field, "is longer than 64 characters"}
	}
	for i := 0; i < len(id); i++ {
		if !isIDByte(id[i]) {
			return &inputError{field, "may hold only letters, digits, '_' and '-'"}
		}
	}
	return nil
}

func isIDByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '-'
}

func checkAPIKey(key string) error {
	switch {
	case key == "":
		return &inputError{"api key", "is empty"}
	case len(key) > maxAPIKeyLen:
		return &inputError{"api key", "is longer than 256 bytes"}
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] > '~' {
			return &inputError{"api key", "may hold only printable ASCII without spaces"}
		}
	}
	return nil
}

// invalidInput is the *Error of a call refused before any request was made.
func invalidInput(op string, err error) error {
	return &Error{Op: op, Kind: ErrInvalidInput, Err: err}
}

// checkText checks a code such as a service or country: 1 to 64 bytes of
// valid UTF-8 without control characters.
func checkText(field, s string) error {
	switch {
	case s == "":
		return &inputError{field, "is empty"}
	case len(s) > maxIDLen:
		return &inputError{field, "is longer than 64 bytes"}
	case !utf8.ValidString(s):
		return &inputError{field, "is not valid UTF-8"}
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return &inputError{field, "may not hold control characters"}
	}
	return nil
}

// checkAmount checks that m is a valid amount above zero.
func checkAmount(field string, m Money) error {
	if !m.Valid || m.Cents <= 0 {
		return &inputError{field, "must be more than $0.00"}
	}
	return nil
}
