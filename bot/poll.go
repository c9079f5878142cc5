package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Long polling: the Telegram client that takes updates, and the two
// middlewares every update passes (admit: the budget and the user's queue;
// track: the handler's context, panics and the saved offset).

// handledUpdates are the update types the bot handles, asked for from
// getUpdates and setWebhook alike.
var handledUpdates = tgbot.AllowedUpdates{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery}

// newPoller makes the Telegram client that long-polls for updates from the
// last one handled. Its handlers run under handlerCtx (see track).
func (b *Bot) newPoller(ctx context.Context, handlerCtx context.Context) (*tgbot.Bot, error) {
	offset, err := b.store.UpdateOffset(ctx)
	if err != nil {
		return nil, fmt.Errorf("load update offset: %w", err)
	}
	tg, err := tgbot.New(b.cfg.Token,
		tgbot.WithServerURL(strings.TrimRight(b.cfg.APIURL, "/")),
		tgbot.WithSkipGetMe(), // Run calls getMe itself, with retries and a clear error
		tgbot.WithHTTPClient(b.cfg.LongPollTimeout, b.httpClient),
		tgbot.WithInitialOffset(offset),
		tgbot.WithAllowedUpdates(handledUpdates),
		// One library worker hands updates, in order, to b.admit, which takes
		// each from its sender's budget and queues it in b.queue: concurrently
		// across users and in order for each user.
		tgbot.WithWorkers(1),
		tgbot.WithNotAsyncHandlers(),
		// Unbuffered: the library confirms a batch to Telegram (next getUpdates)
		// only once every update of it was taken by b.admit, so a stop drops no
		// confirmed update that was not taken; unconfirmed ones come again after
		// a restart, which starts from the last handled update. Taken updates
		// still waiting in a user's line when the grace ends are skipped (track).
		tgbot.WithUpdatesChannelCap(0),
		tgbot.WithDefaultHandler(b.dispatch),
		tgbot.WithMiddlewares(b.admit, b.track(handlerCtx)),
		tgbot.WithErrorsHandler(func(err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			b.log.Warn("telegram", "err", b.errText(err))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("create telegram client: %w", err)
	}
	return tg, nil
}

// admit is the outermost update middleware, called by the library's single
// worker in update order. It takes the update from its sender's budget now,
// on arrival, so a flood's backlog cannot drain at the refill rate, and hands
// it on: over budget, to a quick answer beside every line (it never reaches
// SMSOnline, and a spinner must not wait behind the backlog); else to its
// sender's line. The worker waits only when every handler slot runs another
// user's update: then it stops taking updates, so the library does not
// confirm updates to Telegram much faster than they are handled. A busy
// user's updates are taken and confirmed while they wait in their line, at
// most maxWaiting of them.
func (b *Bot) admit(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, tg *tgbot.Bot, u *models.Update) {
		b.take(ctx, tg, u, next)
	}
}

// take is admit for one update; the webhook calls it directly. It reports
// whether the update was taken, false only when ctx ended first.
func (b *Bot) take(ctx context.Context, tg *tgbot.Bot, u *models.Update, next tgbot.HandlerFunc) bool {
	v := b.spend(u)
	handle := func() { next(withBudget(ctx, v), tg, u) }
	if v.over {
		return b.queue.runAside(ctx, handle)
	}
	return b.queue.add(ctx, updateUser(u), handle)
}

// track wraps every handler: it gives the handler a context that survives the
// polling context by ShutdownGrace, bounds its time, turns a panic into a log
// line, and records the update as handled so a restart does not replay it.
// The record is the highest update handled, so an update still waiting in
// its sender's line when the stop's grace ends is skipped and, once a later
// update was recorded, not handled after the restart either.
func (b *Bot) track(handlerCtx context.Context) tgbot.Middleware {
	return func(next tgbot.HandlerFunc) tgbot.HandlerFunc {
		return func(in context.Context, tg *tgbot.Bot, u *models.Update) {
			if handlerCtx.Err() != nil {
				b.log.Info("update not handled: the bot is stopping", "update", u.ID)
				b.deleteSkippedLogin(u)
				return
			}
			ctx, cancel := context.WithTimeout(withBudget(handlerCtx, budgetOf(in)), b.cfg.HandlerTimeout)
			defer cancel()
			defer func() {
				if r := recover(); r != nil {
					b.log.Error("handler panicked", "update", u.ID, "panic", fmt.Sprint(r))
				}
				if err := b.store.SaveUpdateOffset(ctx, u.ID); err != nil {
					b.log.Warn("can't save update offset", "update", u.ID, "err", err)
				}
			}()
			next(ctx, tg, u)
		}
	}
}

// deleteSkippedLogin deletes a /login message that may carry a key when its
// update is skipped at a stop: the key must leave the chat even then.
func (b *Bot) deleteSkippedLogin(u *models.Update) {
	msg := u.Message
	if msg == nil || msg.From == nil {
		return
	}
	cmd, ok := parseCommand(msg.Text, b.username)
	if !ok || cmd.Name != loginCommand {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := request{msg: msg, cmd: cmd, user: msg.From.ID, chat: msg.Chat.ID}
	b.deleteLogin(ctx, &r)
}
