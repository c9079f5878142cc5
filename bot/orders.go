package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Callback data of the order card's buttons: "<action>:<orderId>".
const (
	actionRefresh = "r"
	actionWatch   = "w"
	actionStop    = "s"
)

// maxCallbackData is Telegram's limit on a button's callback data, in bytes.
const maxCallbackData = 64

// cmdOrder shows an order's card: /order <orderId>. An order still waiting for
// its SMS is watched from then on, and the code is pushed when it arrives.
func (b *Bot) cmdOrder(ctx context.Context, r request) {
	orderID, ok := b.orderArg(ctx, r, textOrderUsage)
	if !ok {
		return
	}
	acct, ok := b.account(ctx, r)
	if !ok {
		return
	}
	text, kb := b.orderAnswer(ctx, acct, r.chat, orderID, followWaiting)
	b.replyWith(ctx, r, text, kb)
}

// follow says whether showing an order card starts watching the order.
type follow int

const (
	followNone    follow = iota // only show (refresh, stop)
	followWaiting               // watch an order that still waits for its SMS (/order)
	followAlways                // watch while the order is open, also for a second SMS (the watch button)
)

// orderAnswer fetches an order and renders its card with buttons, starting a
// watch as f says.
func (b *Bot) orderAnswer(ctx context.Context, acct store.Account, chatID int64, orderID string, f follow) (string, *inlineKeyboard) {
	order, err := b.api.GetOrder(ctx, credentials(acct), orderID)
	if err != nil {
		if errors.Is(err, smsapi.ErrBadCredentials) {
			// The user learns it here; the watches wait for the next /login.
			if _, perr := b.store.PauseWatches(ctx, acct.TelegramUserID, nil); perr != nil {
				b.log.Error("can't pause watches", "user", acct.TelegramUserID, "err", perr)
			}
		}
		return b.apiErrorText(err, orderID), nil
	}
	if order.ID == "" {
		order.ID = orderID
	}
	now := b.cfg.Now()
	card := orderCard(order, now)
	user := acct.TelegramUserID

	if order.HasSMS() {
		// The card shows this SMS: the watcher must not push it again.
		if _, err := b.store.MarkDelivered(ctx, user, orderID, order.SMS); err != nil {
			b.log.Error("can't record delivered sms", "user", user, "order", orderID, "err", err)
		}
	}
	open := order.State() != smsapi.StateFinal && (order.ExpiresAt.IsZero() || order.ExpiresAt.After(now))
	watched := false
	if open && (f == followAlways || f == followWaiting && !order.HasSMS()) {
		w := store.Watch{
			TelegramUserID: user, OrderID: orderID, ChatID: chatID, State: store.WatchActive,
			Service: order.Service, PhoneNumber: order.PhoneNumber, Status: order.Status,
			ExpiresAt: order.ExpiresAt, NextCheckAt: now.Add(b.cfg.PollInterval), LastCheckedAt: now,
		}
		created, err := b.store.AddWatch(ctx, w, b.cfg.MaxWatchesPerUser)
		switch {
		case errors.Is(err, store.ErrWatchLimit):
			card += "\n\n" + textWatchLimit(b.cfg.MaxWatchesPerUser)
		case err != nil:
			b.log.Error("can't add watch", "user", user, "order", orderID, "err", err)
			card += "\n\n" + textWatchFailed
		default:
			watched = true
			if created {
				b.log.Info("watching order", "user", user, "order", orderID)
				b.wakeWatcher()
			}
		}
	} else if _, err := b.store.Watch(ctx, user, orderID); err == nil {
		watched = true
	}
	if watched {
		if order.HasSMS() {
			card += "\n\n" + textWatchingMore
		} else {
			card += "\n\n" + textWatching
		}
	}
	return card, cardKeyboard(order, orderID, open, watched)
}

// cardKeyboard offers the card's actions: refresh always, and watching or
// stopping while the order can still receive an SMS.
func cardKeyboard(o smsapi.Order, orderID string, open, watched bool) *inlineKeyboard {
	if len(actionRefresh)+1+len(orderID) > maxCallbackData {
		return nil
	}
	buttons := []inlineButton{callbackButton("🔄 Refresh", actionRefresh+":"+orderID)}
	switch {
	case watched:
		buttons = append(buttons, callbackButton("🔕 Stop watching", actionStop+":"+orderID))
	case open && o.HasSMS():
		buttons = append(buttons, callbackButton("🔔 Watch for new SMS", actionWatch+":"+orderID))
	case open:
		buttons = append(buttons, callbackButton("🔔 Send me the code", actionWatch+":"+orderID))
	}
	return keyboard(buttons...)
}

