package money

import (
	"context"
	"errors"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// "New number": a purchase that replaces a number that got no SMS, then
// the old number's refund, each at most once. The refund follows only a
// purchase that is done: right after it, in the tap (ReplaceRefund), or,
// for a purchase settled later or cut by a crash, in the reconciler's round
// (refundReplaced). A refused purchase refunds nothing.

// ReplaceRefund refunds old, the number the done purchase buy replaces,
// unless an SMS came on it meanwhile (then it is kept: kept is true, and
// nothing is sent). The caller has just read old.
func (s *Service) ReplaceRefund(ctx context.Context, acct store.Account, buy store.Action, old smsapi.Order) (out Outcome, kept bool, err error) {
	if !Refundable(old, s.cfg.Now()) {
		if _, err := s.store.KeepReplaced(ctx, buy.ID, s.cfg.Now()); err != nil {
			return Outcome{}, false, err
		}
		s.log.Info("replaced number kept: it got an SMS or ended", "user", buy.TelegramUserID, "order", old.ID, "action", buy.ID)
		return Outcome{}, true, nil
	}
	refund := RefundOf(buy.TelegramUserID, old)
	out, err = s.carryOutFrom(ctx, func() (store.Action, bool, error) {
		return s.store.BeginReplacementRefund(ctx, buy, refund, s.cfg.Now())
	}, nil, func(ctx context.Context, a store.Action) (store.Settlement, error) {
		s.log.Info("refunding replaced number", "user", a.TelegramUserID, "order", a.OrderID, "action", a.ID, "purchase", buy.ID)
		if err := s.api.Refund(ctx, account.Credentials(acct), a.OrderID); err != nil {
			return store.Settlement{}, err
		}
		return store.Settlement{OrderID: a.OrderID, Price: a.Price}, nil
	})
	if errors.Is(err, store.ErrReplacementKept) {
		return Outcome{}, true, nil
	}
	return out, false, err
}

// Refundable reports whether order o may be refunded now: it waits for its
// first SMS and has not ended.
func Refundable(o smsapi.Order, now time.Time) bool {
	return !o.HasSMS() && o.State() == smsapi.StateWaiting && (o.ExpiresAt.IsZero() || o.ExpiresAt.After(now))
}

// refundReplaced begins the refunds of replaced numbers that no tap
// began: after a purchase the reconciler settled, or one a crash cut.
func (s *Service) refundReplaced(ctx context.Context) {
	now := s.cfg.Now()
	// A purchase done by a tap is left to that tap for one settle interval:
	// it refunds right after buying.
	due, err := s.store.DueReplacements(ctx, now.Add(-s.cfg.SettleEvery), batch)
	if err != nil && ctx.Err() == nil {
		s.log.Error("can't load replaced numbers to refund", "err", err)
	}
	for _, d := range due {
		if ctx.Err() != nil || d.KeyErr != nil {
			continue // without a key it waits for the next /login
		}
		old, err := s.api.GetOrder(ctx, account.Credentials(d.Account), d.ReplaceOrder)
		if errors.Is(err, smsapi.ErrOrderNotFound) {
			old = smsapi.Order{ID: d.ReplaceOrder, Status: "gone"} // not refundable: kept
		} else if err != nil {
			continue // read again next round
		}
		out, kept, err := s.ReplaceRefund(ctx, d.Account, d.Action, old)
		if err != nil {
			s.log.Error("can't refund replaced number", "action", d.ID, "err", err)
			continue
		}
		s.tellReplaced(ctx, s.lang(d.Language), d.Action, old, "", out, kept)
	}
}

// replaceRefundText tells how the refund of a replaced number went, for a
// notice; "" while its outcome is unknown (the reconciler tells it).
func replaceRefundText(l *message.Lang, buy store.Action, out Outcome, kept bool) string {
	switch {
	case kept:
		return l.ReplaceKept(buy.ReplaceOrder)
	case out.Action.State == store.ActionDone:
		return l.RefundDone(buy.ReplaceOrder, message.Cents(out.Action.Price), message.Money{})
	case out.Action.State == store.ActionFailed:
		return l.ReplaceRefundFailed(buy.ReplaceOrder)
	}
	return ""
}
