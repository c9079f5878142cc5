package bot

import (
	"context"
	"fmt"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/money"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// "🆕 New number" on a card waiting for its SMS: buy the same service,
// country and carrier again (a money action), and only once that purchase
// is done refund the old number (a money action of its own). A refused
// purchase refunds nothing; an unknown one leaves the refund to the
// reconciler, once it knows the purchase was made.

// replaceAsk asks before "New number": the order must still wait for its
// first SMS and name what to buy.
func (d *moneyDesk) replaceAsk(ctx context.Context, p press) (answer, error) {
	l := p.lang
	o, err := d.orders.fetchOrder(ctx, p.acct, p.c.OrderID)
	if err != nil {
		return d.orders.failed(l, err, p.c.OrderID), nil
	}
	if why := refundRefusal(l, o, d.now()); why != "" {
		return d.orders.withCard(ctx, p, o, why, l.T(message.ToastNotDone)), nil
	}
	if !canBuyAgain(o) {
		return answer{l.T(message.BuyUnknownOffer), nil, l.T(message.ToastNotDone)}, nil
	}
	max := defaultCeiling(o.Price)
	if !max.Valid {
		return answer{l.BuyNoPrice(o.ID), nil, ""}, nil
	}
	a, err := d.money.Offer(ctx, money.ReplacementOf(p.owner(), o, max))
	if err != nil {
		return answer{}, fmt.Errorf("offer new number for %s: %w", o.ID, err)
	}
	text := l.ReplaceAsk(l.Offer(a.ServiceName, a.CountryName, a.Carrier), view.Money(max), o.ID, view.Money(o.Price))
	text += d.lowBalanceLine(ctx, l, p.acct, o.Price)
	return answer{text, l.ReplaceKeyboard(p.owner(), o.ID, a.Key), ""}, nil
}

// replace carries out a pressed "New number": the purchase first, then the
// old number's refund. The old order is read first: one that got an SMS
// meanwhile is not replaced.
func (d *moneyDesk) replace(ctx context.Context, p press) (answer, error) {
	l, conf := p.lang, p.conf
	if conf.ReplaceOrder == "" {
		return answer{toast: l.T(message.ButtonExpired)}, nil // a plain purchase's nonce under X
	}
	if conf.State != store.ActionOffered {
		return d.buyOutcome(ctx, p, conf, nil, false), nil
	}
	old, err := d.orders.fetchOrder(ctx, p.acct, conf.ReplaceOrder)
	if err != nil {
		return d.orders.failed(l, err, conf.ReplaceOrder), nil
	}
	if !money.Refundable(old, d.now()) {
		return d.orders.withCard(ctx, p, old, l.ReplaceSMSArrived(old.ID), l.T(message.ToastNotDone)), nil
	}
	// The user replaces the number by hand: the rule's chain for it, if
	// one runs, must not replace it too.
	if _, err := d.store.StopChainOf(ctx, p.owner(), old.ID, d.now()); err != nil {
		return answer{}, fmt.Errorf("stop the chain of %s before its new number: %w", old.ID, err)
	}
	d.keepCeiling(ctx, p.acct, conf)
	out, err := d.money.Buy(ctx, p.acct, conf)
	if err != nil {
		return answer{}, fmt.Errorf("buy new number for %s: %w", old.ID, err)
	}
	switch {
	case out.Begun && out.Action.State == store.ActionDone:
	case out.Begun && out.Pending():
		return answer{l.BuyPending(l.Offer(conf.ServiceName, conf.CountryName, conf.Carrier)) + "\n" + l.ReplaceRefundLater(old.ID),
			nil, l.T(message.ToastInProgress)}, nil
	default:
		return d.buyOutcome(ctx, p, out.Action, out.Err, out.Begun), nil
	}
	o := money.BoughtOrder(out.Action, out.Purchase)
	shown := d.orders.withRule(ctx, p.owner(), view.Order(o)) // the purchase added its watch
	shown = d.orders.withFavourite(ctx, p.acct, o, shown)
	text := l.Bought(shown, d.now(), p.private)
	line, err := d.refundReplaced(ctx, p, out.Action, old)
	if err != nil {
		return answer{}, err
	}
	return answer{text + "\n\n" + line, l.CardKeyboard(shown, p.owner(), o.ID, true, true), l.T(message.ToastDone)}, nil
}

// refundReplaced refunds the number a done purchase replaces and words how
// it went. The old order is read again: the purchase took a moment.
func (d *moneyDesk) refundReplaced(ctx context.Context, p press, buy store.Action, old smsapi.Order) (string, error) {
	l := p.lang
	if fresh, err := d.orders.fetchOrder(ctx, p.acct, old.ID); err == nil {
		old = fresh
	}
	out, kept, err := d.money.ReplaceRefund(ctx, p.acct, buy, old)
	switch {
	case err != nil:
		return "", fmt.Errorf("refund %s after its new number: %w", old.ID, err)
	case kept:
		return l.ReplaceKept(old.ID), nil
	case out.Pending():
		return l.RefundPending(old.ID), nil
	case out.Action.State == store.ActionDone:
		var balance smsapi.Money
		if bal, err := d.api.Balance(ctx, account.Credentials(p.acct)); err == nil {
			balance = bal.Amount
		}
		return l.RefundDone(old.ID, view.Money(old.Price), view.Money(balance)), nil
	}
	return l.ReplaceRefundFailed(old.ID) + "\n" + d.reason(l, out.Err, old.ID), nil
}
