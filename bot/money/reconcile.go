package money

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/watch"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Recover takes over what the last run left, before any tap can begin an
// action: an intent was never sent (failed), a sent request may have been
// carried out (unknown, settled by Run).
func (s *Service) Recover(ctx context.Context) error {
	failed, unknown, err := s.store.RecoverActions(ctx, s.cfg.Now())
	if err != nil {
		return err
	}
	if failed+unknown > 0 {
		s.log.Info("recovered money actions", "never_sent", failed, "to_settle", unknown)
	}
	return nil
}

// Run settles money actions of unknown outcome and follows watched balances
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		s.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// batch bounds the work of one round; the rest waits for the next.
const batch = 20

// round settles the due actions and checks the due balances.
func (s *Service) round(ctx context.Context) {
	due, err := s.store.DueActions(ctx, s.cfg.Now(), batch)
	if err != nil && ctx.Err() == nil {
		s.log.Error("can't load money actions to settle", "err", err)
	}
	for _, d := range due {
		if ctx.Err() != nil {
			return
		}
		s.settle(ctx, d)
	}
	watches, err := s.store.DueBalanceWatches(ctx, s.cfg.Now(), batch)
	if err != nil && ctx.Err() == nil {
		s.log.Error("can't load balance watches", "err", err)
	}
	for _, bw := range watches {
		if ctx.Err() != nil {
			return
		}
		s.checkBalance(ctx, bw)
	}
}

// verdict is what one read of SMSOnline says about an unknown action.
type verdict int

const (
	unreadable verdict = iota // the read failed: it tells nothing
	unchanged                 // SMSOnline shows no sign of the action (yet)
	happened                  // the action was carried out
	impossible                // the action cannot have happened or can no longer happen
)

// settle reads SMSOnline once for an action of unknown outcome and settles
// it when the answer says what happened. It never sends the action again.
func (s *Service) settle(ctx context.Context, d store.DueAction) {
	a := d.Action
	if d.KeyErr != nil {
		// The sealed key does not open: wait for the next /login.
		s.reschedule(ctx, a, time.Minute, false)
		return
	}
	cred := watch.Credentials(d.Account)
	var v verdict
	var found smsapi.Order
	switch a.Kind {
	case store.ActionRefund:
		v, found = s.readRefund(ctx, cred, a)
	case store.ActionBuy:
		v, found = s.readPurchase(ctx, cred, a)
	default:
		s.log.Error("money action of unknown kind", "action", a.ID, "kind", a.Kind)
		return
	}
	now := s.cfg.Now()
	var err error
	switch {
	case v == happened:
		err = s.settleHappened(ctx, a, found, now)
	case v == impossible, v == unchanged && a.Checks+1 >= s.cfg.SettleReads:
		err = s.store.FailActionWithNotice(ctx, a.ID, "no sign of it on SMSOnline", message.ActionNotice(a, s.notDone(a)), now)
		if err == nil {
			s.cfg.Metrics.MoneyAction(a.Kind, "settled_failed")
			s.log.Info("money action did not happen", "action", a.ID, "kind", a.Kind, "reads", a.Checks+1)
			s.cfg.OnChange()
		}
	default:
		s.reschedule(ctx, a, s.cfg.SettleEvery, v == unchanged)
		return
	}
	if err != nil && !errors.Is(err, store.ErrActionState) {
		s.log.Error("can't settle money action", "action", a.ID, "err", err)
		s.reschedule(ctx, a, s.cfg.SettleEvery, false)
	}
}

// settleHappened marks an action done, with its notice.
func (s *Service) settleHappened(ctx context.Context, a store.Action, o smsapi.Order, now time.Time) error {
	set := store.Settlement{OrderID: o.ID, Price: o.Price.Cents}
	switch a.Kind {
	case store.ActionRefund:
		set.Price = a.Price
		set.Notice = message.ActionNotice(a, s.cfg.Lang(a.TelegramUserID).RefundDone(a.OrderID, smsapi.Cents(a.Price), smsapi.Money{}))
	case store.ActionBuy:
		w := s.boughtWatch(a, o)
		set.Watch = &w
		set.Notice = s.cfg.Lang(a.TelegramUserID).BoughtNotice(a, o, now)
	}
	if err := s.store.SettleAction(ctx, a, set, now); err != nil {
		return err
	}
	s.cfg.Metrics.MoneyAction(a.Kind, "settled_done")
	s.log.Info("settled money action", "action", a.ID, "kind", a.Kind, "order", o.ID)
	s.cfg.OnChange()
	return nil
}

func (s *Service) reschedule(ctx context.Context, a store.Action, in time.Duration, read bool) {
	now := s.cfg.Now()
	if err := s.store.RescheduleAction(ctx, a.ID, now.Add(in), now, read); err != nil && ctx.Err() == nil {
		s.log.Error("can't reschedule money action", "action", a.ID, "err", err)
	}
}

