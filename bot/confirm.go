package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/money"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Refunds and purchases from the chat. Asking stores the confirmation
// (bot/money: an offered action under a fresh nonce) and shows it; pressing
// it carries out exactly what was stored, once. A confirmation pressed again
// answers with what happened to it; trying again after a refusal is a new
// confirmation.

// moneyStore is what the money desk needs of the store.
type moneyStore interface {
	AskAnotherSMS(ctx context.Context, telegramUserID int64, orderID, sms string, now time.Time) (first bool, err error)
	ForgetAnotherSMS(ctx context.Context, telegramUserID int64, orderID, sms string) error
	MarkDelivered(ctx context.Context, telegramUserID int64, orderID, sms string, now time.Time) (isNew bool, err error)
	AddWatch(ctx context.Context, w store.Watch, maxPerUser int, now time.Time) (created bool, err error)
	StopChainOf(ctx context.Context, telegramUserID int64, orderID string, now time.Time) (bool, error)
	KeepCeiling(ctx context.Context, telegramUserID int64, smsUserID string, o store.Offer, maxPrice int64, now time.Time) error
	OfferKeyedAction(ctx context.Context, a store.Action, now time.Time) (store.Action, error)
	StartBatch(ctx context.Context, id int64, now time.Time) (bool, error)
	EndBatch(ctx context.Context, id int64, now time.Time) error
	BatchItems(ctx context.Context, head store.Action) ([]store.Action, error)
}

// moneyAPI is what the money desk asks SMSOnline itself; refunds and
// purchases go through moneyActions.
type moneyAPI interface {
	balanceReader
	AnotherSMS(ctx context.Context, cred smsapi.Credentials, orderID string) error
}

// moneyActions carries out refunds and purchases at most once (bot/money).
type moneyActions interface {
	Offer(ctx context.Context, a store.Action) (store.Action, error)
	Refund(ctx context.Context, acct store.Account, a store.Action) (money.Outcome, error)
	Buy(ctx context.Context, acct store.Account, a store.Action) (money.Outcome, error)
	ReplaceRefund(ctx context.Context, acct store.Account, buy store.Action, old smsapi.Order) (out money.Outcome, kept bool, err error)
}

// moneyDesk asks for and carries out what costs or returns money, and
// "another SMS": the buttons Refund, Buy again, Another SMS and their
// confirmations.
type moneyDesk struct {
	orders      *orderDesk // reads orders and renders cards
	store       moneyStore
	api         moneyAPI
	money       moneyActions
	log         *slog.Logger
	now         func() time.Time
	poll        time.Duration
	maxWatches  int
	wakeWatcher func()
	// edit shows text and kb in a message (the Bot's paced editMessage),
	// for answers that change while they run (a batch's progress).
	edit func(ctx context.Context, chatID int64, messageID int, text string, kb *message.Keyboard)
}

// refundRefusal says why an order cannot be refunded, or "" when it can:
// only an order still waiting for its first SMS is refunded.
func refundRefusal(l *message.Lang, o smsapi.Order, now time.Time) string {
	switch {
	case money.Refundable(o, now):
		return ""
	case o.HasSMS() || o.State() == smsapi.StateReceived:
		return l.RefundAfterSMS(o.ID)
	case o.State() == smsapi.StateFinal:
		return l.RefundClosed(o.ID, o.Status)
	}
	return l.RefundClosed(o.ID, "expired")
}

// refundAsk reads the order and, when it may be refunded, asks first. A
// refusal is answered here, without asking SMSOnline.
func (d *moneyDesk) refundAsk(ctx context.Context, p press) (answer, error) {
	o, err := d.orders.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return d.orders.failed(p.lang, err, p.c.OrderID), nil
	}
	if why := refundRefusal(p.lang, o, d.now()); why != "" {
		return d.orders.withCard(ctx, p, o, why, p.lang.T(message.ToastNotDone)), nil
	}
	conf, err := d.money.Offer(ctx, money.RefundOf(p.owner(), o))
	if err != nil {
		return answer{}, fmt.Errorf("offer refund of %s: %w", o.ID, err)
	}
	return answer{p.lang.RefundAsk(o.ID, view.Money(o.Price)), p.lang.RefundKeyboard(p.owner(), o.ID, conf.Key), ""}, nil
}

