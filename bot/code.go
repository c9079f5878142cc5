package bot

import (
	"regexp"
	"strings"
)

// codePattern finds verification codes: a run of 4-8 digits, or two groups of
// three digits split by a dash or space ("123-456", as WhatsApp and Discord
// send them). The surrounding \D guards keep it from cutting digits out of a
// longer number such as a phone number.
var codePattern = regexp.MustCompile(`(?:^|\D)(\d{3}[- ]\d{3}|\d{4,8})(?:\D|$)`)

// extractCode returns the verification code inside an SMS text, or "" when the
// text holds none. A text that is only a code is returned as it is.
func extractCode(sms string) string {
	sms = strings.TrimSpace(sms)
	m := codePattern.FindStringSubmatch(sms)
	if m == nil {
		return ""
	}
	return strings.NewReplacer("-", "", " ", "").Replace(m[1])
}
