package message

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/smsapi"
)

// Commands is what Telegram shows in the "/" menu.
var Commands = []models.BotCommand{
	{Command: "order", Description: "Show an order and send its code: /order <orderId>"},
	{Command: "orders", Description: "Orders I'm watching"},
	{Command: "stop", Description: "Stop watching an order: /stop <orderId>"},
	{Command: "buy", Description: "Buy a number you rented before again"},
	{Command: "balance", Description: "Your SMSOnline balance"},
	{Command: "topup", Description: "Top up your balance: /topup <dollars>"},
	{Command: "login", Description: "Link your SMSOnline account (private chat)"},
	{Command: "logout", Description: "Unlink your account"},
	{Command: "help", Description: "How this bot works"},
}

// Button labels of the order card and of pushes.
const (
	ButtonRefresh  = "🔄 Refresh"
	ButtonStop     = "🔕 Stop watching"
	ButtonWatchNew = "🔔 Watch for new SMS"
	ButtonSendCode = "🔔 Send me the code"
	ButtonCopyCode = "📋 Copy code"
)

// Toasts: the short answers to a button press (plain text, no HTML).
const (
	ToastUpdated         = "Updated"
	ToastWatching        = "I'll send the code here"
	ToastWatchingPrivate = "I'll send the code to you in a private chat"
	ToastStopped         = "Stopped watching"
	ToastLinkFirst       = "Link your SMSOnline account first: send /login to me in a private chat."
	ToastSomethingWrong  = "Something went wrong. Please try again."
)

// ToastTooManyTaps asks a user pressing buttons too fast to wait.
func ToastTooManyTaps(wait time.Duration) string {
	return fmt.Sprintf("Too many taps: please wait %s.", Duration(max(wait, time.Second)))
}

// SlowDown asks a flooding user to wait.
func SlowDown(wait time.Duration) string {
	return fmt.Sprintf("⏳ That's a lot of requests at once. Please wait %s and try again.", Duration(max(wait, time.Second)))
}

// NotWatching says there was no watch to stop.
func NotWatching(orderID string) string {
	return fmt.Sprintf("I'm not watching order <code>%s</code>.", Escape(orderID))
}

// StoppedWatching confirms /stop.
func StoppedWatching(orderID string) string {
	return fmt.Sprintf("🔕 Stopped watching order <code>%s</code>.", Escape(orderID))
}

// Resumed is added to the login answer when paused watches start again.
func Resumed(n int) string {
	return fmt.Sprintf("\n\n▶️ Watching your %d paused %s again.", n, plural(n, "order", "orders"))
}

// LoggedOutEnded is /logout's answer when it ended n watches.
func LoggedOutEnded(n int) string {
	if n == 0 {
		return LoggedOut
	}
	return LoggedOut + fmt.Sprintf(" I stopped watching your %d %s.", n, plural(n, "order", "orders"))
}

// CheckKeyFailed is /login's answer when SMSOnline could not say whether
// the key is good.
func CheckKeyFailed(err error) string {
	text, _ := APIError(err, "")
	return "I couldn't check your key, so nothing was saved.\n" + text
}

// APIError turns an SMSOnline failure into the user's answer. known is
// false for a failure of no kind smsapi names; the answer is then the
// generic one and the caller should log the error.
func APIError(err error, orderID string) (text string, known bool) {
	switch {
	case errors.Is(err, smsapi.ErrOrderNotFound):
		return OrderNotFound(orderID), true
	case errors.Is(err, smsapi.ErrBadCredentials):
		return KeyRefused, true
	case errors.Is(err, smsapi.ErrRateLimited):
		return RateLimited(smsapi.RetryAfter(err)), true
	case errors.Is(err, smsapi.ErrTransient):
		return APIDown, true
	case errors.Is(err, smsapi.ErrMalformed):
		return APIGarbled, true
	case errors.Is(err, smsapi.ErrRejected):
		return APIRejected, true
	case errors.Is(err, smsapi.ErrInvalidInput):
		return BadOrderID, true
	}
	return Internal, false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
