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
	if v := budgetOf(ctx); v.over {
		// Answered all the same, so the button's spinner stops; only the
		// first press of a slow-down says why nothing happens.
		toast := ""
		if v.warn {
			b.log.Info("user throttled", "user", q.From.ID, "wait", v.wait)
			toast = lang(ctx).ToastTooManyTaps(v.wait)
		}
		b.answerCallback(ctx, q.ID, toast)
		return
	}
	if !b.isAllowed(q.From.ID) {
		b.answerCallback(ctx, q.ID, lang(ctx).T(message.NotAllowed))
		return
	}
	if l := message.ParseLanguageButton(q.Data); l != nil {
		b.onLanguageButton(ctx, q, l)
		return
	}
	c, ok := message.ParseCallback(q.Data)
	msg := q.Message.Message
	if msg == nil || !ok {
		b.answerCallback(ctx, q.ID, lang(ctx).T(message.ButtonExpired))
		return
	}
	// A group's id is negative, never a user's: this is the presser's own
	// private chat or not.
	private := msg.Chat.ID == privateChat(q.From.ID)
	if c.Owner == 0 {
		// An old card names no owner: it is safe only in the private chat
		// of the user pressing it.
		if !private {
			b.answerCallback(ctx, q.ID, lang(ctx).T(message.ButtonExpired))
			return
		}
		c.Owner = q.From.ID
	}
	if c.Owner != q.From.ID {
		b.log.Info("button pressed by someone else", "user", q.From.ID, "owner", c.Owner)
		b.answerCallback(ctx, q.ID, lang(ctx).T(message.NotYourCard))
		return
	}
	acct, err := b.store.Account(ctx, q.From.ID)
	if err != nil {
		b.answerCallback(ctx, q.ID, lang(ctx).T(message.ToastLinkFirst))
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
		return card(followNone, lang(ctx).T(message.ToastUpdated))
	case message.ActWatch:
		if !p.private {
			return card(followAlways, lang(ctx).T(message.ToastWatchingPrivate))
		}
		return card(followAlways, lang(ctx).T(message.ToastWatching))
	case message.ActStop:
		if _, err := b.store.DeleteWatch(ctx, p.owner(), orderID); err != nil {
			b.log.Error("can't stop watch", "user", p.owner(), "order", orderID, "err", err)
			return answer{toast: lang(ctx).T(message.ToastSomethingWrong)}
		}
		return card(followNone, lang(ctx).T(message.ToastStopped))
	case message.ActCancel:
		return card(followNone, lang(ctx).T(message.ToastCancelled))
	case message.ActRefundAsk, message.ActRefund:
		return b.refund(ctx, p)
	case message.ActAnotherSMS:
		return b.anotherSMS(ctx, p)
	case message.ActBuyAsk:
		return b.buyAsk(ctx, p.acct, p.private, orderID, smsapi.Money{})
	case message.ActBuy:
		return b.buy(ctx, p)
	}
	return answer{toast: lang(ctx).T(message.ButtonExpired)}
}

// failed is the answer to a press whose order could not be read.
func (b *Bot) failed(ctx context.Context, err error, orderID string) answer {
	return answer{text: b.apiErrorText(ctx, err, orderID), toast: lang(ctx).T(message.ToastNotDone)}
}

// withCard is the order's card with a line below it.
func (b *Bot) withCard(ctx context.Context, p press, o smsapi.Order, line, toast string) answer {
	text, kb := b.renderOrder(ctx, p.acct, p.private, o, followNone)
	return answer{text + "\n\n" + line, kb, toast}
}

// refundRefusal says why an order cannot be refunded, or "" when it can:
// only an order still waiting for its first SMS is refunded.
func refundRefusal(ctx context.Context, o smsapi.Order, open bool) string {
	switch {
	case o.HasSMS() || o.State() == smsapi.StateReceived:
		return lang(ctx).RefundAfterSMS(o.ID)
	case o.State() == smsapi.StateFinal:
		return lang(ctx).RefundClosed(o.ID, o.Status)
	case !open:
		return lang(ctx).RefundClosed(o.ID, "expired")
	}
	return ""
}

