package money

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Recover takes over what the last run left, before any tap can begin an
// action: an intent was never sent (failed, or a chain's purchase offered
// again), a sent request may have been carried out (unknown, settled by
// Run), and a chain's step cut before its message is told.
func (s *Service) Recover(ctx context.Context) error {
	notices, err := s.cutStepNotices(ctx)
	if err != nil {
		return err
	}
	batches, err := s.cutBatchNotices(ctx)
	if err != nil {
		return err
	}
	notices = append(notices, batches...)
	notSent, unknown, err := s.store.RecoverActions(ctx, s.cfg.Now(), notices...)
	if err != nil {
		return err
	}
	if notSent+unknown > 0 {
		s.log.Info("recovered money actions", "never_sent", notSent, "to_settle", unknown, "steps_told", len(notices))
	}
	return nil
}

// Run settles money actions of unknown outcome, follows watched balances
// and carries out the rule for numbers that get no SMS until ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.runRules(ctx) })
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

// round records the outcomes the store could not take before, settles the
// due actions, finishes the logouts that waited for them and checks the due
// balances.
func (s *Service) round(ctx context.Context) {
	s.writeKept(ctx)
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
	s.refundReplaced(ctx)
	s.finishLogouts(ctx)
}

// verdict is what one read of SMSOnline says about an unknown action.
type verdict int

const (
	unreadable verdict = iota // the read failed: it tells nothing
	unchanged                 // SMSOnline shows no sign of the action (yet)
	happened                  // the action was carried out
	impossible                // the action cannot have happened or can no longer happen
	vanished                  // a refunded order SMSOnline no longer shows: nothing can confirm either way
)

// settle reads SMSOnline once for an action of unknown outcome and settles
// it when the answer says what happened. It never sends the action again.
func (s *Service) settle(ctx context.Context, d store.DueAction) {
	a := d.Action
	if d.KeyErr != nil {
		// The sealed key does not open, or the user logged out before this
		// could be settled: wait for the next /login.
		s.reschedule(ctx, a, time.Minute, false)
		return
	}
	cred := account.Credentials(d.Account)
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
	l := s.lang(d.Language)
	lastRead := a.Checks+1 >= s.cfg.SettleReads
	var err error
	switch {
	case v == happened:
		err = s.settleHappened(ctx, a, d.Account.SMSUserID, l, found, now)
	case v == impossible, v == unchanged && lastRead:
		err = s.settleFailed(ctx, a, store.FailNoSign, "no sign of it on SMSOnline", notDone(l, a), now)
	case v == vanished && lastRead:
		err = s.settleFailed(ctx, a, store.FailUnconfirmed, "the order is gone from SMSOnline",
			l.RefundUnconfirmed(a.OrderID, view.Money(s.balance(ctx, cred))), now)
	default:
		s.reschedule(ctx, a, s.cfg.SettleEvery, v != unreadable)
		return
	}
	if err != nil && !errors.Is(err, store.ErrActionState) {
		s.log.Error("can't settle money action", "action", a.ID, "err", err)
		s.reschedule(ctx, a, s.cfg.SettleEvery, false)
	}
}

// settleFailed records that an unknown action did nothing (or that nothing
// can tell), with the user's notice in the same transaction.
func (s *Service) settleFailed(ctx context.Context, a store.Action, f store.Failure, detail, text string, now time.Time) error {
	if err := s.store.FailActionWithNotice(ctx, a.ID, f, detail, actionNotice(a, text), now); err != nil {
		return err
	}
	s.cfg.Metrics.MoneyAction(a.Kind, "settled_failed")
	s.log.Info("money action did not happen, or can't be confirmed", "action", a.ID, "kind", a.Kind, "failure", f, "reads", a.Checks+1)
	s.cfg.OnChange()
	return nil
}

// balance reads the account's balance for a notice; invalid when it can't.
func (s *Service) balance(ctx context.Context, cred smsapi.Credentials) smsapi.Money {
	bal, err := s.api.Balance(ctx, cred)
	if err != nil {
		return smsapi.Money{}
	}
	return bal.Amount
}

// settleHappened marks an action done, with its notice; smsUser is the
// SMSOnline account it was made on.
func (s *Service) settleHappened(ctx context.Context, a store.Action, smsUser string, l *message.Lang, o smsapi.Order, now time.Time) error {
	set := store.Settlement{OrderID: o.ID, Price: o.Price.Cents}
	switch a.Kind {
	case store.ActionRefund:
		set.Price = a.Price
		set.Notice = actionNotice(a, l.RefundDone(a.OrderID, message.Cents(a.Price), message.Money{}))
	case store.ActionBuy:
		w := s.boughtWatch(a, o)
		set.Watch = &w
		r, err := s.store.UserRule(ctx, a.TelegramUserID)
		if err != nil {
			s.log.Warn("can't load rule", "user", a.TelegramUserID, "err", err)
			r = store.Rule{Kind: store.RuleOff} // the card only leaves its rule line out
		}
		set.Notice = boughtCardNotice(l, a, o, w, r, s.isFavourite(ctx, a, smsUser), now)
	}
	if err := s.store.SettleAction(ctx, a, set, now); err != nil {
		return err
	}
	s.cfg.Metrics.MoneyAction(a.Kind, "settled_done")
	s.log.Info("settled money action", "action", a.ID, "kind", a.Kind, "order", o.ID)
	s.cfg.OnChange()
	return nil
}

