package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/deliver"
	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
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
	private bool          // the message is in the owner's private chat
	conf    store.Action  // the confirmation a money button names (c.Confirms())
	lang    *message.Lang // the presser's language
	// The message pressed, and whether the answer edits it (else it is a
	// new message).
	chatID    int64
	messageID int
	edit      bool
}

func (p press) owner() int64 { return p.acct.TelegramUserID }

// onCallback handles the buttons of cards, pushes and confirmations. Only
// the user a card was made for may press its buttons, and a press edits
// only a message made for its presser. A press on a card edits the card; a
// press on a push answers with a new message, because a push may hold the
// codes of other orders too.
func (b *Bot) onCallback(ctx context.Context, q *models.CallbackQuery, l *message.Lang) {
	if v := budgetOf(ctx); v.over {
		// Answered all the same, so the button's spinner stops; only the
		// first press of a slow-down says why nothing happens.
		toast := ""
		if v.warn {
			b.log.Info("user throttled", "user", q.From.ID, "wait", v.wait)
			toast = l.ToastTooManyTaps(v.wait)
		}
		b.answerCallback(ctx, q.ID, toast)
		return
	}
	if !b.isAllowed(q.From.ID) {
		b.answerCallback(ctx, q.ID, l.T(message.NotAllowed))
		return
	}
	if lb := message.ParseLanguageButton(q.Data); lb != nil {
		b.onLanguageButton(ctx, q, l, lb)
		return
	}
	if nonce, send, ok := message.ParseAnnounceButton(q.Data); ok {
		b.onAnnounceButton(ctx, q, l, nonce, send)
		return
	}
	if s, ok := message.ParseSettingsButton(q.Data); ok {
		b.onSettingsButton(ctx, q, l, s)
		return
	}
	c, ok := message.ParseCallback(q.Data)
	msg := q.Message.Message
	if msg == nil || !ok {
		b.answerCallback(ctx, q.ID, l.T(message.ButtonExpired))
		return
	}
	// A group's id is negative, never a user's: this is the presser's own
	// private chat or not.
	private := msg.Chat.ID == privateChat(q.From.ID)
	e, _ := b.button(c.Action) // ParseCallback knows only the table's actions
	var conf store.Action
	if e.confirm != "" {
		var err error
		if conf, err = b.money.Confirmation(ctx, e.confirm, c.Nonce); err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				b.log.Error("can't load confirmation", "user", q.From.ID, "err", err)
			}
			b.answerCallback(ctx, q.ID, l.T(message.ButtonExpired))
			return
		}
		c.Owner, c.OrderID = conf.TelegramUserID, cmp.Or(conf.OrderID, conf.SourceOrderID)
	}
	if c.Owner == 0 {
		// An old card names no owner: it is safe only in the private chat
		// of the user pressing it.
		if !private {
			b.answerCallback(ctx, q.ID, l.T(message.ButtonExpired))
			return
		}
		c.Owner = q.From.ID
	}
	edit, foreign := b.mayEdit(ctx, q, msg, private)
	if c.Owner != q.From.ID || foreign {
		b.log.Info("button pressed by someone else", "user", q.From.ID, "owner", c.Owner, "foreign_message", foreign)
		b.answerCallback(ctx, q.ID, l.T(message.NotYourCard))
		return
	}
	acct, aerr := b.store.Account(ctx, q.From.ID)
	if aerr != nil {
		b.answerCallback(ctx, q.ID, l.T(message.ToastLinkFirst))
		return
	}
	if !acct.LogoutAt.IsZero() && e.confirm != "" {
		b.answerCallback(ctx, q.ID, l.T(message.LoggingOut))
		return
	}
	a, err := e.run(ctx, press{acct: acct, c: c, private: private, conf: conf, lang: l,
		chatID: msg.Chat.ID, messageID: msg.ID, edit: edit && !c.FromPush})
	if err != nil {
		b.log.Error("button failed", "action", c.Action, "user", q.From.ID, "err", err)
		a = answer{toast: l.T(message.ToastSomethingWrong)}
	}
	switch {
	case a.text == "":
	case c.FromPush || !edit || e.apart:
		m := deliver.TextMessage{ChatID: msg.Chat.ID, Text: a.text, Markup: message.MarkupJSON(a.kb)}
		if id, err := b.sendMessage(ctx, m); err != nil {
			b.log.Warn("can't answer", "chat", msg.Chat.ID, "err", b.errText(err))
		} else {
			b.rememberCard(ctx, msg.Chat.ID, id, q.From.ID, a.kb)
		}
	default:
		b.editMessage(ctx, msg.Chat.ID, msg.ID, a.text, a.kb)
	}
	b.answerCallback(ctx, q.ID, a.toast)
}