// refund asks before a refund (ActRefundAsk) or carries it out once
// (ActRefund). Either way the order is read first: what it shows now
// decides, and a refusal is answered here, without asking SMSOnline.
func (b *Bot) refund(ctx context.Context, p press) answer {
	o, err := b.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return b.failed(ctx, err, p.c.OrderID)
	}
	if why := refundRefusal(ctx, o, isOpen(o, b.cfg.Now())); why != "" {
		return b.withCard(ctx, p, o, why, lang(ctx).T(message.ToastNotDone))
	}
	if p.c.Action == message.ActRefundAsk {
		return answer{lang(ctx).RefundAsk(o.ID, o.Price), lang(ctx).RefundKeyboard(p.owner(), o.ID), ""}
	}
	out, err := b.money.Refund(ctx, p.acct, o)
	if err != nil {
		b.log.Error("can't refund", "user", p.owner(), "order", o.ID, "err", err)
		return answer{toast: lang(ctx).T(message.ToastSomethingWrong)}
	}
	buyAgain := lang(ctx).BuyAgainKeyboard(p.owner(), o.ID)
	switch {
	case out.Pending() && !out.Begun:
		return answer{toast: lang(ctx).T(message.ToastInProgress)}
	case out.Pending():
		return answer{lang(ctx).RefundPending(o.ID), nil, lang(ctx).T(message.ToastInProgress)}
	case out.Action.State == store.ActionFailed:
		return b.withCard(ctx, p, o, lang(ctx).RefundFailed(o.ID, b.apiErrorText(ctx, out.Err, o.ID)), lang(ctx).T(message.ToastNotDone))
	case !out.Begun:
		return answer{lang(ctx).RefundDone(o.ID, smsapi.Cents(out.Action.Price), smsapi.Money{}), buyAgain, lang(ctx).T(message.ToastDone)}
	}
	b.log.Info("refunded order", "user", p.owner(), "order", o.ID)
	var balance smsapi.Money
	if bal, err := b.api.Balance(ctx, watch.Credentials(p.acct)); err == nil {
		balance = bal.Amount
	}
	return answer{lang(ctx).RefundDone(o.ID, o.Price, balance), buyAgain, lang(ctx).T(message.ToastDone)}
}

// anotherSMS asks SMSOnline for another SMS on a number that received one,
// and watches the order again at the fast pace until it expires.
func (b *Bot) anotherSMS(ctx context.Context, p press) answer {
	o, err := b.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return b.failed(ctx, err, p.c.OrderID)
	}
	now := b.cfg.Now()
	switch {
	case !isOpen(o, now):
		return answer{lang(ctx).AnotherSMSClosed(o.ID), lang(ctx).BuyAgainKeyboard(p.owner(), o.ID), lang(ctx).T(message.ToastNotDone)}
	case !o.HasSMS():
		return b.withCard(ctx, p, o, lang(ctx).AnotherSMSNotYet(o.ID), lang(ctx).T(message.ToastNotDone))
	}
	if err := b.api.AnotherSMS(ctx, watch.Credentials(p.acct), o.ID); err != nil {
		return b.withCard(ctx, p, o, lang(ctx).AnotherSMSFailed(o.ID, b.apiErrorText(ctx, err, o.ID)), lang(ctx).T(message.ToastNotDone))
	}
	b.log.Info("asked for another sms", "user", p.owner(), "order", o.ID)
	// The SMS shown so far is delivered: only a new text is pushed.
	if _, err := b.store.MarkDelivered(ctx, p.owner(), o.ID, o.SMS, now); err != nil {
		b.log.Error("can't record delivered sms", "user", p.owner(), "order", o.ID, "err", err)
	}
	user := p.owner()
	w := watch.NewWatch(user, o, now, b.cfg.PollInterval)
	w.FastUntil = o.ExpiresAt // the waiting pace until the number expires
	line := lang(ctx).AnotherSMSAsked(o.ID, p.private)
	watched := true
	switch _, err := b.store.AddWatch(ctx, w, b.cfg.MaxWatchesPerUser, now); {
	case errors.Is(err, store.ErrWatchLimit):
		line, watched = line+"\n"+lang(ctx).WatchLimit(b.cfg.MaxWatchesPerUser), false
	case err != nil:
		b.log.Error("can't add watch", "user", user, "order", o.ID, "err", err)
		line, watched = line+"\n"+lang(ctx).T(message.WatchFailed), false
	default:
		b.wakeWatcher()
	}
	shown := o
	shown.SMS = "" // the old code is done with; the new one is pushed
	return answer{lang(ctx).Card(shown, now) + "\n\n" + line, lang(ctx).CardKeyboard(o, user, o.ID, true, watched), lang(ctx).T(message.ToastAsked)}
}

