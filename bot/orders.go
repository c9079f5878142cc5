package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/watch"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// orderStore is what the order desk needs of the store.
type orderStore interface {
	accountReader
	PauseWatches(ctx context.Context, telegramUserID int64, notice *store.Message, now time.Time) (paused int, err error)
	MarkDelivered(ctx context.Context, telegramUserID int64, orderID, sms string, now time.Time) (isNew bool, err error)
	PushOnce(ctx context.Context, m store.Message, sms string, now time.Time) (isNew bool, err error)
	AddWatch(ctx context.Context, w store.Watch, maxPerUser int, now time.Time) (created bool, err error)
	Watch(ctx context.Context, telegramUserID int64, orderID string) (store.Watch, error)
	Watches(ctx context.Context, telegramUserID int64) ([]store.Watch, error)
	DeleteWatch(ctx context.Context, telegramUserID int64, orderID string) (existed bool, err error)
	UserRule(ctx context.Context, telegramUserID int64) (store.Rule, error)
	KeepNumber(ctx context.Context, telegramUserID int64, orderID string, now time.Time) (bool, error)
	StopChainOf(ctx context.Context, telegramUserID int64, orderID string, now time.Time) (bool, error)
	FavouriteOf(ctx context.Context, telegramUserID int64, smsUserID string, o store.Offer) (store.Favourite, error)
}

// orderReader reads an order from SMSOnline.
type orderReader interface {
	GetOrder(ctx context.Context, cred smsapi.Credentials, orderID string) (smsapi.Order, error)
}

// orderDesk shows orders and watches them: /order, /orders, /stop and the
// card's Refresh, Watch, Stop, No and Keep buttons (and the rule's Stop).
type orderDesk struct {
	store       orderStore
	api         orderReader
	log         *slog.Logger
	now         func() time.Time
	poll        time.Duration // POLL_INTERVAL: a new watch's first check
	maxWatches  int           // MAX_WATCHES_PER_USER
	wakeWatcher func()        // a new watch is checked at once
	wakeSender  func()        // a push was enqueued
}

// privateChat is where everything meant for one user alone goes (the codes,
// the notices about their watches): the private chat with them, whose id is
// their user id. Every account owner has one: /login works only there.
func privateChat(user int64) int64 { return user }

