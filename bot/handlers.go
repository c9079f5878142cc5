package bot

import (
	"context"
	"errors"

	"github.com/smsbot/smsbot/bot/watch"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// request is one incoming command with the facts every handler needs.
type request struct {
	msg  *models.Message
	cmd  command
	user int64 // Telegram user id of the sender
	chat int64
}

func (r request) private() bool { return r.msg.Chat.Type == models.ChatTypePrivate }

// dispatch routes an update to its handler. It is the library's default
// handler: routing lives here rather than in MatchTypeCommand, which misses
// "/order@Bot" in groups.
func (b *Bot) dispatch(ctx context.Context, _ *tgbot.Bot, u *models.Update) {
	switch {
	case u.Message != nil:
		b.metrics.Update("message")
		if from := u.Message.From; from != nil && !from.IsBot {
			ctx = b.speak(ctx, from)
		}
		b.onMessage(ctx, u.Message)
	case u.CallbackQuery != nil:
		b.metrics.Update("callback")
		b.onCallback(b.speak(ctx, &u.CallbackQuery.From), u.CallbackQuery)
	}
}

// speak records the language the sender's Telegram app uses and returns ctx
// carrying the language to answer them in.
func (b *Bot) speak(ctx context.Context, from *models.User) context.Context {
	b.langs.seen(ctx, from.ID, from.LanguageCode)
	return withLang(ctx, b.langs.of(ctx, from.ID))
}

// onMessage handles a text message.
func (b *Bot) onMessage(ctx context.Context, msg *models.Message) {
	if msg.From == nil || msg.From.IsBot {
		return // channel posts and other bots
	}
	cmd, isCommand := parseCommand(msg.Text, b.username)
	r := request{msg: msg, cmd: cmd, user: msg.From.ID, chat: msg.Chat.ID}
	if isCommand {
		b.metrics.Command(commandLabel(cmd.Name))
	}
	b.log.Debug("update", "user", r.user, "chat", r.chat, "command", cmd.Name)

	if isCommand && cmd.Name == "login" {
		// The key must leave the chat whatever happens next, even for a user the
		// bot does not serve or one who is throttled.
		b.cmdLogin(ctx, r)
		return
	}
	if !isCommand && !r.private() {
		return // group chatter is not for us
	}
	if !b.throttle(ctx, r) {
		return
	}
	if !b.isAllowed(r.user) {
		b.reply(ctx, r, lang(ctx).T(message.NotAllowed))
		return
	}
	if !isCommand {
		b.reply(ctx, r, lang(ctx).T(message.Unknown))
		return
	}
	switch cmd.Name {
	case "start", "help":
		b.reply(ctx, r, lang(ctx).T(message.Help))
	case "order":
		b.cmdOrder(ctx, r)
	case "orders":
		b.cmdOrders(ctx, r)
	case "stop":
		b.cmdStop(ctx, r)
	case "balance":
		b.cmdBalance(ctx, r)
	case "buy":
		b.cmdBuy(ctx, r)
	case "language":
		b.cmdLanguage(ctx, r)
	case "topup":
		b.cmdTopUp(ctx, r)
	case "logout":
		b.cmdLogout(ctx, r)
	default:
		if r.private() {
			b.reply(ctx, r, lang(ctx).T(message.Unknown))
		}
	}
}

// commandLabel is a command's name for metrics: one of the bot's, or
// "other", so a user cannot make up label values.
func commandLabel(name string) string {
	switch name {
	case "start", "help", "login", "order", "orders", "stop", "buy", "language", "balance", "topup", "logout":
		return name
	}
	return "other"
}

// isAllowed applies ALLOWED_USERS.
func (b *Bot) isAllowed(userID int64) bool {
	return len(b.allowed) == 0 || b.allowed[userID]
}

// cmdLogin links an SMSOnline account: /login <userId> <apiKey>. The message
// that may carry a key is deleted first, whoever sent it and however often;
// only then do the user's budget and ALLOWED_USERS decide whether the bot
// answers at all, in a group as anywhere (a flood of /login must not spend
// the Telegram budget that code pushes need).
func (b *Bot) cmdLogin(ctx context.Context, r request) {
	deleted := true
	if len(r.cmd.Args) > 0 || !r.private() {
		deleted = b.deleteMessage(ctx, r.chat, r.msg.ID)
	}
	if !b.throttle(ctx, r) {
		return
	}
	if !b.isAllowed(r.user) {
		b.reply(ctx, r, lang(ctx).T(message.NotAllowed))
		return
	}
	if !r.private() {
		b.reply(ctx, r, lang(ctx).T(message.LoginInGroup))
		return
	}
	answer := b.login(ctx, r)
	if !deleted {
		answer += "\n\n" + lang(ctx).T(message.LoginNotDeleted)
	}
	b.reply(ctx, r, answer)
}

// login checks the credentials with SMSOnline and saves them; it returns the
// answer for the user.
func (b *Bot) login(ctx context.Context, r request) string {
	switch len(r.cmd.Args) {
	case 0:
		return lang(ctx).T(message.LoginUsage)
	case 2:
	default:
		return lang(ctx).T(message.LoginBadInput)
	}
	cred := smsapi.Credentials{UserID: r.cmd.Args[0], APIKey: r.cmd.Args[1]}
	if cred.Validate() != nil {
		return lang(ctx).T(message.LoginBadInput)
	}
	bal, err := b.api.Balance(ctx, cred)
	if errors.Is(err, smsapi.ErrBadCredentials) {
		b.log.Info("login refused by smsonline", "user", r.user)
		return lang(ctx).T(message.LoginRefused)
	}
	if err != nil {
		b.log.Warn("can't check credentials", "user", r.user, "err", err)
		return lang(ctx).CheckKeyFailed(err)
	}
	now := b.cfg.Now()
	acct := store.Account{TelegramUserID: r.user, SMSUserID: cred.UserID, APIKey: cred.APIKey, CreatedAt: now, UpdatedAt: now}
	resumed, err := b.store.SaveAccount(ctx, acct, now)
	if err != nil {
		b.log.Error("can't save account", "user", r.user, "err", err)
		return lang(ctx).T(message.Internal)
	}
	b.log.Info("account linked", "user", r.user, "resumed_watches", resumed)
	answer := lang(ctx).LoginOK(bal, cred.UserID)
	if resumed > 0 {
		answer += lang(ctx).Resumed(resumed)
	}
	return answer
}

// cmdLogout forgets the user's account and ends its watches, at once
// unless a money action of theirs is unsettled: its outcome is found out
// with the key first (bot/money finishes the logout and tells the user).
func (b *Bot) cmdLogout(ctx context.Context, r request) {
	out, err := b.store.LogoutAccount(ctx, r.user, b.cfg.Now())
	switch {
	case err != nil:
		b.log.Error("can't log out", "user", r.user, "err", err)
		b.reply(ctx, r, lang(ctx).T(message.Internal))
	case !out.Existed:
		b.reply(ctx, r, lang(ctx).T(message.NotLoggedIn))
	case out.Unsettled > 0:
		b.log.Info("logout waits for money actions", "user", r.user, "unsettled", out.Unsettled, "since", out.Since)
		b.money.Wake()
		b.reply(ctx, r, lang(ctx).T(message.LogoutWaiting))
	default:
		b.log.Info("account unlinked", "user", r.user, "watches_ended", out.Watches)
		b.reply(ctx, r, lang(ctx).LoggedOutEnded(out.Watches))
	}
}

// cmdBalance shows the linked account's balance.
func (b *Bot) cmdBalance(ctx context.Context, r request) {
	acct, ok := b.account(ctx, r)
	if !ok {
		return
	}
	bal, err := b.api.Balance(ctx, watch.Credentials(acct))
	if err != nil {
		b.reply(ctx, r, b.apiErrorText(ctx, err, ""))
		return
	}
	b.reply(ctx, r, lang(ctx).Balance(bal, acct.SMSUserID))
}

// account loads the caller's linked account. When there is none, or it cannot
// be read, it answers the user and returns false.
func (b *Bot) account(ctx context.Context, r request) (store.Account, bool) {
	acct, err := b.store.Account(ctx, r.user)
	switch {
	case err == nil:
		return acct, true
	case errors.Is(err, store.ErrNotFound):
		b.reply(ctx, r, lang(ctx).T(message.NeedLogin))
	case errors.Is(err, store.ErrWrongKey):
		b.log.Error("stored api key does not open: was BOT_ENCRYPTION_KEY changed?", "user", r.user)
		b.reply(ctx, r, lang(ctx).T(message.KeyUnreadable))
	default:
		b.log.Error("can't load account", "user", r.user, "err", err)
		b.reply(ctx, r, lang(ctx).T(message.Internal))
	}
	return store.Account{}, false
}

// apiErrorText turns an SMSOnline failure into the user's answer, and logs
// a failure of no known kind.
func (b *Bot) apiErrorText(ctx context.Context, err error, orderID string) string {
	text, known := lang(ctx).APIError(err, orderID)
	if !known {
		b.log.Error("smsonline call failed", "err", err)
	}
	return text
}
