package bot

import (
	"context"
	"errors"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/deliver"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/money"
	"github.com/smsbot/smsbot/bot/watch"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// answer is what a button press shows: the message's new text and keyboard
// ("" leaves the message as it is) and the toast.
type answer struct {
	text  string
	kb    *message.Keyboard
	toast string
}

// press is one button press by the card's owner.
type press struct {
	acct    store.Account
	c       message.Callback
	private bool // the message is in the owner's private chat
}

func (p press) owner() int64 { return p.acct.TelegramUserID }

// onCallback handles the buttons of cards, pushes and confirmations. Only
// the user a card was made for may press its buttons. A press on a card
// edits the card; a press on a push answers with a new message, because a
// push may hold the codes of other orders too.
func (b *Bot) onCallback(ctx context.Context, q *models.CallbackQuery) {
	if ok, _, wait := b.limiter.allow(q.From.ID, b.cfg.Now()); !ok {
		b.answerCallback(ctx, q.ID, message.ToastTooManyTaps(wait))
		return
	}
	if !b.isAllowed(q.From.ID) {
		b.answerCallback(ctx, q.ID, message.NotAllowed)
		return
	}
	c, ok := message.ParseCallback(q.Data)
	msg := q.Message.Message
	if msg == nil || !ok {
		b.answerCallback(ctx, q.ID, message.ButtonExpired)
		return
	}
	// A group's id is negative, never a user's: this is the presser's own
	// private chat or not.
	private := msg.Chat.ID == privateChat(q.From.ID)
	if c.Owner == 0 {
		// An old card names no owner: it is safe only in the private chat
		// of the user pressing it.
		if !private {
			b.answerCallback(ctx, q.ID, message.ButtonExpired)
			return
		}
		c.Owner = q.From.ID
	}
	if c.Owner != q.From.ID {
		b.log.Info("button pressed by someone else", "user", q.From.ID, "owner", c.Owner)
		b.answerCallback(ctx, q.ID, message.NotYourCard)
		return
	}
	acct, err := b.store.Account(ctx, q.From.ID)
	if err != nil {
		b.answerCallback(ctx, q.ID, message.ToastLinkFirst)
		return
	}
	a := b.answerPress(ctx, press{acct: acct, c: c, private: private})
	switch {
	case a.text == "":
	case c.FromPush:
		m := deliver.TextMessage{ChatID: msg.Chat.ID, Text: a.text, Markup: message.MarkupJSON(a.kb)}
		if err := b.sendMessage(ctx, m); err != nil {
			b.log.Warn("can't answer", "chat", msg.Chat.ID, "err", b.errText(err))
		}
	default:
		b.editMessage(ctx, msg.Chat.ID, msg.ID, a.text, a.kb)
	}
	b.answerCallback(ctx, q.ID, a.toast)
}

// answerPress carries out a press.
func (b *Bot) answerPress(ctx context.Context, p press) answer {
	orderID := p.c.OrderID
	card := func(f follow, toast string) answer {
		text, kb := b.orderAnswer(ctx, p.acct, p.private, orderID, f)
		return answer{text, kb, toast}
	}
	switch p.c.Action {
	case message.ActRefresh:
		return card(followNone, message.ToastUpdated)
	case message.ActWatch:
		if !p.private {
			return card(followAlways, message.ToastWatchingPrivate)
		}
		return card(followAlways, message.ToastWatching)
	case message.ActStop:
		if _, err := b.store.DeleteWatch(ctx, p.owner(), orderID); err != nil {
			b.log.Error("can't stop watch", "user", p.owner(), "order", orderID, "err", err)
			return answer{toast: message.ToastSomethingWrong}
		}
		return card(followNone, message.ToastStopped)
	case message.ActCancel:
		return card(followNone, message.ToastCancelled)
	case message.ActRefundAsk, message.ActRefund:
		return b.refund(ctx, p)
	case message.ActAnotherSMS:
		return b.anotherSMS(ctx, p)
	case message.ActBuyAsk:
		return b.buyAsk(ctx, p.acct, p.private, orderID, smsapi.Money{})
	case message.ActBuy:
		return b.buy(ctx, p)
	}
	return answer{toast: message.ButtonExpired}
}

// failed is the answer to a press whose order could not be read.
func (b *Bot) failed(err error, orderID string) answer {
	return answer{text: b.apiErrorText(err, orderID), toast: message.ToastNotDone}
}

// withCard is the order's card with a line below it.
func (b *Bot) withCard(ctx context.Context, p press, o smsapi.Order, line, toast string) answer {
	text, kb := b.renderOrder(ctx, p.acct, p.private, o, followNone)
	return answer{text + "\n\n" + line, kb, toast}
}

// refundRefusal says why an order cannot be refunded, or "" when it can:
// only an order still waiting for its first SMS is refunded.
func refundRefusal(o smsapi.Order, open bool) string {
	switch {
	case o.HasSMS() || o.State() == smsapi.StateReceived:
		return message.RefundAfterSMS(o.ID)
	case o.State() == smsapi.StateFinal:
		return message.RefundClosed(o.ID, o.Status)
	case !open:
		return message.RefundClosed(o.ID, "expired")
	}
	return ""
}

// refund asks before a refund (ActRefundAsk) or carries it out once
// (ActRefund). Either way the order is read first: what it shows now
// decides, and a refusal is answered here, without asking SMSOnline.
func (b *Bot) refund(ctx context.Context, p press) answer {
	o, err := b.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return b.failed(err, p.c.OrderID)
	}
	if why := refundRefusal(o, isOpen(o, b.cfg.Now())); why != "" {
		return b.withCard(ctx, p, o, why, message.ToastNotDone)
	}
	if p.c.Action == message.ActRefundAsk {
		return answer{message.RefundAsk(o.ID, o.Price), message.RefundKeyboard(p.owner(), o.ID), ""}
	}
	out, err := b.money.Refund(ctx, p.acct, o)
	if err != nil {
		b.log.Error("can't refund", "user", p.owner(), "order", o.ID, "err", err)
		return answer{toast: message.ToastSomethingWrong}
	}
	buyAgain := message.BuyAgainKeyboard(p.owner(), o.ID)
	switch {
	case out.Pending() && !out.Begun:
		return answer{toast: message.ToastInProgress}
	case out.Pending():
		return answer{message.RefundPending(o.ID), nil, message.ToastInProgress}
	case out.Action.State == store.ActionFailed:
		return b.withCard(ctx, p, o, message.RefundFailed(o.ID, b.apiErrorText(out.Err, o.ID)), message.ToastNotDone)
	case !out.Begun:
		return answer{message.RefundDone(o.ID, smsapi.Cents(out.Action.Price), smsapi.Money{}), buyAgain, message.ToastDone}
	}
	b.log.Info("refunded order", "user", p.owner(), "order", o.ID)
	var balance smsapi.Money
	if bal, err := b.api.Balance(ctx, watch.Credentials(p.acct)); err == nil {
		balance = bal.Amount
	}
	return answer{message.RefundDone(o.ID, o.Price, balance), buyAgain, message.ToastDone}
}