// cmdOrder shows an order's card: /order <orderId>. An order still waiting for
// its SMS is watched from then on, and the code is pushed when it arrives.
func (d *orderDesk) cmdOrder(ctx context.Context, r request) (reply, error) {
	orderID, refusal := orderArg(r, r.lang.T(message.OrderUsage))
	if refusal != "" {
		return textReply(refusal), nil
	}
	acct, refusal := linkedAccount(ctx, d.store, d.log, r)
	if refusal != "" {
		return textReply(refusal), nil
	}
	text, kb := d.orderAnswer(ctx, r.lang, acct, r.private(), orderID, followWaiting)
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
func (d *orderDesk) orderAnswer(ctx context.Context, l *message.Lang, acct store.Account, private bool, orderID string, f follow) (string, *message.Keyboard) {
	order, err := d.fetchOrder(ctx, acct, orderID)
	if err != nil {
		return apiErrorText(d.log, l, err, orderID), nil
	}
	return d.renderOrder(ctx, l, acct, private, order, f)
}

// fetchOrder reads an order of the account. A refused key pauses the
// account's watches: the user learns it from the answer, and the watches
// wait for the next /login.
func (d *orderDesk) fetchOrder(ctx context.Context, acct store.Account, orderID string) (smsapi.Order, error) {
	order, err := d.api.GetOrder(ctx, account.Credentials(acct), orderID)
	if errors.Is(err, smsapi.ErrBadCredentials) {
		if _, perr := d.store.PauseWatches(ctx, acct.TelegramUserID, nil, d.now()); perr != nil {
			d.log.Error("can't pause watches", "user", acct.TelegramUserID, "err", perr)
		}
	}
	if err == nil && order.ID == "" {
		order.ID = orderID
	}
	return order, err
}

// renderOrder renders a fetched order's card (see orderAnswer).
func (d *orderDesk) renderOrder(ctx context.Context, l *message.Lang, acct store.Account, private bool, order smsapi.Order, f follow) (string, *message.Keyboard) {
	orderID := order.ID
	now := d.now()
	user := acct.TelegramUserID
	w := account.NewWatch(user, order, now, d.poll)
	var card string // the card of an order with its SMS; one without is rendered once its watch is known
	switch {
	case !order.HasSMS():
	case private:
		card = l.Card(view.Order(order), now)
		// The card shows this SMS: the watcher must not push it again.
		if _, err := d.store.MarkDelivered(ctx, user, orderID, order.SMS, now); err != nil {
			d.log.Error("can't record delivered sms", "user", user, "order", orderID, "err", err)
		}
	default:
		shown := order
		shown.SMS = ""
		card = l.Card(view.Order(shown), now) + "\n\n" + d.pushPrivately(ctx, l, w, order, now)
	}
	open := isOpen(order, now)
	watched := false
	var notes string // lines under the card
	if open && (f == followAlways || f == followWaiting && !order.HasSMS()) {
		created, err := d.store.AddWatch(ctx, w, d.maxWatches, now)
		switch {
		case errors.Is(err, store.ErrWatchLimit):
			notes += "\n\n" + l.WatchLimit(d.maxWatches)
		case err != nil:
			d.log.Error("can't add watch", "user", user, "order", orderID, "err", err)
			notes += "\n\n" + l.T(message.WatchFailed)
		default:
			watched = true
			if created {
				d.log.Info("watching order", "user", user, "order", orderID)
				d.wakeWatcher()
			}
		}
	} else if _, err := d.store.Watch(ctx, user, orderID); err == nil {
		watched = true
	}
	if watched {
		notes += "\n\n" + l.WatchingFor(order.HasSMS(), private)
	}
	shown := d.withFavourite(ctx, acct, order, view.Order(order))
	if !order.HasSMS() {
		if watched {
			shown = d.withRule(ctx, user, shown)
		}
		card = l.Card(shown, now)
	}
	return card + notes, l.CardKeyboard(shown, user, orderID, open, watched)
}

// isOpen reports whether an order can still receive an SMS.
func isOpen(o smsapi.Order, now time.Time) bool {
	return o.State() != smsapi.StateFinal && (o.ExpiresAt.IsZero() || o.ExpiresAt.After(now))
}

// pushPrivately sends the order's SMS to the owner's private chat, unless
// they have had it already, and returns the card's line saying so.
func (d *orderDesk) pushPrivately(ctx context.Context, l *message.Lang, w store.Watch, o smsapi.Order, now time.Time) string {
	isNew, err := d.store.PushOnce(ctx, *watch.PushMessage(l, w, o, now), o.SMS, now)
	if err != nil {
		d.log.Error("can't enqueue sms for the private chat", "user", w.TelegramUserID, "order", w.OrderID, "err", err)
		return l.PushPrivatelyFailed(w.OrderID)
	}
	if isNew {
		d.wakeSender()
	}
	return l.T(message.SentPrivately)
}

// cmdOrders lists the user's watches.
func (d *orderDesk) cmdOrders(ctx context.Context, r request) (reply, error) {
	watches, err := d.store.Watches(ctx, r.user)
	if err != nil {
		return reply{}, fmt.Errorf("list watches: %w", err)
	}
	return textReply(r.lang.WatchList(view.Watches(watches), d.now())), nil
}

// cmdStop ends a watch: /stop <orderId>.
func (d *orderDesk) cmdStop(ctx context.Context, r request) (reply, error) {
	orderID, refusal := orderArg(r, r.lang.T(message.StopUsage))
	if refusal != "" {
		return textReply(refusal), nil
	}
	existed, err := d.store.DeleteWatch(ctx, r.user, orderID)
	switch {
	case err != nil:
		return reply{}, fmt.Errorf("stop watching %s: %w", orderID, err)
	case !existed:
		return textReply(r.lang.NotWatching(orderID)), nil
	}
	d.log.Info("stopped watching order", "user", r.user, "order", orderID)
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
