package bot

import (
	"context"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/store"
)

// request is one incoming command with the facts every handler needs.
type request struct {
	msg  *models.Message
	cmd  command
	user int64 // Telegram user id of the sender
	chat int64
	lang *message.Lang // the sender's language
	acct store.Account // the linked account, for a command whose entry needs one

	loginKept bool // a /login message that could not be deleted
}

func (r request) private() bool { return r.msg.Chat.Type == models.ChatTypePrivate }

// reply is what a command answers in its chat: text, and buttons under it.
type reply struct {
	text string
	kb   *message.Keyboard
}

// textReply is a reply without buttons.
func textReply(text string) reply { return reply{text: text} }

// commandEntry is one command of the bot: the one place its name, its
// menu and /help lines, where it may be used and its handler are written.
type commandEntry struct {
	message.Command
	// inGroup is the answer to the command in a group: it is private only.
	// "" allows it everywhere.
	inGroup message.Text
	account bool // needs a linked account: the dispatcher loads it, or answers with the login hint
	// admin is for ADMIN_USERS only: to anyone else it is an unknown
	// command, and it is in no menu and no /help.
	admin bool
	run   func(context.Context, request) (reply, error)
}

// commandTable lists the bot's commands in menu order. /login is special:
// its message may carry a key, so it is deleted before anything else
// (onMessage).
func (b *Bot) commandTable() []commandEntry {
	orders, shop, accounts, favourites := b.orders, b.shop, b.accounts, b.favourites
	return []commandEntry{
		{Command: message.Command{Name: "start"}, run: b.cmdHelp},
		{Command: message.Command{Name: "order", Menu: message.CommandOrder}, run: orders.cmdOrder},
		{Command: message.Command{Name: "orders", Menu: message.CommandOrders, Help: message.HelpOrders}, run: orders.cmdOrders},
		{Command: message.Command{Name: "stop", Args: "<orderId>", Menu: message.CommandStop, Help: message.HelpStop}, run: orders.cmdStop},
		{Command: message.Command{Name: "buy", Menu: message.CommandBuy, Help: message.HelpBuy}, run: shop.cmdBuy},
		{Command: message.Command{Name: "favourites", Menu: message.CommandFavourites, Help: message.HelpFavourites},
			account: true, run: favourites.cmdFavourites},
		{Command: message.Command{Name: "balance", Menu: message.CommandBalance, Help: message.HelpBalance}, account: true, run: accounts.cmdBalance},
		{Command: message.Command{Name: "history", Menu: message.CommandHistory, Help: message.HelpHistory},
			inGroup: message.HistoryInGroup, account: true, run: b.history.cmdHistory},
		{Command: message.Command{Name: "topup", Args: "<dollars>", Menu: message.CommandTopUp, Help: message.HelpTopUp},
			inGroup: message.TopUpInGroup, run: shop.cmdTopUp},
		{Command: message.Command{Name: "settings", Menu: message.CommandSettings, Help: message.HelpSettings}, run: accounts.cmdSettings},
		{Command: message.Command{Name: "language", Menu: message.CommandLanguage, Help: message.HelpLanguage}, run: accounts.cmdLanguage},
		{Command: message.Command{Name: loginCommand, Menu: message.CommandLogin}, inGroup: message.LoginInGroup, run: accounts.cmdLogin},
		{Command: message.Command{Name: "logout", Menu: message.CommandLogout, Help: message.HelpLogout}, run: accounts.cmdLogout},
		{Command: message.Command{Name: "help", Menu: message.CommandHelp, Help: message.HelpHelp}, run: b.cmdHelp},
		{Command: message.Command{Name: "stats"}, admin: true, inGroup: message.AdminInGroup, run: b.admin.cmdStats},
		{Command: message.Command{Name: "announce", Args: "<text>"}, admin: true, inGroup: message.AdminInGroup, run: b.admin.cmdAnnounce},
	}
}

// loginCommand is the command whose message may carry an API key.
const loginCommand = "login"

// commandList is the table as the menu and /help show it: everyone's
// commands, not the admins'.
func (b *Bot) commandList() []message.Command {
	out := make([]message.Command, 0, len(b.commands))
	for _, e := range b.commands {
		if !e.admin {
			out = append(out, e.Command)
		}
	}
	return out
}

