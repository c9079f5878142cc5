package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/money"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// "⏳ Keep trying": a purchase refused for stock (/buy, Buy again, New
// number) is tried again by the bot every stockEvery, the first a
// stockEvery after the tap, for up to stockSpan from the tap — SMSOnline's
// V2 documentation says stock usually comes back within minutes, and to
// retry after 20–30 s with the same price ceiling. Each try is a money
// action of its own under the key store.StockTryKey(try, n): a stock
// refusal is definite, so a new try is safe, and a try cut by a crash is
// found, not made again. One message, the one pressed, shows the progress
// with a Stop button, then the card of the number bought (for New number,
// with the old number's refund) or why it ended.

const (
	stockEvery = 30 * time.Second
	stockSpan  = 10 * time.Minute
	// stockBatch bounds the tries read at once.
	stockBatch = 50
)

// stockDesk runs "Keep trying".
type stockDesk struct {
	money *moneyDesk // carries out each try and words its outcome
	store *store.Store
	langs *languages
	log   *slog.Logger
	now   func() time.Time
	wake  chan struct{}
	tick  time.Duration // how often due tries are looked for
	// edit shows text and kb in a message (the Bot's paced editMessage).
	edit func(ctx context.Context, chatID int64, messageID int, text string, kb *message.Keyboard)
}

// keepTrying starts "Keep trying" for the purchase refused for stock its
// button names, once however often it is pressed, in the message pressed.
func (d *stockDesk) keepTrying(ctx context.Context, p press) (answer, error) {
	l, src := p.lang, p.conf
	if src.Kind != store.ActionBuy || src.State != store.ActionFailed || src.Failure != store.FailOutOfStock || !p.edit {
		return answer{toast: l.T(message.ButtonExpired)}, nil
	}
	now := d.now()
	t, started, err := d.store.StartStockTry(ctx, store.StockTry{
		TelegramUserID: p.owner(), SourceAction: src.ID, ChatID: p.chatID, MessageID: p.messageID,
		NextAt: now.Add(stockEvery), Until: now.Add(stockSpan),
	}, now)
	if err != nil {
		return answer{}, fmt.Errorf("keep trying %d: %w", src.ID, err)
	}
	if !started {
		if t.State == store.StockTrying {
			return answer{toast: l.T(message.ToastInProgress)}, nil
		}
		return answer{toast: l.T(message.ConfirmationUsed)}, nil
	}
	d.log.Info("keep trying a purchase refused for stock", "user", p.owner(), "action", src.ID, "try", t.ID)
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return answer{d.progress(l, src, t, now), l.StockTryingKeyboard(p.owner(), t.ID), l.T(message.ToastDone)}, nil
}

// progress is the message of "Keep trying" t under way.
func (d *stockDesk) progress(l *message.Lang, src store.Action, t store.StockTry, now time.Time) string {
	return l.StockTrying(l.Offer(src.ServiceName, src.CountryName, src.Carrier), message.Cents(src.MaxPrice),
		stockEvery, t.Until.Sub(now), t.Tries)
}

// stopTrying is Stop on a "Keep trying": no try after this one. A try in
// flight still ends as it ends, and is told.
func (d *stockDesk) stopTrying(ctx context.Context, p press) (answer, error) {
	l := p.lang
	id, err := strconv.ParseInt(p.c.OrderID, 10, 64)
	if err != nil {
		return answer{toast: l.T(message.ButtonExpired)}, nil
	}
	t, err := d.store.StockTryByID(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return answer{toast: l.T(message.ButtonExpired)}, nil
	case err != nil:
		return answer{}, err
	case t.TelegramUserID != p.owner():
		return answer{toast: l.T(message.NotYourCard)}, nil
	}
	stopped, err := d.store.EndStockTry(ctx, t.ID, store.StockStopped, t.Tries, d.now())
	if err != nil {
		return answer{}, err
	}
	if !stopped {
		return answer{toast: l.T(message.StockStopTooLate)}, nil
	}
	src, err := d.store.Action(ctx, t.SourceAction)
	if err != nil {
		return answer{}, err
	}
	d.log.Info("keep trying stopped", "user", p.owner(), "try", t.ID, "tries", t.Tries)
	return answer{l.StockStopped(l.Offer(src.ServiceName, src.CountryName, src.Carrier), t.Tries),
		buyAgainOf(l, p.owner(), src), l.T(message.ToastStopped)}, nil
}

// buyAgainOf offers buying what src bought again, when it names an order.
func buyAgainOf(l *message.Lang, owner int64, src store.Action) *message.Keyboard {
	if src.SourceOrderID == "" {
		return nil
	}
	return l.BuyAgainKeyboard(owner, src.SourceOrderID)
}