// refund carries out a pressed refund confirmation once. The order is read
// first: what it shows now decides, and a refusal (an SMS came meanwhile)
// is answered here and leaves the confirmation unused.
func (d *moneyDesk) refund(ctx context.Context, p press) (answer, error) {
	if p.conf.State != store.ActionOffered {
		return d.refundOutcome(ctx, p, p.conf, nil, false), nil
	}
	o, err := d.orders.fetchOrder(ctx, p.acct, p.conf.OrderID)
	if err != nil {
		return d.orders.failed(p.lang, err, p.conf.OrderID), nil
	}
	if why := refundRefusal(p.lang, o, d.now()); why != "" {
		return d.orders.withCard(ctx, p, o, why, p.lang.T(message.ToastNotDone)), nil
	}
	out, err := d.money.Refund(ctx, p.acct, p.conf)
	if err != nil {
		return answer{}, fmt.Errorf("refund %s: %w", o.ID, err)
	}
	return d.refundOutcome(ctx, p, out.Action, out.Err, out.Begun), nil
}

// refundOutcome tells how refund a stands: now is true when this press sent
// it (err is SMSOnline's refusal then), false when it was pressed before.
func (d *moneyDesk) refundOutcome(ctx context.Context, p press, a store.Action, err error, now bool) answer {
	l := p.lang
	switch {
	case a.State.Unsettled() && !now:
		return answer{toast: l.T(message.ToastInProgress)}
	case a.State.Unsettled():
		return answer{l.RefundPending(a.OrderID), nil, l.T(message.ToastInProgress)}
	case a.State == store.ActionDone:
		var balance smsapi.Money
		if now {
			d.log.Info("refunded order", "user", p.owner(), "order", a.OrderID)
			if bal, err := d.api.Balance(ctx, account.Credentials(p.acct)); err == nil {
				balance = bal.Amount
			}
		}
		return answer{l.RefundDone(a.OrderID, message.Cents(a.Price), view.Money(balance)), l.BuyAgainKeyboard(p.owner(), a.OrderID), l.T(message.ToastDone)}
	}
	var line string
	switch a.Failure {
	case store.FailNotSent:
		line = l.RefundNotSent(a.OrderID, d.reason(l, err, a.OrderID))
	case store.FailNoSign:
		line = l.RefundNotDone(a.OrderID)
	case store.FailUnconfirmed:
		line = l.RefundUnconfirmed(a.OrderID, message.Money{})
	default:
		line = l.RefundFailed(a.OrderID, d.reason(l, err, a.OrderID))
	}
	if !now {
		line = l.T(message.ConfirmationUsed) + "\n" + line
	}
	// The card, read now, offers a new confirmation when a refund is still
	// possible.
	o, rerr := d.orders.fetchOrder(ctx, p.acct, a.OrderID)
	if rerr != nil {
		return answer{line, nil, l.T(message.ToastNotDone)}
	}
	return d.orders.withCard(ctx, p, o, line, l.T(message.ToastNotDone))
}

// reason is the line under a refusal: SMSOnline's answer when there is one.
func (d *moneyDesk) reason(l *message.Lang, err error, orderID string) string {
	if err == nil {
		return ""
	}
	return apiErrorText(d.log, l, err, orderID)
}

// buyAsk asks before buying the same number as sourceID again, for at most
// max (zero: for a favourite's offer the ceiling last confirmed for it, else
// the last price plus the default margin), count numbers (1 to
// message.MaxQuantity). A balance below the price is said at once.
func (d *moneyDesk) buyAsk(ctx context.Context, l *message.Lang, acct store.Account, sourceID string, max smsapi.Money, count int) (answer, error) {
	o, err := d.orders.fetchOrder(ctx, acct, sourceID)
	if err != nil {
		return d.orders.failed(l, err, sourceID), nil
	}
	if !canBuyAgain(o) {
		return answer{l.T(message.BuyUnknownOffer), nil, l.T(message.ToastNotDone)}, nil
	}
	fav, isFav := d.orders.favouriteOf(ctx, acct, offerOf(o))
	if !max.Valid && isFav && fav.MaxPrice > 0 {
		max = smsapi.Cents(fav.MaxPrice)
	}
	if !max.Valid {
		if max = defaultCeiling(o.Price); !max.Valid {
			return answer{l.BuyNoPrice(o.ID), nil, ""}, nil
		}
	}
	a := money.BuyOf(acct.TelegramUserID, o, max)
	a.Quantity = count
	if a, err = d.money.Offer(ctx, a); err != nil {
		return answer{}, fmt.Errorf("offer purchase like %s: %w", o.ID, err)
	}
	return d.buyQuestion(ctx, l, acct, a, fav, isFav), nil
}

