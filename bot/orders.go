package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/watch"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// privateChat is where everything meant for one user alone goes (the codes,
// the notices about their watches): the private chat with them, whose id is
// their user id. Every account owner has one: /login works only there.
func privateChat(user int64) int64 { return user }

// cmdOrder shows an order's card: /order <orderId>. An order still waiting for
// its SMS is watched from then on, and the code is pushed when it arrives.
func (b *Bot) cmdOrder(ctx context.Context, r request) (reply, error) {
	orderID, refusal := orderArg(r, r.lang.T(message.OrderUsage))
	if refusal != "" {
		return textReply(refusal), nil
	}
	acct, refusal := b.account(ctx, r)
	if refusal != "" {
		return textReply(refusal), nil
	}
	text, kb := b.orderAnswer(ctx, r.lang, acct, r.private(), orderID, followWaiting)
	return reply{text, kb}, nil
}

// follow says whether showing an order card starts watching the order.
type follow int

const (
	followNone    follow = iota // only show (refresh, stop)
	followWaiting               // watch an order that still waits for its SMS (/order)
	followAlways                // watch while the order is open, also for a second SMS (the watch button)
)

// orderAnswer fetches an order and renders its card with buttons, starting a
// watch as f says. private says whether the card goes to the owner's private
// chat. A card anywhere else never shows the SMS: the SMS goes to the private
// chat instead, as do the pushes of a watch started here.
func (b *Bot) orderAnswer(ctx context.Context, l *message.Lang, acct store.Account, private bool, orderID string, f follow) (string, *message.Keyboard) {
	order, err := b.fetchOrder(ctx, acct, orderID)
	if err != nil {
		return b.apiErrorText(l, err, orderID), nil
	}
	return b.renderOrder(ctx, l, acct, private, order, f)
}

// fetchOrder reads an order of the account. A refused key pauses the
// account's watches: the user learns it from the answer, and the watches
// wait for the next /login.
func (b *Bot) fetchOrder(ctx context.Context, acct store.Account, orderID string) (smsapi.Order, error) {
	order, err := b.api.GetOrder(ctx, account.Credentials(acct), orderID)
	if errors.Is(err, smsapi.ErrBadCredentials) {
		if _, perr := b.store.PauseWatches(ctx, acct.TelegramUserID, nil, b.cfg.Now()); perr != nil {
			b.log.Error("can't pause watches", "user", acct.TelegramUserID, "err", perr)
		}
	}
	if err == nil && order.ID == "" {
		order.ID = orderID
	}
	return order, err
}

// renderOrder renders a fetched order's card (see orderAnswer).
func (b *Bot) renderOrder(ctx context.Context, l *message.Lang, acct store.Account, private bool, order smsapi.Order, f follow) (string, *message.Keyboard) {
	orderID := order.ID
	now := b.cfg.Now()
	user := acct.TelegramUserID
	w := account.NewWatch(user, order, now, b.cfg.PollInterval)
	var card string
	switch {
	case !order.HasSMS():
		card = l.Card(view.Order(order), now)
	case private:
		card = l.Card(view.Order(order), now)
		// The card shows this SMS: the watcher must not push it again.
		if _, err := b.store.MarkDelivered(ctx, user, orderID, order.SMS, now); err != nil {
			b.log.Error("can't record delivered sms", "user", user, "order", orderID, "err", err)
		}
	default:
		shown := order
		shown.SMS = ""
		card = l.Card(view.Order(shown), now) + "\n\n" + b.pushPrivately(ctx, l, w, order, now)
	}
	open := isOpen(order, now)
	watched := false
	if open && (f == followAlways || f == followWaiting && !order.HasSMS()) {
		created, err := b.store.AddWatch(ctx, w, b.cfg.MaxWatchesPerUser, now)
		switch {
		case errors.Is(err, store.ErrWatchLimit):
			card += "\n\n" + l.WatchLimit(b.cfg.MaxWatchesPerUser)
		case err != nil:
			b.log.Error("can't add watch", "user", user, "order", orderID, "err", err)
			card += "\n\n" + l.T(message.WatchFailed)
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
		card += "\n\n" + l.WatchingFor(order.HasSMS(), private)
	}
	return card, l.CardKeyboard(view.Order(order), user, orderID, open, watched)
}

// isOpen reports whether an order can still receive an SMS.
func isOpen(o smsapi.Order, now time.Time) bool {
	return o.State() != smsapi.StateFinal && (o.ExpiresAt.IsZero() || o.ExpiresAt.After(now))
}

// pushPrivately sends the order's SMS to the owner's private chat, unless
// they have had it already, and returns the card's line saying so.
func (b *Bot) pushPrivately(ctx context.Context, l *message.Lang, w store.Watch, o smsapi.Order, now time.Time) string {
	isNew, err := b.store.PushOnce(ctx, *watch.PushMessage(l, w, o, now), o.SMS, now)
	if err != nil {
		b.log.Error("can't enqueue sms for the private chat", "user", w.TelegramUserID, "order", w.OrderID, "err", err)
		return l.PushPrivatelyFailed(w.OrderID)
	}
	if isNew {
		b.sender.Wake()
	}
	return l.T(message.SentPrivately)
}

// cmdOrders lists the user's watches.
func (b *Bot) cmdOrders(ctx context.Context, r request) (reply, error) {
	watches, err := b.store.Watches(ctx, r.user)
	if err != nil {
		return reply{}, fmt.Errorf("list watches: %w", err)
	}
	return textReply(r.lang.WatchList(view.Watches(watches), b.cfg.Now())), nil
}

// cmdStop ends a watch: /stop <orderId>.
func (b *Bot) cmdStop(ctx context.Context, r request) (reply, error) {
	orderID, refusal := orderArg(r, r.lang.T(message.StopUsage))
	if refusal != "" {
		return textReply(refusal), nil
	}
	existed, err := b.store.DeleteWatch(ctx, r.user, orderID)
	switch {
	case err != nil:
		return reply{}, fmt.Errorf("stop watching %s: %w", orderID, err)
	case !existed:
		return textReply(r.lang.NotWatching(orderID)), nil
	}
	b.log.Info("stopped watching order", "user", r.user, "order", orderID)
	return textReply(r.lang.StoppedWatching(orderID)), nil
}

// orderArg reads a command's order id. When it is missing or malformed,
// refusal is the answer: usage, or why the id is wrong.
func orderArg(r request, usage string) (orderID, refusal string) {
	if len(r.cmd.Args) == 0 {
		return "", usage
	}
	if smsapi.ValidateOrderID(r.cmd.Args[0]) != nil {
		return "", r.lang.T(message.BadOrderID)
	}
	return r.cmd.Args[0], ""
}

// answerCallback stops the button's spinner, with a short toast.
func (b *Bot) answerCallback(ctx context.Context, id, text string) {
	if err := b.telegram.AnswerCallbackQuery(ctx, id, text); err != nil {
		b.log.Warn("can't answer button", "err", b.errText(err))
	}
}
