package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/smsbot/smsbot/bot/watch"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Callback data of the order card's buttons: "<action>:<ownerId>:<orderId>",
// where ownerId is the Telegram user the card was made for: only they may
// press its buttons (in a group everyone sees the card). Cards made before
// the owner was named carry "<action>:<orderId>".
const (
	actionRefresh = "r"
	actionWatch   = "w"
	actionStop    = "s"
)

// maxCallbackData is Telegram's limit on a button's callback data, in bytes.
const maxCallbackData = 64

// cardButton is what one of the order card's buttons asks for.
type cardButton struct {
	action  string
	owner   int64 // 0: an old card that does not name its owner
	orderID string
}

// data renders b as callback data.
func (b cardButton) data() string {
	return b.action + ":" + strconv.FormatInt(b.owner, 10) + ":" + b.orderID
}

// parseCardButton reads a button's callback data, in either format; ok is
// false for data the bot never made.
func parseCardButton(data string) (b cardButton, ok bool) {
	parts := strings.Split(data, ":")
	switch len(parts) {
	case 2:
		b = cardButton{action: parts[0], orderID: parts[1]}
	case 3:
		owner, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || owner <= 0 {
			return cardButton{}, false
		}
		b = cardButton{action: parts[0], owner: owner, orderID: parts[2]}
	default:
		return cardButton{}, false
	}
	switch b.action {
	case actionRefresh, actionWatch, actionStop:
	default:
		return cardButton{}, false
	}
	return b, smsapi.ValidateOrderID(b.orderID) == nil
}

// privateChat is where everything meant for one user alone goes (the codes,
// the notices about their watches): the private chat with them, whose id is
// their user id. Every account owner has one: /login works only there.
func privateChat(user int64) int64 { return user }