// buyAsk asks before buying the same number as sourceID again, for at most
// max (zero: the last price plus the default margin). A balance below the
// price is said at once.
func (b *Bot) buyAsk(ctx context.Context, acct store.Account, private bool, sourceID string, max smsapi.Money) answer {
	o, err := b.fetchOrder(ctx, acct, sourceID)
	if err != nil {
		return b.failed(ctx, err, sourceID)
	}
	if !canBuyAgain(o) {
		return answer{lang(ctx).T(message.BuyUnknownOffer), nil, lang(ctx).T(message.ToastNotDone)}
	}
	if !max.Valid {
		if max = defaultCeiling(o.Price); !max.Valid {
			return answer{lang(ctx).BuyNoPrice(o.ID), nil, ""}
		}
	}
	text := lang(ctx).BuyAsk(lang(ctx).OfferOf(o), o.ID, max)
	if bal, err := b.api.Balance(ctx, watch.Credentials(acct)); err == nil && lowBalance(bal.Amount, o.Price) {
		text += "\n\n" + lang(ctx).LowBalance(bal.Amount, o.Price)
	}
	return answer{text, lang(ctx).BuyKeyboard(acct.TelegramUserID, o.ID, max, message.ButtonBuy), ""}
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
		return b.failed(ctx, err, p.c.OrderID)
	}
	if !canBuyAgain(src) {
		return answer{lang(ctx).T(message.BuyUnknownOffer), nil, lang(ctx).T(message.ToastNotDone)}
	}
	max := smsapi.Cents(p.c.MaxPrice)
	out, err := b.money.Buy(ctx, p.acct, src, max, p.c.Nonce)
	if err != nil {
		b.log.Error("can't buy", "user", p.owner(), "source", src.ID, "err", err)
		return answer{toast: lang(ctx).T(message.ToastSomethingWrong)}
	}
	offer := lang(ctx).OfferOf(src)
	switch {
	case out.Pending() && !out.Begun:
		return answer{toast: lang(ctx).T(message.ToastInProgress)}
	case out.Pending():
		return answer{lang(ctx).BuyPending(offer), nil, lang(ctx).T(message.ToastInProgress)}
	case out.Action.State == store.ActionFailed:
		return b.buyFailed(ctx, p, src, max, out.Err)
	case !out.Begun:
		// The confirmation was pressed again after the purchase: show the number.
		text, kb := b.orderAnswer(ctx, p.acct, p.private, out.Action.OrderID, followNone)
		return answer{text, kb, lang(ctx).T(message.ToastDone)}
	}
	o := money.BoughtOrder(out.Action, out.Purchase)
	return answer{lang(ctx).Bought(o, b.cfg.Now()), lang(ctx).CardKeyboard(o, p.owner(), o.ID, true, true), lang(ctx).T(message.ToastDone)}
}

// buyFailed answers a refused purchase: a new price is asked about again,
// an empty stock offers to try again, a low balance says how to top up and
// offers to try again after.
func (b *Bot) buyFailed(ctx context.Context, p press, src smsapi.Order, max smsapi.Money, err error) answer {
	offer := lang(ctx).OfferOf(src)
	switch {
	case errors.Is(err, smsapi.ErrPriceChanged):
		if price, ok := smsapi.NewPrice(err); ok && price.Cents <= message.MaxBuyCeiling.Cents {
			return answer{lang(ctx).BuyPriceChanged(offer, price), lang(ctx).BuyKeyboard(p.owner(), src.ID, price, message.ButtonBuy), lang(ctx).T(message.ToastNotDone)}
		}
		return answer{lang(ctx).BuyFailed(offer, lang(ctx).BuyPriceUnknown(src.ID)), nil, lang(ctx).T(message.ToastNotDone)}
	case errors.Is(err, smsapi.ErrOutOfStock):
		return answer{lang(ctx).BuyOutOfStock(offer), lang(ctx).BuyKeyboard(p.owner(), src.ID, max, message.ButtonTryAgain), lang(ctx).T(message.ToastNotDone)}
	case errors.Is(err, smsapi.ErrLowBalance):
		var balance smsapi.Money
		if bal, berr := b.api.Balance(ctx, watch.Credentials(p.acct)); berr == nil {
			balance = bal.Amount
		}
		return answer{lang(ctx).BuyFailed(offer, lang(ctx).LowBalance(balance, src.Price)),
			lang(ctx).BuyKeyboard(p.owner(), src.ID, max, message.ButtonTryAgain), lang(ctx).T(message.ToastNotDone)}
	}
	return answer{lang(ctx).BuyFailed(offer, b.apiErrorText(ctx, err, src.ID)), nil, lang(ctx).T(message.ToastNotDone)}
}