// mayEdit says whether a press may edit the message it is on: one in the
// presser's private chat, one the bot recorded as made for them, or one
// whose buttons, as Telegram shows them, hold the data pressed. foreign is
// true for a message the bot made for someone else: the press is forged.
// Otherwise the press is answered with a new message.
func (b *Bot) mayEdit(ctx context.Context, q *models.CallbackQuery, msg *models.Message, private bool) (edit, foreign bool) {
	if private {
		return true, false
	}
	owner, err := b.store.CardOwner(ctx, msg.Chat.ID, msg.ID)
	switch {
	case err == nil:
		return owner == q.From.ID, owner != q.From.ID
	case !errors.Is(err, store.ErrNotFound):
		b.log.Warn("can't load card owner", "chat", msg.Chat.ID, "err", err)
	}
	if msg.ReplyMarkup != nil {
		for _, row := range msg.ReplyMarkup.InlineKeyboard {
			for _, btn := range row {
				if btn.CallbackData == q.Data {
					return true, false
				}
			}
		}
	}
	return false, false
}

// rememberCard records whom a message with buttons sent to a group was made
// for; private chats need no record.
func (b *Bot) rememberCard(ctx context.Context, chatID int64, messageID int, owner int64, kb *message.Keyboard) {
	if chatID == privateChat(owner) || messageID == 0 || kb == nil {
		return
	}
	if err := b.store.SaveCard(ctx, chatID, messageID, owner, b.cfg.Now()); err != nil {
		b.log.Warn("can't record card owner", "chat", chatID, "err", err)
	}
}

// buttonEntry is one kind of button: the one place its action, whether it
// is a money confirmation (found by its nonce, owned by whoever the stored
// confirmation names), whether its answer leaves the message pressed as it
// is, and its handler are written.
type buttonEntry struct {
	action  string
	confirm store.ActionKind // a money confirmation of this kind; "" for none
	apart   bool             // answers with a new message: the message pressed is left as it is
	run     func(context.Context, press) (answer, error)
}

// buttonTable lists the bot's buttons (see message.Callback for the data).
func buttonTable(orders *orderDesk, money *moneyDesk, stock *stockDesk, favourites *favouriteDesk, history *historyDesk) []buttonEntry {
	return []buttonEntry{
		{action: message.ActRefresh, run: orders.pressRefresh},
		{action: message.ActWatch, run: orders.pressWatch},
		{action: message.ActStop, run: orders.pressStop},
		{action: message.ActCancel, run: orders.pressCancel},
		{action: message.ActRefundAsk, run: money.refundAsk},
		{action: message.ActRefund, confirm: store.ActionRefund, run: money.refund},
		{action: message.ActAnotherSMS, run: money.anotherSMS},
		{action: message.ActBuyAsk, run: money.pressBuyAsk},
		{action: message.ActBuy, confirm: store.ActionBuy, run: money.buy},
		{action: message.ActNewAsk, run: money.replaceAsk},
		{action: message.ActNew, confirm: store.ActionBuy, run: money.replace},
		{action: message.ActKeepTrying, confirm: store.ActionBuy, run: stock.keepTrying},
		{action: message.ActStopTrying, run: stock.stopTrying},
		{action: message.ActQuantity, confirm: store.ActionBuy, run: money.quantityAsk},
		{action: message.ActKeep, run: orders.pressKeep},
		{action: message.ActChainStop, apart: true, run: orders.pressChainStop},
		{action: message.ActFavourite, run: favourites.pressCardAdd},
		{action: message.ActUnfavourite, run: favourites.pressCardRemove},
		{action: message.ActFavouriteOffer, confirm: store.ActionBuy, run: favourites.pressOfferAdd},
		{action: message.ActUnfavouriteOffer, confirm: store.ActionBuy, run: favourites.pressOfferRemove},
		{action: message.ActFavouriteBuy, run: favourites.pressBuy},
		{action: message.ActFavouriteRemove, run: favourites.pressRemove},
		{action: message.ActHistoryPage, run: history.pressPage},
		{action: message.ActHistoryExport, run: history.pressExport},
	}
}

// button returns the table's entry for a button's action.
func (b *Bot) button(action string) (buttonEntry, bool) {
	for _, e := range b.buttons {
		if e.action == action {
			return e, true
		}
	}
	return buttonEntry{}, false
}

// card is the pressed card's order shown again, following it as f says,
// with toast.
func (d *orderDesk) card(ctx context.Context, p press, f follow, toast string) answer {
	text, kb := d.orderAnswer(ctx, p.lang, p.acct, p.private, p.c.OrderID, f)
	return answer{text, kb, toast}
}

func (d *orderDesk) pressRefresh(ctx context.Context, p press) (answer, error) {
	return d.card(ctx, p, followNone, p.lang.T(message.ToastUpdated)), nil
}

// pressWatch watches the order; its codes go to the private chat.
func (d *orderDesk) pressWatch(ctx context.Context, p press) (answer, error) {
	if !p.private {
		return d.card(ctx, p, followAlways, p.lang.T(message.ToastWatchingPrivate)), nil
	}
	return d.card(ctx, p, followAlways, p.lang.T(message.ToastWatching)), nil
}