// anotherSMS asks SMSOnline for another SMS on a number that received one,
// and watches the order again at the fast pace until it expires.
func (b *Bot) anotherSMS(ctx context.Context, p press) answer {
	o, err := b.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return b.failed(err, p.c.OrderID)
	}
	now := b.cfg.Now()
	switch {
	case !isOpen(o, now):
		return answer{message.AnotherSMSClosed(o.ID), message.BuyAgainKeyboard(p.owner(), o.ID), message.ToastNotDone}
	case !o.HasSMS():
		return b.withCard(ctx, p, o, message.AnotherSMSNotYet(o.ID), message.ToastNotDone)
	}
	if err := b.api.AnotherSMS(ctx, watch.Credentials(p.acct), o.ID); err != nil {
		return b.withCard(ctx, p, o, message.AnotherSMSFailed(o.ID, b.apiErrorText(err, o.ID)), message.ToastNotDone)
	}
	b.log.Info("asked for another sms", "user", p.owner(), "order", o.ID)
	// The SMS shown so far is delivered: only a new text is pushed.
	if _, err := b.store.MarkDelivered(ctx, p.owner(), o.ID, o.SMS, now); err != nil {
		b.log.Error("can't record delivered sms", "user", p.owner(), "order", o.ID, "err", err)
	}
	user := p.owner()
	w := store.Watch{
		TelegramUserID: user, OrderID: o.ID, ChatID: privateChat(user), State: store.WatchActive,
		Service: message.Clip(o.Service), PhoneNumber: message.Clip(o.PhoneNumber), Status: message.Clip(o.Status),
		ExpiresAt: o.ExpiresAt, NextCheckAt: now.Add(b.cfg.PollInterval), LastCheckedAt: now, FastUntil: o.ExpiresAt,
	}
	line := message.AnotherSMSAsked(o.ID, p.private)
	watched := true
	switch _, err := b.store.AddWatch(ctx, w, b.cfg.MaxWatchesPerUser, now); {
	case errors.Is(err, store.ErrWatchLimit):
		line, watched = line+"\n"+message.WatchLimit(b.cfg.MaxWatchesPerUser), false
	case err != nil:
		b.log.Error("can't add watch", "user", user, "order", o.ID, "err", err)
		line, watched = line+"\n"+message.WatchFailed, false
	default:
		b.wakeWatcher()
	}
	shown := o
	shown.SMS = "" // the old code is done with; the new one is pushed
	return answer{message.Card(shown, now) + "\n\n" + line, message.CardKeyboard(o, user, o.ID, true, watched), message.ToastAsked}
}