// cmdOrder shows an order's card: /order <orderId>. An order still waiting for
// its SMS is watched from then on, and the code is pushed when it arrives.
func (b *Bot) cmdOrder(ctx context.Context, r request) {
	orderID, ok := b.orderArg(ctx, r, message.OrderUsage)
	if !ok {
		return
	}
	acct, ok := b.account(ctx, r)
	if !ok {
		return
	}
	text, kb := b.orderAnswer(ctx, acct, r.private(), orderID, followWaiting)
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
// watch as f says. private says whether the card goes to the owner's private
// chat. A card anywhere else never shows the SMS: the SMS goes to the private
// chat instead, as do the pushes of a watch started here.
func (b *Bot) orderAnswer(ctx context.Context, acct store.Account, private bool, orderID string, f follow) (string, *message.Keyboard) {
	order, err := b.api.GetOrder(ctx, watch.Credentials(acct), orderID)
	if err != nil {
		if errors.Is(err, smsapi.ErrBadCredentials) {
			// The user learns it here; the watches wait for the next /login.
			if _, perr := b.store.PauseWatches(ctx, acct.TelegramUserID, nil, b.cfg.Now()); perr != nil {
				b.log.Error("can't pause watches", "user", acct.TelegramUserID, "err", perr)
			}
		}
		return b.apiErrorText(err, orderID), nil
	}
	if order.ID == "" {
		order.ID = orderID
	}
	now := b.cfg.Now()
	user := acct.TelegramUserID
	// The watch's snapshot, capped as the card caps what it shows.
	w := store.Watch{
		TelegramUserID: user, OrderID: orderID, ChatID: privateChat(user), State: store.WatchActive,
		Service: message.Clip(order.Service), PhoneNumber: message.Clip(order.PhoneNumber), Status: message.Clip(order.Status),
		ExpiresAt: order.ExpiresAt, NextCheckAt: now.Add(b.cfg.PollInterval), LastCheckedAt: now,
	}
	var card string
	switch {
	case !order.HasSMS():
		card = message.Card(order, now)
	case private:
		card = message.Card(order, now)
		// The card shows this SMS: the watcher must not push it again.
		if _, err := b.store.MarkDelivered(ctx, user, orderID, order.SMS, now); err != nil {
			b.log.Error("can't record delivered sms", "user", user, "order", orderID, "err", err)
		}
	default:
		shown := order
		shown.SMS = ""
		card = message.Card(shown, now) + "\n\n" + b.pushPrivately(ctx, w, order, now)
	}
	open := order.State() != smsapi.StateFinal && (order.ExpiresAt.IsZero() || order.ExpiresAt.After(now))
	watched := false
	if open && (f == followAlways || f == followWaiting && !order.HasSMS()) {
		created, err := b.store.AddWatch(ctx, w, b.cfg.MaxWatchesPerUser, now)
		switch {
		case errors.Is(err, store.ErrWatchLimit):
			card += "\n\n" + message.WatchLimit(b.cfg.MaxWatchesPerUser)
		case err != nil:
			b.log.Error("can't add watch", "user", user, "order", orderID, "err", err)
			card += "\n\n" + message.WatchFailed
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
		card += "\n\n" + message.WatchingFor(order.HasSMS(), private)
	}
	return card, cardKeyboard(order, user, orderID, open, watched)
}

// pushPrivately sends the order's SMS to the owner's private chat, unless
// they have had it already, and returns the card's line saying so.
func (b *Bot) pushPrivately(ctx context.Context, w store.Watch, o smsapi.Order, now time.Time) string {
	isNew, err := b.store.PushOnce(ctx, *message.Push(w, o, now), o.SMS, now)
	if err != nil {
		b.log.Error("can't enqueue sms for the private chat", "user", w.TelegramUserID, "order", w.OrderID, "err", err)
		return message.PushPrivatelyFailed(w.OrderID)
	}
	if isNew {
		b.sender.Wake()
	}
	return message.SentPrivately
}

// cardKeyboard offers the card's actions to its owner: refresh always, and
// watching or stopping while the order can still receive an SMS.
func cardKeyboard(o smsapi.Order, owner int64, orderID string, open, watched bool) *message.Keyboard {
	button := func(label, action string) message.Button {
		return message.CallbackButton(label, cardButton{action: action, owner: owner, orderID: orderID}.data())
	}
	if len(cardButton{action: actionRefresh, owner: owner, orderID: orderID}.data()) > maxCallbackData {
		return nil
	}
	buttons := []message.Button{button(message.ButtonRefresh, actionRefresh)}
	switch {
	case watched:
		buttons = append(buttons, button(message.ButtonStop, actionStop))
	case open && o.HasSMS():
		buttons = append(buttons, button(message.ButtonWatchNew, actionWatch))
	case open:
		buttons = append(buttons, button(message.ButtonSendCode, actionWatch))
	}
	return message.Row(buttons...)
}

// cmdOrders lists the user's watches.
func (b *Bot) cmdOrders(ctx context.Context, r request) {
	watches, err := b.store.Watches(ctx, r.user)
	if err != nil {
		b.log.Error("can't list watches", "user", r.user, "err", err)
		b.reply(ctx, r, message.Internal)
		return
	}
	b.reply(ctx, r, message.WatchList(watches, b.cfg.Now()))
}

// cmdStop ends a watch: /stop <orderId>.
func (b *Bot) cmdStop(ctx context.Context, r request) {
	if orderID, ok := b.orderArg(ctx, r, message.StopUsage); ok {
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
		b.reply(ctx, r, message.BadOrderID)
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
		return message.Internal
	case !existed:
		return message.NotWatching(orderID)
	}
	b.log.Info("stopped watching order", "user", user, "order", orderID)
	return message.StoppedWatching(orderID)
}

// onCallback handles the order card's buttons.
func (b *Bot) onCallback(ctx context.Context, q *models.CallbackQuery) {
	if ok, _, wait := b.limiter.allow(q.From.ID, b.cfg.Now()); !ok {
		b.answerCallback(ctx, q.ID, message.ToastTooManyTaps(wait))
		return
	}
	if !b.isAllowed(q.From.ID) {
		b.answerCallback(ctx, q.ID, message.NotAllowed)
		return
	}
	button, ok := parseCardButton(q.Data)
	msg := q.Message.Message
	if msg == nil || !ok {
		b.answerCallback(ctx, q.ID, message.ButtonExpired)
		return
	}
	// A group's id is negative, never a user's: this is the presser's own
	// private chat or not.
	private := msg.Chat.ID == privateChat(q.From.ID)
	if button.owner == 0 {
		// An old card names no owner: it is safe only in the private chat
		// of the user pressing it.
		if !private {
			b.answerCallback(ctx, q.ID, message.ButtonExpired)
			return
		}
		button.owner = q.From.ID
	}
	if button.owner != q.From.ID {
		b.log.Info("button pressed by someone else", "user", q.From.ID, "owner", button.owner)
		b.answerCallback(ctx, q.ID, message.NotYourCard)
		return
	}
	acct, err := b.store.Account(ctx, q.From.ID)
	if err != nil {
		b.answerCallback(ctx, q.ID, message.ToastLinkFirst)
		return
	}
	orderID := button.orderID
	var toast string
	f := followNone
	switch button.action {
	case actionRefresh:
		toast = message.ToastUpdated
	case actionWatch:
		toast, f = message.ToastWatching, followAlways
		if !private {
			toast = message.ToastWatchingPrivate
		}
	case actionStop:
		toast = message.ToastStopped
		if _, err := b.store.DeleteWatch(ctx, q.From.ID, orderID); err != nil {
			b.log.Error("can't stop watch", "user", q.From.ID, "order", orderID, "err", err)
			b.answerCallback(ctx, q.ID, message.ToastSomethingWrong)
			return
		}
	}
	text, kb := b.orderAnswer(ctx, acct, private, orderID, f)
	b.editMessage(ctx, msg.Chat.ID, msg.ID, text, kb)
	b.answerCallback(ctx, q.ID, toast)
}

// answerCallback stops the button's spinner, with a short toast.
func (b *Bot) answerCallback(ctx context.Context, id, text string) {
	if err := b.telegram.AnswerCallbackQuery(ctx, id, text); err != nil {
		b.log.Warn("can't answer button", "err", b.errText(err))
	}
}