// readRefund reads the refunded order: refunded (or cancelled: the number
// went back) means done; an SMS means it can no longer be refunded.
func (s *Service) readRefund(ctx context.Context, cred smsapi.Credentials, a store.Action) (verdict, smsapi.Order) {
	o, err := s.api.GetOrder(ctx, cred, a.OrderID)
	switch {
	case errors.Is(err, smsapi.ErrOrderNotFound):
		return unchanged, o
	case err != nil:
		return unreadable, o
	case refunded(o.Status):
		o.ID = a.OrderID
		return happened, o
	case o.HasSMS() || o.State() == smsapi.StateFinal:
		return impossible, o
	}
	return unchanged, o
}

// refunded reports whether status says the number went back.
func refunded(status string) bool {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "refunded", "cancelled", "canceled":
		return true
	}
	return false
}

// inventoryReadLimit is how many expired numbers the reconciler asks for
// besides the active ones: a number just bought is active.
const inventoryReadLimit = 10

// readPurchase looks in the inventory for the number a purchase would have
// made (see PurchaseMatch).
func (s *Service) readPurchase(ctx context.Context, cred smsapi.Credentials, a store.Action) (verdict, smsapi.Order) {
	orders, err := s.api.Inventory(ctx, cred, inventoryReadLimit)
	if err != nil {
		return unreadable, smsapi.Order{}
	}
	bought, err := s.store.BoughtOrders(ctx, a.TelegramUserID)
	if err != nil {
		s.log.Error("can't load bought orders", "user", a.TelegramUserID, "err", err)
		return unreadable, smsapi.Order{}
	}
	if o, ok := PurchaseMatch(a, orders, bought); ok {
		return happened, o
	}
	return unchanged, smsapi.Order{}
}

// PurchaseMatch finds the order a purchase made among the account's
// orders: the same service, country and carrier ("any" matches every
// carrier), ordered no earlier than smsapi.OrderedAtSlack before the intent
// was written, not the order bought again and not one that settled another
// purchase. Of several, the one ordered first after the intent is taken. An
// order without an order time is never taken: nothing says it is new.
func PurchaseMatch(a store.Action, orders []smsapi.Order, bought map[string]bool) (smsapi.Order, bool) {
	var best smsapi.Order
	found := false
	since := a.CreatedAt.Add(-smsapi.OrderedAtSlack)
	for _, o := range orders {
		switch {
		case o.ID == "" || o.ID == a.SourceOrderID || bought[o.ID]:
		case o.ServiceCode != a.Service || o.CountryCode != a.Country:
		case !strings.EqualFold(a.Carrier, "any") && !strings.EqualFold(o.Carrier, a.Carrier):
		case o.OrderedAt.IsZero() || o.OrderedAt.Before(since):
		case !found || o.OrderedAt.Before(best.OrderedAt):
			best, found = o, true
		}
	}
	return best, found
}

// notDone is the notice of an action that turned out not to have happened.
func (s *Service) notDone(a store.Action) string {
	l := s.cfg.Lang(a.TelegramUserID)
	if a.Kind == store.ActionRefund {
		return l.RefundNotDone(a.OrderID)
	}
	return l.BuyNotDone(l.Offer(a.ServiceName, a.CountryName, a.Carrier), a.SourceOrderID)
}

// checkBalance reads a watched balance: a rise above the baseline is the
// top-up arriving, told once; after the invoice's lifetime the watch ends
// quietly.
func (s *Service) checkBalance(ctx context.Context, bw store.DueBalanceWatch) {
	now := s.cfg.Now()
	end := func(notice *store.Message) {
		if _, err := s.store.EndBalanceWatch(ctx, bw.TelegramUserID, notice, now); err != nil {
			s.log.Error("can't end balance watch", "user", bw.TelegramUserID, "err", err)
			return
		}
		if notice != nil {
			s.cfg.OnChange()
		}
	}
	if bw.KeyErr != nil {
		end(nil)
		return
	}
	bal, err := s.api.Balance(ctx, watch.Credentials(bw.Account))
	switch {
	case errors.Is(err, smsapi.ErrBadCredentials):
		end(nil)
		return
	case err == nil && bal.Amount.Valid && bal.Amount.Cents > bw.Baseline:
		s.log.Info("top-up arrived", "user", bw.TelegramUserID, "cents", bal.Amount.Cents-bw.Baseline)
		end(&store.Message{
			ChatID: bw.ChatID, TelegramUserID: bw.TelegramUserID, Priority: store.PriorityNotice,
			Text: s.cfg.Lang(bw.TelegramUserID).BalanceArrived(smsapi.Cents(bal.Amount.Cents-bw.Baseline), bal.Amount),
		})
		return
	case !now.Before(bw.Until):
		end(nil)
		return
	}
	if err := s.store.RescheduleBalanceWatch(ctx, bw.TelegramUserID, now.Add(s.cfg.BalanceEvery)); err != nil && ctx.Err() == nil {
		s.log.Error("can't reschedule balance watch", "user", bw.TelegramUserID, "err", err)
	}
}