// cmdOrders lists the user's watches.
func (b *Bot) cmdOrders(ctx context.Context, r request) {
	watches, err := b.store.Watches(ctx, r.user)
	if err != nil {
		b.log.Error("can't list watches", "user", r.user, "err", err)
		b.reply(ctx, r, textInternal)
		return
	}
	b.reply(ctx, r, watchList(watches, b.cfg.Now()))
}

// cmdStop ends a watch: /stop <orderId>.
func (b *Bot) cmdStop(ctx context.Context, r request) {
	if orderID, ok := b.orderArg(ctx, r, textStopUsage); ok {
		b.reply(ctx, r, b.stopWatch(ctx, r.user, orderID))
	}
}

// orderArg reads a command's order id. When it is missing or malformed it
// answers (with usage, or why the id is wrong) and returns false.
func (b *Bot) orderArg(ctx context.Context, r request, usage string) (string, bool) {
	if len(r.cmd.Args) == 0 {
		b.reply(ctx, r, usage)
		return "", false
	}
	orderID := r.cmd.Args[0]
	if smsapi.ValidateOrderID(orderID) != nil {
		b.reply(ctx, r, textBadOrderID)
		return "", false
	}
	return orderID, true
}

// stopWatch ends a watch and returns the answer for the user.
func (b *Bot) stopWatch(ctx context.Context, user int64, orderID string) string {
	existed, err := b.store.DeleteWatch(ctx, user, orderID)
	switch {
	case err != nil:
		b.log.Error("can't stop watch", "user", user, "order", orderID, "err", err)
		return textInternal
	case !existed:
		return fmt.Sprintf("I'm not watching order <code>%s</code>.", esc(orderID))
	}
	b.log.Info("stopped watching order", "user", user, "order", orderID)
	return fmt.Sprintf("🔕 Stopped watching order <code>%s</code>.", esc(orderID))
}

// onCallback handles the order card's buttons.
func (b *Bot) onCallback(ctx context.Context, q *models.CallbackQuery) {
	if ok, _, wait := b.limiter.allow(q.From.ID, b.cfg.Now()); !ok {
		b.answerCallback(ctx, q.ID, fmt.Sprintf("Too many taps: please wait %s.", humanDuration(max(wait, time.Second))))
		return
	}
	if !b.isAllowed(q.From.ID) {
		b.answerCallback(ctx, q.ID, textNotAllowed)
		return
	}
	action, orderID, _ := strings.Cut(q.Data, ":")
	msg := q.Message.Message
	if msg == nil || smsapi.ValidateOrderID(orderID) != nil {
		b.answerCallback(ctx, q.ID, "This button has expired. Send /order again.")
		return
	}
	acct, err := b.store.Account(ctx, q.From.ID)
	if err != nil {
		b.answerCallback(ctx, q.ID, "Link your SMSOnline account first: send /login to me in a private chat.")
		return
	}
	var toast string
	switch action {
	case actionRefresh:
		toast = "Updated"
	case actionWatch:
		toast = "I'll send the code here"
	case actionStop:
		toast = "Stopped watching"
		if _, err := b.store.DeleteWatch(ctx, q.From.ID, orderID); err != nil {
			b.log.Error("can't stop watch", "user", q.From.ID, "order", orderID, "err", err)
			b.answerCallback(ctx, q.ID, "Something went wrong. Please try again.")
			return
		}
	default:
		b.answerCallback(ctx, q.ID, "This button has expired. Send /order again.")
		return
	}
	f := followNone
	if action == actionWatch {
		f = followAlways
	}
	text, kb := b.orderAnswer(ctx, acct, msg.Chat.ID, orderID, f)
	b.editMessage(ctx, msg.Chat.ID, msg.ID, text, kb)
	b.answerCallback(ctx, q.ID, toast)
}

// answerCallback stops the button's spinner, with a short toast.
func (b *Bot) answerCallback(ctx context.Context, id, text string) {
	if _, err := b.tg.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text}); err != nil {
		b.log.Warn("can't answer button", "err", b.errText(err))
	}
}
