package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/store"
)

// The rule for numbers that get no SMS on the cards: a waiting card says
// when the rule acts on its number, "📌 Keep this number" exempts it, and
// "⏹ Stop" on a message of the rule stops its chain of replacements.

// withRule is o, the card of the user's order, with when their rule acts
// on it: read from its watch, so a number not watched, kept or with an
// SMS shows nothing.
func (d *orderDesk) withRule(ctx context.Context, user int64, o message.Order) message.Order {
	if o.HasSMS() || o.State != message.StateWaiting {
		return o
	}
	w, err := d.store.Watch(ctx, user, o.ID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			d.log.Warn("can't load watch", "user", user, "order", o.ID, "err", err)
		}
		return o
	}
	if w.Kept || w.RuleAt.IsZero() {
		return o
	}
	r, err := d.store.UserRule(ctx, user)
	if err != nil {
		d.log.Warn("can't load rule", "user", user, "err", err)
		return o
	}
	return view.WithRule(o, w, r)
}

// pressKeep is "📌 Keep this number": the rule leaves the order alone from
// now on, and the chain it is the number of stops. The card, shown again,
// loses its line and the button.
func (d *orderDesk) pressKeep(ctx context.Context, p press) (answer, error) {
	kept, err := d.store.KeepNumber(ctx, p.owner(), p.c.OrderID, d.now())
	if err != nil {
		return answer{}, fmt.Errorf("keep %s: %w", p.c.OrderID, err)
	}
	if !kept {
		return d.card(ctx, p, followNone, p.lang.T(message.ToastKeepNotWatched)), nil
	}
	d.log.Info("number kept from the rule", "user", p.owner(), "order", p.c.OrderID)
	return d.card(ctx, p, followNone, p.lang.T(message.ToastKept)), nil
}

// pressChainStop is "⏹ Stop" on a message of the rule: the chain the
// order is a number of buys and refunds nothing more; its numbers stay
// watched. The message is the rule's account of what it did, so it is
// left as it is: the answer is a new message (its button entry is apart).
func (d *orderDesk) pressChainStop(ctx context.Context, p press) (answer, error) {
	stopped, err := d.store.StopChainOf(ctx, p.owner(), p.c.OrderID, d.now())
	if err != nil {
		return answer{}, fmt.Errorf("stop the chain of %s: %w", p.c.OrderID, err)
	}
	if !stopped {
		return answer{toast: p.lang.T(message.ToastNothingToStop)}, nil
	}
	d.log.Info("chain stopped", "user", p.owner(), "order", p.c.OrderID)
	return answer{text: p.lang.StoppedReplacing(p.c.OrderID), toast: p.lang.T(message.ToastDone)}, nil
}
