package message

import (
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// Command is one of the bot's commands as the "/" menu and /help show it.
// The bot's command table is the one list of them.
type Command struct {
	Name string // "order"
	Args string // what /help shows after the name, as plain text: "<orderId>"; "" for none
	Menu Text   // its description in the "/" menu; "" keeps it out of the menu
	Help Text   // its line in /help's list; "" keeps it out
}

// Commands is what Telegram shows in the "/" menu, in l.
func (l *Lang) Commands(cs []Command) []models.BotCommand {
	var out []models.BotCommand
	for _, c := range cs {
		if c.Menu != "" {
			out = append(out, models.BotCommand{Command: c.Name, Description: l.T(c.Menu)})
		}
	}
	return out
}

// Help is /help's answer: what the bot does, then a line per command.
func (l *Lang) Help(cs []Command) string {
	lines := []string{l.T(Help)}
	for _, c := range cs {
		if c.Help == "" {
			continue
		}
		cmd := "/" + c.Name
		if c.Args != "" {
			cmd += " " + Escape(c.Args)
		}
		lines = append(lines, l.t("HelpLine", args{"Command": cmd, "Text": l.T(c.Help)}))
	}
	return strings.Join(lines, "\n")
}

// ToastTooManyTaps asks a user pressing buttons too fast to wait.
func (l *Lang) ToastTooManyTaps(wait time.Duration) string {
	return l.t("ToastTooManyTaps", args{"Wait": l.Wait(wait)})
}

// SlowDown asks a flooding user to wait.
func (l *Lang) SlowDown(wait time.Duration) string {
	return l.t("SlowDown", args{"Wait": l.Wait(wait)})
}

// NotWatching says there was no watch to stop.
func (l *Lang) NotWatching(orderID string) string {
	return l.t("NotWatching", args{"Order": Escape(orderID)})
}

// StoppedWatching confirms /stop.
func (l *Lang) StoppedWatching(orderID string) string {
	return l.t("StoppedWatching", args{"Order": Escape(orderID)})
}

// Resumed is added to the login answer when paused watches start again.
func (l *Lang) Resumed(n int) string { return "\n\n" + l.n("Resumed", n, nil) }

// LoggedOutEnded is /logout's answer when it ended n watches.
func (l *Lang) LoggedOutEnded(n int) string {
	if n == 0 {
		return l.T(LoggedOut)
	}
	return l.n("LoggedOutEnded", n, nil)
}

// CheckKeyFailed is /login's answer when SMSOnline could not say whether
// the key is good.
func (l *Lang) CheckKeyFailed(f APIFailure) string {
	text, _ := l.APIError(f, "")
	return l.t("CheckKeyFailed", args{"Reason": text})
}

// APIError turns an SMSOnline failure into the user's answer. known is
// false for ErrorUnknown; the answer is then the generic one and the
// caller should log the error.
func (l *Lang) APIError(f APIFailure, orderID string) (text string, known bool) {
	switch f.Kind {
	case ErrorOrderNotFound:
		return l.OrderNotFound(orderID), true
	case ErrorBadCredentials:
		return l.T(KeyRefused), true
	case ErrorRateLimited:
		return l.RateLimited(f.RetryAfter), true
	case ErrorTransient:
		return l.T(APIDown), true
	case ErrorMalformed:
		return l.T(APIGarbled), true
	case ErrorRejected:
		return l.T(APIRejected), true
	case ErrorInvalidInput:
		return l.T(BadOrderID), true
	}
	return l.T(Internal), false
}
