// Package message holds every text the bot shows a user and renders them:
// the order card, pushes, lists, answers, errors, button labels and toasts.
// Its functions are pure: they take what they show (and the time, for
// "time left") and return HTML for Telegram's HTML parse mode, with every
// value from a user or from SMSOnline escaped and length-capped.
package message

import (
	"strings"
	"unicode/utf16"
)

// Every message the bot sends is HTML (parse mode "HTML"). Text that comes from
// a user or from SMSOnline goes through Escape, so Telegram never rejects a message
// with "can't parse entities" and nobody can inject markup.

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// Escape escapes s for Telegram's HTML parse mode.
func Escape(s string) string { return htmlEscaper.Replace(s) }

// MaxFieldUnits caps one API-provided value inside a message, so a garbage
// answer cannot push a message over Telegram's 4096-character limit. It counts
// UTF-16 code units, as Telegram does: an emoji takes two.
const MaxFieldUnits = 300

// MaxMessageUnits is Telegram's limit on a message's text, in UTF-16 units.
const MaxMessageUnits = 4096

// Field escapes an API-provided value for a message, shortened by Clip.
func Field(s string) string { return Escape(Clip(s)) }

// Clip trims an API-provided value and shortens it to MaxFieldUnits UTF-16
// units and an ellipsis. It is the one cap on such values, for what the bot
// shows and for what it stores (a watch's snapshot): a 300 KB service name
// must not make a 300 KB row. Clip(Clip(s)) == Clip(s), so a stored value is
// shown unchanged.
func Clip(s string) string {
	s = strings.TrimSpace(s)
	units := 0
	for i, c := range s {
		if units += utf16.RuneLen(c); units > MaxFieldUnits {
			return s[:i] + "…"
		}
	}
	return s
}

// UTF16Len is the length of s in UTF-16 code units.
func UTF16Len(s string) int {
	n := 0
	for _, c := range s {
		n += utf16.RuneLen(c)
	}
	return n
}
