package bot

import (
	"context"
	"fmt"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/money"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Several numbers in one confirmation. The buy confirmation offers ×1 ×3
// ×5 ×10; choosing one asks again for that many (a new confirmation, with
// its quantity stored), as `/buy <orderId> <maxPrice> <count>` does. The
// confirmation is the purchase of the first number; number i is a money
// action of its own keyed store.BatchItemKey(nonce, i), offered only once
// number i-1 ended, so a double tap, a lost answer or a crash never buys
// one more than confirmed. They are bought one after another (under the
// request cap); the first refusal stops the rest. One message, the one
// pressed, lists the numbers as they come.

// quantityAsk is ×N on a purchase's confirmation: the same purchase asked
// again for N numbers, as a new confirmation (the one pressed is left
// unused).
func (d *moneyDesk) quantityAsk(ctx context.Context, p press) (answer, error) {
	l, conf := p.lang, p.conf
	if conf.State != store.ActionOffered || conf.ReplaceOrder != "" || p.c.Count < 1 || p.c.Count > store.MaxQuantity {
		return answer{toast: l.T(message.ButtonExpired)}, nil
	}
	a := money.BuyAgainOf(conf, smsapi.Cents(conf.MaxPrice))
	a.Quantity = p.c.Count
	a, err := d.money.Offer(ctx, a)
	if err != nil {
		return answer{}, fmt.Errorf("offer %d like %s: %w", p.c.Count, conf.SourceOrderID, err)
	}
	fav, isFav := d.orders.favouriteOf(ctx, p.acct, money.OfferOf(a))
	return d.buyQuestion(ctx, l, p.acct, a, fav, isFav), nil
}

// buyBatch carries out a confirmed batch, once: number after number until
// all are bought or one is refused.
func (d *moneyDesk) buyBatch(ctx context.Context, p press) (answer, error) {
	head, l := p.conf, p.lang
	offer := l.Offer(head.ServiceName, head.CountryName, head.Carrier)
	started, err := d.store.StartBatch(ctx, head.ID, d.now())
	if err != nil {
		return answer{}, err
	}
	if !started {
		return d.batchSoFar(ctx, p, head, offer)
	}
	d.log.Info("buying several numbers", "user", p.owner(), "action", head.ID, "count", head.Quantity)
	var items []message.BatchItem
	status, why := message.BatchAll, message.WhyNone
	for i := 1; i <= head.Quantity; i++ {
		a := head
		if i > 1 {
			a = money.BuyAgainOf(head, smsapi.Cents(head.MaxPrice))
			a.Key = store.BatchItemKey(head.Key, i)
			if a, err = d.store.OfferKeyedAction(ctx, a, d.now()); err != nil {
				d.log.Error("can't record a number of a batch", "action", head.ID, "number", i, "err", err)
				status, why = message.BatchStopped, message.WhyRefused
				break
			}
		}
		if p.edit && i > 1 {
			d.edit(ctx, p.chatID, p.messageID, l.Batch(offer, head.Quantity, items, message.BatchBuying, i, message.WhyNone), nil)
		}
		out, err := d.money.Buy(ctx, p.acct, a)
		if err != nil {
			d.log.Error("can't buy a number of a batch", "action", head.ID, "number", i, "err", err)
			status, why = message.BatchStopped, message.WhyRefused
			break
		}
		switch {
		case out.Begun && out.Action.State == store.ActionDone:
			o := money.BoughtOrder(out.Action, out.Purchase)
			items = append(items, message.BatchItem{OrderID: o.ID, Phone: o.PhoneNumber, Price: view.Money(o.Price)})
		case out.Action.State.Unsettled():
			items = append(items, message.BatchItem{Pending: true}) // the reconciler tells it
		default:
			status, why = message.BatchStopped, view.Why(out.Action)
		}
		if status == message.BatchStopped {
			break
		}
	}
	// Ended even when the tap's time ran out (the numbers after were not
	// sent): a press later must not find it running.
	if err := d.store.EndBatch(context.WithoutCancel(ctx), head.ID, d.now()); err != nil {
		d.log.Error("can't end a batch", "action", head.ID, "err", err)
	}
	d.wakeWatcher()
	toast := l.T(message.ToastDone)
	if status != message.BatchAll {
		toast = l.T(message.ToastNotDone)
	}
	return answer{l.Batch(offer, head.Quantity, items, status, 0, why), nil, toast}, nil
}

// batchSoFar answers a batch confirmation pressed again: what it bought
// so far, and nothing more.
func (d *moneyDesk) batchSoFar(ctx context.Context, p press, head store.Action, offer string) (answer, error) {
	l := p.lang
	all, err := d.store.BatchItems(ctx, head)
	if err != nil {
		return answer{}, err
	}
	if head.BatchState == store.BatchRunning {
		return answer{toast: l.T(message.ToastInProgress)}, nil
	}
	items, status, why := view.Batch(head, all, func(orderID string) string {
		w, _ := d.orders.store.Watch(ctx, head.TelegramUserID, orderID)
		return w.PhoneNumber
	})
	return answer{l.T(message.ConfirmationUsed) + "\n" + l.Batch(offer, head.Quantity, items, status, 0, why), nil, l.T(message.ToastNotDone)}, nil
}
