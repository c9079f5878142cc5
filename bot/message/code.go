package message

import (
	"regexp"
	"strings"
)

// codePattern finds code candidates: a run of 4-8 digits, or two groups of
// three digits split by a dash or space ("123-456", as WhatsApp and Discord
// send them). isolated then drops candidates that are part of a longer number.
var codePattern = regexp.MustCompile(`\d{3}[- ]\d{3}|\d{4,8}`)

// codeKeyword matches the words that introduce a code in an SMS, so that
// "Order 20046875: your code is 5839" yields 5839, not the order number.
var codeKeyword = regexp.MustCompile(`(?i)\b(?:code|pin|otp|passcode|password)\b|код`)

// ExtractCode returns the verification code inside an SMS text, or "" when the
// text holds none. A text that is only a code is returned as it is.
func ExtractCode(sms string) string {
	sms = strings.TrimSpace(sms)
	afterKeyword := -1
	if loc := codeKeyword.FindStringIndex(sms); loc != nil {
		afterKeyword = loc[1]
	}
	first := ""
	for _, loc := range codePattern.FindAllStringIndex(sms, -1) {
		if !isolated(sms, loc[0], loc[1]) {
			continue
		}
		code := strings.NewReplacer("-", "", " ", "").Replace(sms[loc[0]:loc[1]])
		if afterKeyword >= 0 && loc[0] >= afterKeyword {
			return code // the first candidate after "code" is the code
		}
		if first == "" {
			first = code
		}
	}
	return first
}

// isolated reports whether sms[start:end] stands alone: no digit touches it,
// and no digit group joins it through a single dash or space ("+1 415 555 0123"
// holds no code).
func isolated(sms string, start, end int) bool {
	if start > 0 {
		if isDigit(sms[start-1]) || start > 1 && isSeparator(sms[start-1]) && isDigit(sms[start-2]) {
			return false
		}
	}
	if end < len(sms) {
		if isDigit(sms[end]) || end+1 < len(sms) && isSeparator(sms[end]) && isDigit(sms[end+1]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isSeparator(c byte) bool { return c == '-' || c == ' ' }
