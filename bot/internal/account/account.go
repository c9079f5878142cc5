// Package account ties a linked SMSOnline account, as the store keeps it, to
// the API: its credentials, and the watch of one of its orders. It is where
// the bot and its rooms (watch, money) meet without importing each other.
package account

import (
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// DefaultPollInterval is the time between two checks of a waiting order,
// and so the wait before a new watch's first check, when none is
// configured.
const DefaultPollInterval = 3 * time.Second

// Credentials are the SMSOnline credentials of a linked account.
func Credentials(a store.Account) smsapi.Credentials {
	return smsapi.Credentials{UserID: a.SMSUserID, APIKey: a.APIKey}
}

// NewWatch is the watch of order o for user: a snapshot of the order capped
// as the card caps what it shows, its codes going to the user's private chat
// (whose id is the user's), first checked poll from now.
func NewWatch(user int64, o smsapi.Order, now time.Time, poll time.Duration) store.Watch {
	return store.Watch{
		TelegramUserID: user, OrderID: o.ID, ChatID: user, State: store.WatchActive,
		Service: message.Clip(o.Service), PhoneNumber: message.Clip(o.PhoneNumber), Status: message.Clip(o.Status),
		ExpiresAt: o.ExpiresAt, NextCheckAt: now.Add(poll), LastCheckedAt: now, OrderedAt: o.OrderedAt,
	}
}