// buyQuestion is the confirmation of the offered purchase a: what it buys
// for at most what (said to be the user's own limit when it is the ceiling
// last confirmed for a favourite's offer), a low balance, and its buttons
// with the star button of its offer. fav is the offer's favourite, when
// isFav.
func (d *moneyDesk) buyQuestion(ctx context.Context, l *message.Lang, acct store.Account, a store.Action, fav store.Favourite, isFav bool) answer {
	offer, max, count := l.Offer(a.ServiceName, a.CountryName, a.Carrier), message.Cents(a.MaxPrice), max(a.Quantity, 1)
	text := l.BuyAsk(offer, a.SourceOrderID, max)
	switch {
	case count > 1:
		text = l.BuyAskMany(offer, count, max)
	case isFav && fav.MaxPrice == a.MaxPrice:
		text = l.BuyAskKept(offer, a.SourceOrderID, max)
	}
	if a.Price > 0 {
		text += d.lowBalanceLine(ctx, l, acct, smsapi.Cents(a.Price*int64(count)))
	}
	return answer{text, l.BuyAskKeyboard(acct.TelegramUserID, a.SourceOrderID, a.Key, isFav, count), ""}
}

// offerOf is what order o bought, in SMSOnline's codes.
func offerOf(o smsapi.Order) store.Offer {
	return store.Offer{Service: o.ServiceCode, Country: o.CountryCode, Carrier: o.Carrier}
}

// canBuyAgain reports whether an order names what to buy again.
func canBuyAgain(o smsapi.Order) bool {
	return o.ServiceCode != "" && o.CountryCode != "" && o.Carrier != ""
}

// lowBalanceLine is the paragraph a confirmation gets when the balance,
// read now, does not cover price; "" otherwise.
func (d *moneyDesk) lowBalanceLine(ctx context.Context, l *message.Lang, acct store.Account, price smsapi.Money) string {
	bal, err := d.api.Balance(ctx, account.Credentials(acct))
	if err != nil || !lowBalance(bal.Amount, price) {
		return ""
	}
	return "\n\n" + l.LowBalance(view.Money(bal.Amount), view.Money(price))
}

// lowBalance reports whether a known balance is below a known price.
func lowBalance(balance, price smsapi.Money) bool {
	return balance.Valid && price.Valid && balance.Cents < price.Cents
}

// defaultCeiling is the last price plus the margin, rounded up to a cent;
// invalid when the price is unknown.
func defaultCeiling(price smsapi.Money) smsapi.Money {
	if !price.Valid || price.Cents <= 0 {
		return smsapi.Money{}
	}
	return smsapi.Cents(min((price.Cents*(100+money.BuyMarginPercent)+99)/100, money.MaxBuyCeiling))
}

// buy carries out a pressed purchase confirmation, once: what is bought
// and the ceiling are the stored confirmation's.
func (d *moneyDesk) buy(ctx context.Context, p press) (answer, error) {
	if p.conf.Quantity > 1 {
		return d.buyBatch(ctx, p)
	}
	if p.conf.ReplaceOrder != "" {
		return d.replace(ctx, p) // "Try again" after a refused New number
	}
	if p.conf.State != store.ActionOffered {
		return d.buyOutcome(ctx, p, p.conf, nil, false), nil
	}
	d.keepCeiling(ctx, p.acct, p.conf)
	out, err := d.money.Buy(ctx, p.acct, p.conf)
	if err != nil {
		return answer{}, fmt.Errorf("buy like %s: %w", p.conf.SourceOrderID, err)
	}
	if out.Begun && out.Action.State == store.ActionDone {
		o := money.BoughtOrder(out.Action, out.Purchase)
		l := p.lang
		shown := d.orders.withRule(ctx, p.owner(), view.Order(o)) // the purchase added its watch
		shown = d.orders.withFavourite(ctx, p.acct, o, shown)
		return answer{l.Bought(shown, d.now(), p.private), l.CardKeyboard(shown, p.owner(), o.ID, true, true), l.T(message.ToastDone)}, nil
	}
	return d.buyOutcome(ctx, p, out.Action, out.Err, out.Begun), nil
}