// buyAsk asks before buying the same number as sourceID again, for at most
// max (zero: the last price plus the default margin). A balance below the
// price is said at once.
func (b *Bot) buyAsk(ctx context.Context, acct store.Account, private bool, sourceID string, max smsapi.Money) answer {
	o, err := b.fetchOrder(ctx, acct, sourceID)
	if err != nil {
		return b.failed(err, sourceID)
	}
	if !canBuyAgain(o) {
		return answer{message.BuyUnknownOffer, nil, message.ToastNotDone}
	}
	if !max.Valid {
		if max = defaultCeiling(o.Price); !max.Valid {
			return answer{message.BuyNoPrice(o.ID), nil, ""}
		}
	}
	text := message.BuyAsk(message.OfferOf(o), o.ID, max)
	if bal, err := b.api.Balance(ctx, watch.Credentials(acct)); err == nil && lowBalance(bal.Amount, o.Price) {
		text += "\n\n" + message.LowBalance(bal.Amount, o.Price)
	}
	return answer{text, message.BuyKeyboard(acct.TelegramUserID, o.ID, max, message.ButtonBuy), ""}
}

// canBuyAgain reports whether an order names what to buy again.
func canBuyAgain(o smsapi.Order) bool {
	return o.ServiceCode != "" && o.CountryCode != "" && o.Carrier != ""
}

// lowBalance reports whether a known balance is below a known price.
func lowBalance(balance, price smsapi.Money) bool {
	return balance.Valid && price.Valid && balance.Cents < price.Cents
}

// buyMarginPercent is how much above the last price a purchase may cost by
// default: prices move a little, and a user who wants a firmer limit names
// it with /buy <orderId> <maxPrice>.
const buyMarginPercent = 25

// defaultCeiling is the last price plus the margin, rounded up to a cent;
// invalid when the price is unknown.
func defaultCeiling(price smsapi.Money) smsapi.Money {
	if !price.Valid || price.Cents <= 0 {
		return smsapi.Money{}
	}
	return smsapi.Cents(min((price.Cents*(100+buyMarginPercent)+99)/100, message.MaxBuyCeiling.Cents))
}

// buy carries out a confirmed purchase, at most once per confirmation.
func (b *Bot) buy(ctx context.Context, p press) answer {
	src, err := b.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return b.failed(err, p.c.OrderID)
	}
	if !canBuyAgain(src) {
		return answer{message.BuyUnknownOffer, nil, message.ToastNotDone}
	}
	max := smsapi.Cents(p.c.MaxPrice)
	out, err := b.money.Buy(ctx, p.acct, src, max, p.c.Nonce)
	if err != nil {
		b.log.Error("can't buy", "user", p.owner(), "source", src.ID, "err", err)
		return answer{toast: message.ToastSomethingWrong}
	}
	offer := message.OfferOf(src)
	switch {
	case out.Pending() && !out.Begun:
		return answer{toast: message.ToastInProgress}
	case out.Pending():
		return answer{message.BuyPending(offer), nil, message.ToastInProgress}
	case out.Action.State == store.ActionFailed:
		return b.buyFailed(ctx, p, src, max, out.Err)
	case !out.Begun:
		// The confirmation was pressed again after the purchase: show the number.
		text, kb := b.orderAnswer(ctx, p.acct, p.private, out.Action.OrderID, followNone)
		return answer{text, kb, message.ToastDone}
	}
	o := money.BoughtOrder(out.Action, out.Purchase)
	return answer{message.Bought(o, b.cfg.Now()), message.CardKeyboard(o, p.owner(), o.ID, true, true), message.ToastDone}
}

// buyFailed answers a refused purchase: a new price is asked about again,
// an empty stock offers to try again, a low balance says how to top up and
// offers to try again after.
func (b *Bot) buyFailed(ctx context.Context, p press, src smsapi.Order, max smsapi.Money, err error) answer {
	offer := message.OfferOf(src)
	switch {
	case errors.Is(err, smsapi.ErrPriceChanged):
		if price, ok := smsapi.NewPrice(err); ok && price.Cents <= message.MaxBuyCeiling.Cents {
			return answer{message.BuyPriceChanged(offer, price), message.BuyKeyboard(p.owner(), src.ID, price, message.ButtonBuy), message.ToastNotDone}
		}
		return answer{message.BuyFailed(offer, message.BuyPriceUnknown(src.ID)), nil, message.ToastNotDone}
	case errors.Is(err, smsapi.ErrOutOfStock):
		return answer{message.BuyOutOfStock(offer), message.BuyKeyboard(p.owner(), src.ID, max, message.ButtonTryAgain), message.ToastNotDone}
	case errors.Is(err, smsapi.ErrLowBalance):
		var balance smsapi.Money
		if bal, berr := b.api.Balance(ctx, watch.Credentials(p.acct)); berr == nil {
			balance = bal.Amount
		}
		return answer{message.BuyFailed(offer, message.LowBalance(balance, src.Price)),
			message.BuyKeyboard(p.owner(), src.ID, max, message.ButtonTryAgain), message.ToastNotDone}
	}
	return answer{message.BuyFailed(offer, b.apiErrorText(err, src.ID)), nil, message.ToastNotDone}
}
