package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// accountStore is what the account desk needs of the store.
type accountStore interface {
	accountReader
	SaveAccount(ctx context.Context, a store.Account, now time.Time) (resumed int, err error)
	LogoutAccount(ctx context.Context, telegramUserID int64, now time.Time) (store.Logout, error)
	UserRule(ctx context.Context, telegramUserID int64) (store.Rule, error)
	SetRule(ctx context.Context, telegramUserID int64, r store.Rule, now time.Time) error
}

// accountDesk links and unlinks SMSOnline accounts, shows their balance
// and sets the user's language and rule for numbers that get no SMS.
type accountDesk struct {
	store     accountStore
	api       balanceReader
	langs     *languages
	wakeMoney func() // a logout waits for the money actions to settle
	log       *slog.Logger
	now       func() time.Time
}

// cmdLogin links an SMSOnline account: /login <userId> <apiKey> (its
// message is deleted already).
func (d *accountDesk) cmdLogin(ctx context.Context, r request) (reply, error) {
	answer, err := d.login(ctx, r)
	if err != nil {
		return reply{}, err
	}
	if r.loginKept {
		answer += "\n\n" + r.lang.T(message.LoginNotDeleted)
	}
	return textReply(answer), nil
}

// login checks the credentials with SMSOnline and saves them; it returns the
// answer for the user.
func (d *accountDesk) login(ctx context.Context, r request) (string, error) {
	l := r.lang
	switch len(r.cmd.Args) {
	case 0:
		return l.T(message.LoginUsage), nil
	case 2:
	default:
		return l.T(message.LoginBadInput), nil
	}
	cred := smsapi.Credentials{UserID: r.cmd.Args[0], APIKey: r.cmd.Args[1]}
	if cred.Validate() != nil {
		return l.T(message.LoginBadInput), nil
	}
	bal, err := d.api.Balance(ctx, cred)
	if errors.Is(err, smsapi.ErrBadCredentials) {
		d.log.Info("login refused by smsonline", "user", r.user)
		return l.T(message.LoginRefused), nil
	}
	if err != nil {
		d.log.Warn("can't check credentials", "user", r.user, "err", err)
		return l.CheckKeyFailed(view.Failure(err)), nil
	}
	now := d.now()
	acct := store.Account{TelegramUserID: r.user, SMSUserID: cred.UserID, APIKey: cred.APIKey, CreatedAt: now, UpdatedAt: now}
	resumed, err := d.store.SaveAccount(ctx, acct, now)
	if err != nil {
		return "", fmt.Errorf("save account: %w", err)
	}
	d.log.Info("account linked", "user", r.user, "resumed_watches", resumed)
	answer := l.LoginOK(view.Balance(bal), cred.UserID)
	if resumed > 0 {
		answer += l.Resumed(resumed)
	}
	return answer, nil
}

// cmdLogout forgets the user's account and ends its watches, at once
// unless a money action of theirs is unsettled: its outcome is found out
// with the key first (bot/money finishes the logout and tells the user).
func (d *accountDesk) cmdLogout(ctx context.Context, r request) (reply, error) {
	out, err := d.store.LogoutAccount(ctx, r.user, d.now())
	switch {
	case err != nil:
		return reply{}, err
	case !out.Existed:
		return textReply(r.lang.T(message.NotLoggedIn)), nil
	case out.Unsettled > 0:
		d.log.Info("logout waits for money actions", "user", r.user, "unsettled", out.Unsettled, "since", out.Since)
		d.wakeMoney()
		return textReply(r.lang.T(message.LogoutWaiting)), nil
	}
	d.log.Info("account unlinked", "user", r.user, "watches_ended", out.Watches)
	return textReply(r.lang.LoggedOutEnded(out.Watches)), nil
}

// cmdBalance shows the linked account's balance.
func (d *accountDesk) cmdBalance(ctx context.Context, r request) (reply, error) {
	bal, err := d.api.Balance(ctx, account.Credentials(r.acct))
	if err != nil {
		return textReply(apiErrorText(d.log, r.lang, err, "")), nil
	}
	return textReply(r.lang.Balance(view.Balance(bal), r.acct.SMSUserID)), nil
}
