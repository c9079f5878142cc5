package bot

import (
	"strings"
	"unicode"
)

// command is a parsed bot command: "/order@SMSBot 123" -> {Name: "order", Args: ["123"]}.
type command struct {
	Name string
	Args []string
}

// maxCommandArgs bounds how much of a hostile message is split into arguments.
const maxCommandArgs = 8

// parseCommand reads a command from a message text. It returns ok=false for text
// that is not a command, and for a command addressed to another bot
// ("/order@OtherBot 1" in a group). botUsername may be empty when unknown; then
// any @suffix is accepted.
func parseCommand(text, botUsername string) (command, bool) {
	text = strings.Map(dropInvisible, text)
	text = strings.TrimLeftFunc(text, unicode.IsSpace)
	if !strings.HasPrefix(text, "/") {
		return command{}, false
	}
	fields := strings.Fields(text)
	head := strings.TrimPrefix(fields[0], "/")
	name, target, addressed := strings.Cut(head, "@")
	if addressed && botUsername != "" && !strings.EqualFold(target, botUsername) {
		return command{}, false
	}
	if name == "" || !isCommandName(name) {
		return command{}, false
	}
	args := fields[1:]
	if len(args) > maxCommandArgs {
		args = args[:maxCommandArgs]
	}
	return command{Name: strings.ToLower(name), Args: args}, true
}

// isCommandName reports whether s is a Telegram command name: 1-32 Latin
// letters, digits and underscores.
func isCommandName(s string) bool {
	if len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// dropInvisible removes invisible format characters (zero-width spaces and
// joiners, direction marks, BOM), so an id pasted from a web page or typed on a
// right-to-left keyboard still parses as the id the user sees.
func dropInvisible(r rune) rune {
	if unicode.Is(unicode.Cf, r) {
		return -1
	}
	return r
}