// keepCeiling records the ceiling of purchase confirmation a, pressed now,
// as the one the user last confirmed for its offer: a favourite of the
// offer offers it from now on. A failure only costs that.
func (d *moneyDesk) keepCeiling(ctx context.Context, acct store.Account, a store.Action) {
	if err := d.store.KeepCeiling(ctx, acct.TelegramUserID, acct.SMSUserID, money.OfferOf(a), a.MaxPrice, d.now()); err != nil {
		d.log.Error("can't keep the confirmed ceiling", "user", acct.TelegramUserID, "err", err)
	}
}

// buyOutcome tells how purchase a stands: now is true when this press sent
// it (err is SMSOnline's refusal, or why it was not sent), false when it was
// pressed before. A refusal that may pass offers a new confirmation; "no
// sign of it" never does, since the number may still turn up.
func (d *moneyDesk) buyOutcome(ctx context.Context, p press, a store.Action, err error, now bool) answer {
	l := p.lang
	offer := l.Offer(a.ServiceName, a.CountryName, a.Carrier)
	switch {
	case a.State.Unsettled() && !now:
		return answer{toast: l.T(message.ToastInProgress)}
	case a.State.Unsettled():
		return answer{l.BuyPending(offer), nil, l.T(message.ToastInProgress)}
	case a.State == store.ActionDone:
		text, kb := d.orders.orderAnswer(ctx, p.lang, p.acct, p.private, a.OrderID, followNone)
		return answer{text, kb, l.T(message.ToastDone)}
	}
	var text string
	retry, label := smsapi.Cents(a.MaxPrice), message.ButtonTryAgain
	switch a.Failure {
	case store.FailPriceChanged:
		price := smsapi.Cents(a.NewPrice)
		if a.NewPrice <= 0 || price.Cents > money.MaxBuyCeiling {
			text, retry = l.BuyFailed(offer, l.BuyPriceUnknown(a.SourceOrderID)), smsapi.Money{}
			break
		}
		text, retry, label = l.BuyPriceChanged(offer, view.Money(price)), price, message.ButtonBuy
	case store.FailOutOfStock:
		text = l.BuyOutOfStock(offer)
	case store.FailLowBalance:
		var balance smsapi.Money
		if bal, berr := d.api.Balance(ctx, account.Credentials(p.acct)); berr == nil {
			balance = bal.Amount
		}
		text = l.BuyFailed(offer, l.LowBalance(view.Money(balance), message.Cents(a.Price)))
	case store.FailNotSent:
		text = l.BuyNotSent(offer, d.reason(l, err, a.SourceOrderID))
	case store.FailRateLimited:
		text = l.BuyFailed(offer, d.reason(l, err, a.SourceOrderID))
	case store.FailNoSign:
		text, retry = l.BuyNotDone(offer), smsapi.Money{}
	default:
		text, retry = l.BuyFailed(offer, d.reason(l, err, a.SourceOrderID)), smsapi.Money{}
	}
	if !now {
		text = l.T(message.ConfirmationUsed) + "\n" + text
	}
	if !retry.Valid {
		return answer{text, nil, l.T(message.ToastNotDone)}
	}
	var kb *message.Keyboard
	if conf, oerr := d.money.Offer(ctx, money.BuyAgainOf(a, retry)); oerr != nil {
		d.log.Error("can't offer purchase", "user", p.owner(), "source", a.SourceOrderID, "err", oerr)
	} else {
		kb = l.BuyKeyboard(p.owner(), a.SourceOrderID, conf.Key, label)
	}
	if a.Failure == store.FailOutOfStock {
		kb = l.KeepTryingRow(kb, a.Key) // the refused purchase, tried again by the bot
	}
	return answer{text, kb, l.T(message.ToastNotDone)}
}