func (d *orderDesk) pressStop(ctx context.Context, p press) (answer, error) {
	if _, err := d.store.DeleteWatch(ctx, p.owner(), p.c.OrderID); err != nil {
		return answer{}, fmt.Errorf("stop watching %s: %w", p.c.OrderID, err)
	}
	return d.card(ctx, p, followNone, p.lang.T(message.ToastStopped)), nil
}

// pressCancel is "No" on a confirmation: back to the card.
func (d *orderDesk) pressCancel(ctx context.Context, p press) (answer, error) {
	return d.card(ctx, p, followNone, p.lang.T(message.ToastCancelled)), nil
}

func (d *moneyDesk) pressBuyAsk(ctx context.Context, p press) (answer, error) {
	return d.buyAsk(ctx, p.lang, p.acct, p.c.OrderID, smsapi.Money{}, 1)
}

// failed is the answer to a press whose order could not be read.
func (d *orderDesk) failed(l *message.Lang, err error, orderID string) answer {
	return answer{text: apiErrorText(d.log, l, err, orderID), toast: l.T(message.ToastNotDone)}
}

// withCard is the order's card with a line below it.
func (d *orderDesk) withCard(ctx context.Context, p press, o smsapi.Order, line, toast string) answer {
	text, kb := d.renderOrder(ctx, p.lang, p.acct, p.private, o, followNone)
	return answer{text + "\n\n" + line, kb, toast}
}

// anotherSMS asks SMSOnline for another SMS on a number that received one,
// once per SMS shown (further taps are told it was asked), and watches the
// order again at the fast pace until it expires.
func (d *moneyDesk) anotherSMS(ctx context.Context, p press) (answer, error) {
	o, err := d.orders.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return d.orders.failed(p.lang, err, p.c.OrderID), nil
	}
	now := d.now()
	switch {
	case !isOpen(o, now):
		return answer{p.lang.AnotherSMSClosed(o.ID), p.lang.BuyAgainKeyboard(p.owner(), o.ID), p.lang.T(message.ToastNotDone)}, nil
	case !o.HasSMS():
		return d.orders.withCard(ctx, p, o, p.lang.AnotherSMSNotYet(o.ID), p.lang.T(message.ToastNotDone)), nil
	}
	first, err := d.store.AskAnotherSMS(ctx, p.owner(), o.ID, o.SMS, now)
	if err != nil {
		return answer{}, fmt.Errorf("record another sms for %s: %w", o.ID, err)
	}
	if !first {
		return d.anotherSMSCard(ctx, p, o, p.lang.AnotherSMSAlready(o.ID), true), nil
	}
	if err := d.api.AnotherSMS(ctx, account.Credentials(p.acct), o.ID); err != nil {
		if !smsapi.OutcomeUnknown(err) {
			// Refused: nothing was asked, so a later tap may ask.
			if ferr := d.store.ForgetAnotherSMS(context.WithoutCancel(ctx), p.owner(), o.ID, o.SMS); ferr != nil {
				d.log.Error("can't forget another sms", "user", p.owner(), "order", o.ID, "err", ferr)
			}
		}
		return d.orders.withCard(ctx, p, o, p.lang.AnotherSMSFailed(o.ID, apiErrorText(d.log, p.lang, err, o.ID)), p.lang.T(message.ToastNotDone)), nil
	}
	d.log.Info("asked for another sms", "user", p.owner(), "order", o.ID)
	// The SMS shown so far is delivered: only a new text is pushed.
	if _, err := d.store.MarkDelivered(ctx, p.owner(), o.ID, o.SMS, now); err != nil {
		d.log.Error("can't record delivered sms", "user", p.owner(), "order", o.ID, "err", err)
	}
	return d.anotherSMSCard(ctx, p, o, p.lang.AnotherSMSAsked(o.ID, p.private), false), nil
}

// anotherSMSCard is the card of an order another SMS was asked for, watched
// at the waiting pace until it expires, with line below it; the old code is
// left out (the new one is pushed).
func (d *moneyDesk) anotherSMSCard(ctx context.Context, p press, o smsapi.Order, line string, again bool) answer {
	now := d.now()
	user := p.owner()
	w := account.NewWatch(user, o, now, d.poll)
	w.FastUntil = o.ExpiresAt // the waiting pace until the number expires
	watched := true
	switch _, err := d.store.AddWatch(ctx, w, d.maxWatches, now); {
	case errors.Is(err, store.ErrWatchLimit):
		line, watched = line+"\n"+p.lang.WatchLimit(d.maxWatches), false
	case err != nil:
		d.log.Error("can't add watch", "user", user, "order", o.ID, "err", err)
		line, watched = line+"\n"+p.lang.T(message.WatchFailed), false
	default:
		d.wakeWatcher()
	}
	shown := o
	shown.SMS = ""
	toast := p.lang.T(message.ToastAsked)
	if again {
		toast = p.lang.T(message.ToastInProgress)
	}
	kb := p.lang.CardKeyboard(d.orders.withFavourite(ctx, p.acct, o, view.Order(o)), user, o.ID, true, watched)
	return answer{p.lang.Card(view.Order(shown), now) + "\n\n" + line, kb, toast}
}