// run makes the due tries until ctx ends.
func (d *stockDesk) run(ctx context.Context) {
	t := time.NewTicker(d.tick)
	defer t.Stop()
	for {
		due, err := d.store.DueStockTries(ctx, d.now(), stockBatch)
		if err != nil && ctx.Err() == nil {
			d.log.Error("can't load keep trying", "err", err)
		}
		for _, t := range due {
			if ctx.Err() != nil {
				return
			}
			d.try(ctx, t)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// try makes the next try of t, or ends it when its time is up.
func (d *stockDesk) try(ctx context.Context, t store.DueStockTry) {
	l := d.langs.resolve(t.Language)
	src, err := d.store.Action(ctx, t.SourceAction)
	if err != nil {
		d.log.Error("can't load the purchase to try again", "try", t.ID, "err", err)
		return
	}
	offer := l.Offer(src.ServiceName, src.CountryName, src.Carrier)
	now := d.now()
	// Tries keep to their schedule (the tap + n × stockEvery), so the last
	// one is at Until however late the loop picks it up.
	if t.KeyErr != nil || t.NextAt.After(t.Until) || now.After(t.Until.Add(stockEvery)) {
		d.end(ctx, t, store.StockEnded, t.Tries, l.StockGaveUp(offer, stockSpan, t.Tries), buyAgainOf(l, t.TelegramUserID, src))
		return
	}
	p := press{acct: t.Account, lang: l, private: t.ChatID == privateChat(t.TelegramUserID), chatID: t.ChatID, messageID: t.MessageID,
		c: message.Callback{Owner: t.TelegramUserID, OrderID: src.SourceOrderID}}
	n := t.Tries + 1
	a := money.BuyAgainOf(src, smsapi.Cents(src.MaxPrice))
	a.Key = store.StockTryKey(t.ID, n)
	if a, err = d.store.OfferKeyedAction(ctx, a, now); err != nil {
		d.log.Error("can't record a try", "try", t.ID, "err", err)
		return
	}
	var old smsapi.Order
	if src.ReplaceOrder != "" {
		// New number: an old number that got an SMS meanwhile is kept, and
		// nothing is bought for it.
		if old, err = d.money.orders.fetchOrder(ctx, t.Account, src.ReplaceOrder); err == nil && !money.Refundable(old, now) {
			d.end(ctx, t, store.StockEnded, t.Tries, l.ReplaceSMSArrived(old.ID), nil)
			return
		}
	}
	out := money.Outcome{Action: a}
	if a.State == store.ActionOffered {
		if out, err = d.money.money.Buy(ctx, t.Account, a); err != nil {
			d.log.Error("can't carry out a try", "try", t.ID, "err", err)
			return
		}
	}
	act := out.Action
	switch {
	case act.State == store.ActionFailed && (act.Failure == store.FailOutOfStock || act.Failure == store.FailNotSent):
		// None yet (or a try a restart cut before it was sent): the next in
		// stockEvery.
		t.Tries = n
		next := t.NextAt.Add(stockEvery)
		if next.Before(now) {
			next = now.Add(stockEvery) // the bot was down: the tries missed are not made up
		}
		if ok, err := d.store.AdvanceStockTry(ctx, t.ID, n, next, now); err != nil || !ok {
			return // stopped meanwhile: Stop said so
		}
		d.edit(ctx, t.ChatID, t.MessageID, d.progress(l, src, t.StockTry, now), l.StockTryingKeyboard(t.TelegramUserID, t.ID))
	case out.Begun && act.State == store.ActionDone:
		d.log.Info("keep trying bought a number", "user", t.TelegramUserID, "try", t.ID, "tries", n, "order", act.OrderID)
		o := money.BoughtOrder(act, out.Purchase)
		shown := d.money.orders.withFavourite(ctx, t.Account, o, view.Order(o))
		text := l.Bought(shown, now, p.private)
		if src.ReplaceOrder != "" {
			line, err := d.money.refundReplaced(ctx, p, act, old)
			if err != nil {
				d.log.Error("can't refund the replaced number", "try", t.ID, "err", err)
				line = l.ReplaceRefundLater(src.ReplaceOrder) // the reconciler's round refunds it
			}
			text += "\n\n" + line
		}
		d.end(ctx, t, store.StockBought, n, text, l.CardKeyboard(shown, t.TelegramUserID, o.ID, true, true))
	case act.State == store.ActionDone:
		// Bought by a try a crash cut: the card as it stands now.
		text, kb := d.money.orders.orderAnswer(ctx, l, t.Account, p.private, act.OrderID, followNone)
		d.end(ctx, t, store.StockBought, n, text, kb)
	case act.State.Unsettled():
		text := l.BuyPending(offer) // the reconciler tells what came of it
		if src.ReplaceOrder != "" {
			text += "\n" + l.ReplaceRefundLater(src.ReplaceOrder)
		}
		d.end(ctx, t, store.StockEnded, n, text, nil)
	default:
		ans := d.money.buyOutcome(ctx, p, act, out.Err, true)
		d.end(ctx, t, store.StockEnded, n, ans.text, ans.kb)
	}
}

// end ends t with state and shows text and kb in its message, unless it
// ended meanwhile (Stop was pressed: that said so).
func (d *stockDesk) end(ctx context.Context, t store.DueStockTry, state store.StockTryState, tries int, text string, kb *message.Keyboard) {
	ended, err := d.store.EndStockTry(ctx, t.ID, state, tries, d.now())
	if err != nil {
		d.log.Error("can't end keep trying", "try", t.ID, "err", err)
		return
	}
	if ended || state == store.StockBought {
		d.edit(ctx, t.ChatID, t.MessageID, text, kb) // a number bought is shown even after a Stop
	}
}