// command returns the table's entry for a command name.
func (b *Bot) command(name string) (commandEntry, bool) {
	for _, e := range b.commands {
		if e.Name == name {
			return e, true
		}
	}
	return commandEntry{}, false
}

// dispatch routes an update to its handler. It is the library's default
// handler: routing lives here rather than in MatchTypeCommand, which misses
// "/order@Bot" in groups.
func (b *Bot) dispatch(ctx context.Context, _ *tgbot.Bot, u *models.Update) {
	switch {
	case u.Message != nil:
		b.metrics.Update("message")
		if from := u.Message.From; from != nil && !from.IsBot {
			b.onMessage(ctx, u.Message, b.speak(ctx, from))
		}
	case u.CallbackQuery != nil:
		b.metrics.Update("callback")
		b.onCallback(ctx, u.CallbackQuery, b.speak(ctx, &u.CallbackQuery.From))
	}
}

// speak records the language the sender's Telegram app uses and returns the
// language to answer them in.
func (b *Bot) speak(ctx context.Context, from *models.User) *message.Lang {
	b.langs.seen(ctx, from.ID, from.LanguageCode)
	return b.langs.of(ctx, from.ID)
}

// onMessage handles a text message from a user: a command of the table,
// or a hint.
func (b *Bot) onMessage(ctx context.Context, msg *models.Message, l *message.Lang) {
	cmd, isCommand := parseCommand(msg.Text, b.username)
	r := request{msg: msg, cmd: cmd, user: msg.From.ID, chat: msg.Chat.ID, lang: l}
	e, known := b.command(cmd.Name)
	if known && e.admin && !b.admins[r.user] {
		known = false // answered as any unknown command, so it gives nothing away
	}
	if isCommand {
		label := "other" // a user cannot make up label values
		if known {
			label = e.Name
		}
		b.metrics.Command(label)
	}
	b.log.Debug("update", "user", r.user, "chat", r.chat, "command", cmd.Name)

	if isCommand && cmd.Name == loginCommand {
		// The key must leave the chat whatever happens next, even for a user the
		// bot does not serve or one who is throttled.
		b.deleteLogin(ctx, &r)
	}
	if !isCommand && !r.private() {
		return // group chatter is not for us
	}
	if !b.throttle(ctx, r) {
		return
	}
	switch {
	case !b.isAllowed(r.user):
		b.send(ctx, r, textReply(l.T(message.NotAllowed)))
	case !isCommand || !known && r.private():
		b.send(ctx, r, textReply(l.T(message.Unknown)))
	case known:
		b.run(ctx, r, e)
	}
}

// run carries out a command of the table and sends its reply. An error is
// one log line and the user's "something went wrong".
func (b *Bot) run(ctx context.Context, r request, e commandEntry) {
	if e.inGroup != "" && !r.private() {
		b.send(ctx, r, textReply(r.lang.T(e.inGroup)))
		return
	}
	if e.account {
		acct, refusal := linkedAccount(ctx, b.store, b.log, r)
		if refusal != "" {
			b.send(ctx, r, textReply(refusal))
			return
		}
		r.acct = acct
	}
	rep, err := e.run(ctx, r)
	if err != nil {
		b.log.Error("command failed", "command", e.Name, "user", r.user, "err", err)
		rep = textReply(r.lang.T(message.Internal))
	}
	b.send(ctx, r, rep)
}

// cmdHelp says what the bot does and lists its commands.
func (b *Bot) cmdHelp(_ context.Context, r request) (reply, error) {
	return textReply(r.lang.Help(b.commandList())), nil
}

// isAllowed applies ALLOWED_USERS.
func (b *Bot) isAllowed(userID int64) bool {
	return len(b.allowed) == 0 || b.allowed[userID]
}

// deleteLogin deletes a /login message that may carry a key, whoever sent
// it and however often, before the user's budget and ALLOWED_USERS decide
// whether the bot answers at all, in a group as anywhere (a flood of /login
// must not spend the Telegram budget that code pushes need). r.loginKept
// says when it could not be deleted.
func (b *Bot) deleteLogin(ctx context.Context, r *request) {
	if len(r.cmd.Args) > 0 || !r.private() {
		r.loginKept = !b.deleteMessage(ctx, r.chat, r.msg.ID)
	}
}