// isFavourite reports whether the offer purchase a bought is one of its
// user's favourites on SMSOnline account smsUser: the card's star button
// says so.
func (s *Service) isFavourite(ctx context.Context, a store.Action, smsUser string) bool {
	_, err := s.store.FavouriteOf(ctx, a.TelegramUserID, smsUser, OfferOf(a))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("can't load favourite", "user", a.TelegramUserID, "err", err)
	}
	return err == nil
}

func (s *Service) reschedule(ctx context.Context, a store.Action, in time.Duration, read bool) {
	now := s.cfg.Now()
	if err := s.store.RescheduleAction(ctx, a.ID, now.Add(in), now, read); err != nil && ctx.Err() == nil {
		s.log.Error("can't reschedule money action", "action", a.ID, "err", err)
	}
}

// readRefund reads the refunded order: refunded (or cancelled: the number
// went back) means done; an SMS means it can no longer be refunded; an order
// SMSOnline no longer shows tells nothing either way.
func (s *Service) readRefund(ctx context.Context, cred smsapi.Credentials, a store.Action) (verdict, smsapi.Order) {
	o, err := s.api.GetOrder(ctx, cred, a.OrderID)
	switch {
	case errors.Is(err, smsapi.ErrOrderNotFound):
		return vanished, o
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

// readPurchase looks in the inventory for the number a purchase made (see
// newPurchase).
func (s *Service) readPurchase(ctx context.Context, cred smsapi.Credentials, a store.Action) (verdict, smsapi.Order) {
	orders, err := s.api.Inventory(ctx, cred, smsapi.PurchaseLookupLimit)
	if err != nil {
		return unreadable, smsapi.Order{}
	}
	bought, err := s.store.BoughtOrders(ctx, a.TelegramUserID)
	if err != nil {
		s.log.Error("can't load bought orders", "user", a.TelegramUserID, "err", err)
		return unreadable, smsapi.Order{}
	}
	match := newPurchase
	if !a.HasKnown {
		match = legacyPurchaseMatch
	}
	if o, ok := match(a, orders, bought); ok {
		return happened, o
	}
	return unchanged, smsapi.Order{}
}

// newPurchase finds the order a purchase made among the account's orders
// by what is new, not by clocks: an order of the same service and country
// (any carrier: SMSOnline may fill a purchase on another one) that the
// inventory did not show before the request (a.Known), is not the order
// bought again and did not settle another purchase. Of several, the lowest
// id is taken (another unknown purchase takes the next).
func newPurchase(a store.Action, orders []smsapi.Order, bought map[string]bool) (smsapi.Order, bool) {
	known := make(map[string]bool, len(a.Known))
	for _, id := range a.Known {
		known[id] = true
	}
	var best smsapi.Order
	found := false
	for _, o := range orders {
		switch {
		case o.ID == "" || known[o.ID] || o.ID == a.SourceOrderID || bought[o.ID]:
		case o.ServiceCode != a.Service || o.CountryCode != a.Country:
		case !found || lowerID(o.ID, best.ID):
			best, found = o, true
		}
	}
	return best, found
}

// lowerID orders order ids as numbers when they are (a shorter run of
// digits is smaller), else as text.
func lowerID(a, b string) bool {
	if len(a) != len(b) && isDigits(a) && isDigits(b) {
		return len(a) < len(b)
	}
	return a < b
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// legacyPurchaseMatch settles a purchase begun by a version that did not
// read the inventory before its request: an order of the same service and
// country, any carrier, ordered no earlier than smsapi.OrderedAtSlack before
// the confirmation, not the source and not bought by another action; the
// first ordered of several.
func legacyPurchaseMatch(a store.Action, orders []smsapi.Order, bought map[string]bool) (smsapi.Order, bool) {
	var best smsapi.Order
	found := false
	since := a.CreatedAt.Add(-smsapi.OrderedAtSlack)
	for _, o := range orders {
		switch {
		case o.ID == "" || o.ID == a.SourceOrderID || bought[o.ID]:
		case o.ServiceCode != a.Service || o.CountryCode != a.Country:
		case o.OrderedAt.IsZero() || o.OrderedAt.Before(since):
		case !found || o.OrderedAt.Before(best.OrderedAt):
			best, found = o, true
		}
	}
	return best, found
}

// notDone is the notice of an action that turned out not to have happened.
func notDone(l *message.Lang, a store.Action) string {
	if a.Kind == store.ActionRefund {
		return l.RefundNotDone(a.OrderID)
	}
	return l.BuyNotDone(l.Offer(a.ServiceName, a.CountryName, a.Carrier))
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
	bal, err := s.api.Balance(ctx, account.Credentials(bw.Account))
	switch {
	case errors.Is(err, smsapi.ErrBadCredentials):
		end(nil)
		return
	case err == nil && bal.Amount.Valid && bal.Amount.Cents > bw.Baseline:
		s.log.Info("top-up arrived", "user", bw.TelegramUserID, "cents", bal.Amount.Cents-bw.Baseline)
		end(&store.Message{
			ChatID: bw.ChatID, TelegramUserID: bw.TelegramUserID, Priority: store.PriorityNotice,
			Text: s.lang(bw.Language).BalanceArrived(message.Cents(bal.Amount.Cents-bw.Baseline), view.Money(bal.Amount)),
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
