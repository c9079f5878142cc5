package bot

import (
	"context"
	"errors"
	"log/slog"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// The handlers live in desks, small types that each declare, beside their
// code, the store and SMSOnline methods they use: orders (orders.go), money
// (confirm.go: refunds, purchases, another SMS), shop (shop.go: /buy's
// list, /topup), accounts (account.go: /login, /logout, /balance,
// /language) and history (history.go: /history, its pages and its CSV).
// Package bot's own code routes updates to them and sends what
// they answer.

// accountReader loads a user's linked account.
type accountReader interface {
	Account(ctx context.Context, telegramUserID int64) (store.Account, error)
}

// balanceReader reads an account's balance.
type balanceReader interface {
	Balance(ctx context.Context, cred smsapi.Credentials) (smsapi.Balance, error)
}

// linkedAccount loads the caller's linked account. When there is none, or
// it cannot be read, refusal is the user's answer.
func linkedAccount(ctx context.Context, st accountReader, log *slog.Logger, r request) (acct store.Account, refusal string) {
	acct, err := st.Account(ctx, r.user)
	switch {
	case err == nil:
		return acct, ""
	case errors.Is(err, store.ErrNotFound):
		return acct, r.lang.T(message.NeedLogin)
	case errors.Is(err, store.ErrWrongKey):
		log.Error("stored api key does not open: was BOT_ENCRYPTION_KEY changed?", "user", r.user)
		return acct, r.lang.T(message.KeyUnreadable)
	}
	log.Error("can't load account", "user", r.user, "err", err)
	return acct, r.lang.T(message.Internal)
}

// apiErrorText turns an SMSOnline failure into the user's answer in l, and
// logs a failure of no known kind.
func apiErrorText(log *slog.Logger, l *message.Lang, err error, orderID string) string {
	text, known := l.APIError(view.Failure(err), orderID)
	if !known {
		log.Error("smsonline call failed", "err", err)
	}
	return text
}
