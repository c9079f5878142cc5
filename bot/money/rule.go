package money

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/metrics"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// The rule for numbers that get no SMS (store/rule.go): a number still
// without an SMS when its time comes is refunded, or, under "retry",
// replaced first as "New number" does it (buy the same, then refund the
// old one) as a chain within the user's limits. Nothing waits per number:
// each watch carries when the rule acts on it, and runRules reads the due
// ones with one indexed query, like the watcher. Every step is a money
// action under a key of its own (a chain's purchase of number n is
// store.ChainKey(chain, n); a refund try is "rule-<order>-<try>"), so a
// crash or a restart finds a step it began instead of making it twice.

const (
	// ruleBatch bounds the steps under way (read and not ended) at once;
	// more are read once half of them have ended.
	ruleBatch = 200
	// ruleWorkers carry out the steps, each user's in one of them, in
	// order, so a slow step holds up a share of the users, not all. Each
	// has one request in flight at a time: 16 keep a cap of 20 requests/s
	// busy while SMSOnline answers within 0.8 s.
	ruleWorkers = 16
	// ruleRetry is when a refused refund is tried once more.
	ruleRetry = time.Minute
	// maxRefundTries bounds the rule's refund tries of one number, those
	// never sent or rate limited included; two refusals end it earlier.
	maxRefundTries = 5
	// maxRefusals is the refusals after which the rule gives up a number.
	maxRefusals = 2
)

// runRules carries out the due steps of the rule until ctx ends. It hands
// each due step to the worker carrying out its user's steps, or to the next
// free one, and reads more once half the steps under way have ended (or at
// the tick), leaving out those still under way: a worker never waits for
// the others to end a batch, so a burst of due steps keeps the request
// cap's slots taken to its last step.
func (s *Service) runRules(ctx context.Context) {
	p := newRulePool()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(p.ready)
	for range ruleWorkers {
		wg.Go(func() {
			for user := range p.ready {
				for d, ok := p.next(user); ok; d, ok = p.next(user) {
					if ctx.Err() == nil && s.ruleStep(ctx, d) {
						p.holdOff(d, s.cfg.Now().Add(s.cfg.SettleEvery))
					}
					p.end(d)
				}
			}
		})
	}
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		s.handOut(ctx, p)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.ruleWake:
		case <-p.ended:
		}
	}
}

// handOut reads the due steps that are not under way, as many as ruleBatch
// leaves room for, and hands them to the workers.
func (s *Service) handOut(ctx context.Context, p *rulePool) {
	// Taken before the read: a step missing from it ended before the read
	// began, so the read sees the rule time it moved.
	busy := p.underWay()
	room := ruleBatch - len(busy)
	if room <= 0 {
		return
	}
	due, err := s.store.DueRules(ctx, s.cfg.Now(), ruleBatch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("can't load due rule steps", "err", err)
		}
		return
	}
	held := p.heldOff(s.cfg.Now())
	for _, d := range due {
		if room == 0 {
			return
		}
		if !busy[stepOf(d)] && !held[stepOf(d)] {
			p.start(d)
			room--
		}
	}
}

// rulePool holds the steps under way: each user's queued in order, for
// one worker at a time.
type rulePool struct {
	ready chan int64    // users with queued steps and no worker yet
	ended chan struct{} // half the steps under way have ended

	mu     sync.Mutex
	busy   map[ruleStepKey]bool      // under way: queued or being carried out
	queued map[int64][]store.DueRule // by user, in the order read
	held   map[int64]bool            // users in ready or with a worker
	// off holds steps whose new rule time the store did not take, until
	// the time given: they are not read again before.
	off map[ruleStepKey]time.Time
}

// ruleStepKey names a step: the watched order it acts on.
type ruleStepKey struct {
	user  int64
	order string
}

func stepOf(d store.DueRule) ruleStepKey {
	return ruleStepKey{d.Watch.TelegramUserID, d.Watch.OrderID}
}

func newRulePool() *rulePool {
	return &rulePool{
		// Never full: a user is in it at most once, and the users with
		// steps under way are at most ruleBatch.
		ready: make(chan int64, ruleBatch),
		ended: make(chan struct{}, 1),
		busy:  make(map[ruleStepKey]bool), queued: make(map[int64][]store.DueRule), held: make(map[int64]bool),
		off: make(map[ruleStepKey]time.Time),
	}
}

// holdOff keeps step d from being handed out again before until.
func (p *rulePool) holdOff(d store.DueRule, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off[stepOf(d)] = until
}

// heldOff returns the steps held off at now, forgetting those whose time
// has come.
func (p *rulePool) heldOff(now time.Time) map[ruleStepKey]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[ruleStepKey]bool, len(p.off))
	for k, until := range p.off {
		if now.Before(until) {
			out[k] = true
		} else {
			delete(p.off, k)
		}
	}
	return out
}

// underWay returns the steps under way.
func (p *rulePool) underWay() map[ruleStepKey]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.busy)
}

// start queues d behind its user's other steps, and hands the user to a
// worker unless one has them.
func (p *rulePool) start(d store.DueRule) {
	user := d.Watch.TelegramUserID
	p.mu.Lock()
	p.busy[stepOf(d)] = true
	p.queued[user] = append(p.queued[user], d)
	hand := !p.held[user]
	p.held[user] = true
	p.mu.Unlock()
	if hand {
		p.ready <- user
	}
}

// next takes the user's next queued step; false when none is left, and the
// user is let go.
func (p *rulePool) next(user int64) (store.DueRule, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.queued[user]
	if len(q) == 0 {
		delete(p.queued, user)
		delete(p.held, user)
		return store.DueRule{}, false
	}
	p.queued[user] = q[1:]
	return q[0], true
}

// end marks d ended, and says when half the room is free again.
func (p *rulePool) end(d store.DueRule) {
	p.mu.Lock()
	delete(p.busy, stepOf(d))
	half := len(p.busy) == ruleBatch/2
	p.mu.Unlock()
	if half {
		select {
		case p.ended <- struct{}{}:
		default:
		}
	}
}

// ruleStep is one due step: it reads the order and, if it still waits for
// its first SMS, refunds it or replaces it. Every way out moves the
// watch's rule time (or removes the watch), so the step is read again only
// when that time comes.
//
// untimed is true when the store could not take the step's new rule time
// (a full disk): the pool then holds the step off for a while, so a step
// whose time cannot move is not read and carried out again at once.
func (s *Service) ruleStep(ctx context.Context, d store.DueRule) (untimed bool) {
	ctx = smsapi.Urgent(ctx) // a user's command goes first, the watcher's checks after
	st := ruleState{s: s, d: d, now: s.cfg.Now()}
	defer func() { untimed = st.untimed }()
	if d.KeyErr != nil {
		st.later(ruleRetry, metrics.RuleWaiting) // a key that does not open pauses the watch
		return
	}
	o, err := s.api.GetOrder(ctx, account.Credentials(d.Account), d.Watch.OrderID)
	switch {
	case errors.Is(err, smsapi.ErrOrderNotFound):
		st.never(ctx, metrics.RuleSMS)
		return
	case err != nil:
		st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
		return
	case !Refundable(o, st.now):
		st.never(ctx, metrics.RuleSMS) // an SMS came, or it ended: a chain ends here
		return
	}
	st.order = o
	st.failed, st.refusals, err = s.store.FailedRefunds(ctx, d.Watch.TelegramUserID, o.ID)
	if err != nil {
		st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
		return
	}
	if st.refusals >= maxRefusals || st.failed >= maxRefundTries {
		st.never(ctx, metrics.RuleGaveUp)
		return
	}
	chain, n, err := s.chainOf(ctx, d, o, st.failed)
	if err != nil {
		s.log.Error("can't load the chain of a number", "user", d.Watch.TelegramUserID, "order", o.ID, "err", err)
		st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
		return
	}
	if chain == nil {
		st.refund(ctx, time.Duration(d.Rule.Minutes)*time.Minute, nil, message.ChainEnd{})
		return
	}
	if chain.State == store.ChainStopped {
		st.never(ctx, metrics.RuleStopped)
		return
	}
	st.chainStep(ctx, *chain, n)
	return
}

// chainOf returns the chain number o is in and its place in it; under
// "retry", a number in none starts one, unless it is being replaced
// already ("New number") or a refund of it failed before. Nil for none.
func (s *Service) chainOf(ctx context.Context, d store.DueRule, o smsapi.Order, failedRefunds int) (*store.Chain, int, error) {
	user := d.Watch.TelegramUserID
	c, n, err := s.store.ChainOf(ctx, user, o.ID)
	switch {
	case err == nil:
		return &c, n, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, 0, err
	case d.Rule.Kind != store.RuleRetry || failedRefunds > 0:
		return nil, 0, nil
	}
	replaced, err := s.store.IsReplaced(ctx, user, o.ID)
	if err != nil || replaced {
		return nil, 0, err
	}
	c, err = s.store.StartChain(ctx, store.Chain{
		TelegramUserID: user, FirstOrder: o.ID, FirstPrice: o.Price.Cents,
		Minutes: d.Rule.Minutes, MaxNumbers: d.Rule.MaxNumbers, MaxSpend: d.Rule.MaxSpend,
	}, s.cfg.Now())
	if err != nil {
		return nil, 0, err
	}
	s.log.Info("chain started", "user", user, "order", o.ID, "chain", c.ID)
	return &c, 1, nil
}

// ruleState is one step under way.
type ruleState struct {
	s   *Service
	d   store.DueRule
	now time.Time

	order            smsapi.Order
	failed, refusals int  // the order's failed refunds, and SMSOnline's refusals among them
	untimed          bool // the store could not take the step's new rule time
}

// later moves the step to after from now, counting outcome.
func (st *ruleState) later(after time.Duration, outcome string) {
	st.at(context.Background(), st.now.Add(after), outcome)
}

// never ends the rule for the number, counting outcome.
func (st *ruleState) never(ctx context.Context, outcome string) {
	st.at(ctx, time.Time{}, outcome)
}

func (st *ruleState) at(ctx context.Context, at time.Time, outcome string) {
	w := st.d.Watch
	wctx, cancel := afterCall(ctx)
	defer cancel()
	if err := st.s.store.SetRuleAt(wctx, w.TelegramUserID, w.OrderID, at); err != nil {
		st.s.log.Error("can't time the rule of a number", "user", w.TelegramUserID, "order", w.OrderID, "err", err)
		st.untimed = true
	}
	st.s.cfg.Metrics.RuleStep(outcome)
}

// lang is the user's language.
func (st *ruleState) lang() *message.Lang { return st.s.lang(st.d.Language) }

// user is the number's owner.
func (st *ruleState) user() int64 { return st.d.Watch.TelegramUserID }

// chainStep is a step of chain c whose number n the order is: buy the
// next number and refund this one, or, when the chain may buy no more,
// refund this one.
func (st *ruleState) chainStep(ctx context.Context, c store.Chain, n int) {
	s := st.s
	steps, err := s.store.ChainSteps(ctx, c)
	if err != nil {
		s.log.Error("can't load the steps of a chain", "chain", c.ID, "err", err)
		st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
		return
	}
	current, currentN, spent := c.FirstOrder, 1, int64(0)
	var next *store.Action
	for i, a := range steps {
		_, k, _ := store.ParseChainKey(a.Key)
		if a.State == store.ActionDone {
			spent += a.Price
			if k > currentN {
				current, currentN = a.OrderID, k
			}
			if a.ReplaceOrder == st.order.ID && a.ReplaceState == store.ReplacePending {
				// Bought, and this number's refund not begun yet: the
				// reconciler's round begins it and tells the step.
				st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
				return
			}
		}
		if k == n+1 {
			next = &steps[i]
		}
	}
	after := time.Duration(c.Minutes) * time.Minute
	if current != st.order.ID {
		// A number the chain replaced, whose refund did not go through:
		// refunded alone, once more (a second refusal stops the chain).
		st.refund(ctx, after, &c, message.ChainEnd{})
		return
	}
	if next != nil {
		switch {
		case next.State.Unsettled():
			st.later(s.cfg.SettleEvery, metrics.RuleWaiting) // the reconciler settles it
		case next.State == store.ActionFailed && !refused(next.Failure):
			st.again(ctx, c, *next)
		case next.State == store.ActionFailed:
			st.refund(ctx, after, &c, endOf(*next))
		case next.State == store.ActionOffered:
			// Never sent: a crash after the offer, or one that cut the
			// purchase before its request (RecoverActions offers it again).
			st.buy(ctx, c, n, *next)
		default:
			st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
		}
		return
	}
	if c.State == store.ChainEnding {
		st.refund(ctx, after, &c, message.ChainEnd{}) // a number it replaced got its SMS
		return
	}
	if n >= c.MaxNumbers {
		st.refund(ctx, after, &c, message.ChainEnd{Why: message.WhyNumbers, N: n, Max: c.MaxNumbers})
		return
	}
	left := c.MaxSpend - spent
	ceiling := min(left, MaxBuyCeiling)
	if c.FirstPrice > 0 {
		ceiling = min(ceiling, c.FirstPrice*(100+BuyMarginPercent)/100)
	}
	if ceiling <= 0 || left < c.FirstPrice {
		st.refund(ctx, after, &c, message.ChainEnd{Why: message.WhySpend,
			Limit: message.Cents(c.MaxSpend), Spent: message.Cents(spent)})
		return
	}
	a := ReplacementOf(st.user(), st.order, smsapi.Cents(ceiling))
	a.Key = store.ChainKey(c.ID, n+1)
	a, err = s.store.OfferKeyedAction(ctx, a, st.now)
	if err != nil {
		s.log.Error("can't record a chain's purchase", "chain", c.ID, "err", err)
		st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
		return
	}
	st.buy(ctx, c, n, a)
}

// again offers the chain's purchase a again, a minute later: it was never
// sent (the inventory could not be read first) or SMSOnline asked to slow
// down, so nothing was refused and the step is still to make. It is bounded
// by the number's life: an order that ended is not replaced.
func (st *ruleState) again(ctx context.Context, c store.Chain, a store.Action) {
	if err := st.s.store.ReofferChainStep(ctx, a.ID, st.now); err != nil {
		st.s.log.Error("can't offer a chain's purchase again", "chain", c.ID, "action", a.ID, "err", err)
	}
	st.later(ruleRetry, metrics.RuleWaiting)
}

// endOf is why a chain whose purchase a failed buys no more.
func endOf(a store.Action) message.ChainEnd { return message.ChainEnd{Why: view.Why(a)} }

// buy carries out the chain's purchase a of number n+1 and, once it is
// done, refunds the order it replaces; refused, the order is refunded
// alone and the chain buys no more.
func (st *ruleState) buy(ctx context.Context, c store.Chain, n int, a store.Action) {
	s := st.s
	out, err := s.Buy(ctx, st.d.Account, a)
	switch {
	case err != nil:
		s.log.Error("can't carry out a chain's purchase", "chain", c.ID, "err", err)
		st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
		return
	case !out.Begun || out.Pending():
		st.later(s.cfg.SettleEvery, metrics.RulePending) // the reconciler settles it, then refunds this number
		return
	case out.Action.State == store.ActionFailed && !refused(out.Action.Failure):
		st.again(ctx, c, out.Action)
		return
	case out.Action.State == store.ActionFailed:
		s.cfg.Metrics.RuleStep(metrics.RuleBuyRefused)
		st.refund(ctx, time.Duration(c.Minutes)*time.Minute, &c, endOf(out.Action))
		return
	}
	s.log.Info("chain bought the next number", "chain", c.ID, "number", n+1, "order", out.Action.OrderID)
	s.cfg.Metrics.RuleStep(metrics.RuleReplaced)
	refund, kept, err := s.ReplaceRefund(ctx, st.d.Account, out.Action, st.order)
	if err != nil {
		s.log.Error("can't refund a chain's replaced number", "chain", c.ID, "err", err)
		return // the reconciler's round begins it
	}
	s.tellReplaced(ctx, st.lang(), out.Action, st.order, out.Purchase.PhoneNumber, refund, kept)
}

// tellReplaced tells how the refund of old, the number purchase buy
// replaced, went: as a chain's step when buy is one, else as "New
// number" does. A refused one of a chain is tried once more by the rule.
func (s *Service) tellReplaced(ctx context.Context, l *message.Lang, buy store.Action, old smsapi.Order, newPhone string, out Outcome, kept bool) {
	now := s.cfg.Now()
	var notice *store.Message
	if chainID, _, isChain := store.ParseChainKey(buy.Key); isChain {
		oldRefund, refunded := message.OldPending, message.Money{}
		switch {
		case kept:
			oldRefund = message.OldKept
			// The SMS came after all: the chain buys no more, and its new
			// number is refunded when its time comes.
			if err := s.store.EndChainBuying(ctx, chainID, now); err != nil {
				s.log.Error("can't end a chain's buying", "chain", chainID, "err", err)
			}
		case out.Action.State == store.ActionDone:
			oldRefund = message.OldRefunded
			if out.Action.Price > 0 {
				refunded = message.Cents(out.Action.Price)
			}
		case out.Action.State == store.ActionFailed:
			oldRefund = message.OldRetry
		}
		if oldRefund == message.OldRetry || oldRefund == message.OldPending {
			// The rule tries the old number once more, or finds its outcome.
			if err := s.store.SetRuleAt(ctx, buy.TelegramUserID, old.ID, now.Add(ruleRetry)); err != nil {
				s.log.Error("can't time the rule of a replaced number", "order", old.ID, "err", err)
			}
		}
		notice = s.chainStepNotice(ctx, l, buy, old, newPhone, oldRefund, refunded)
	}
	if notice == nil {
		if text := replaceRefundText(l, buy, out, kept); text != "" {
			notice = actionNotice(buy, text)
		}
	}
	if notice != nil {
		s.enqueue(ctx, notice)
	}
}

// chainStepNotice is the message of the chain's step whose purchase buy
// replaced old, the old number's refund standing as oldRefund; nil when
// buy is no chain's or its chain can't be read. newPhone is the number
// bought, "" to read it from its watch.
func (s *Service) chainStepNotice(ctx context.Context, l *message.Lang, buy store.Action, old smsapi.Order, newPhone string, oldRefund message.OldRefund, refunded message.Money) *store.Message {
	id, n, ok := store.ParseChainKey(buy.Key)
	if !ok {
		return nil
	}
	c, err := s.store.Chain(ctx, id)
	if err != nil {
		s.log.Error("can't load a chain", "chain", id, "err", err)
		return nil
	}
	if newPhone == "" {
		if w, err := s.store.Watch(ctx, buy.TelegramUserID, buy.OrderID); err == nil {
			newPhone = w.PhoneNumber
		}
	}
	text := l.ChainStep(message.RuleNumber(old.PhoneNumber, old.ID), time.Duration(c.Minutes)*time.Minute,
		message.RuleNumber(newPhone, buy.OrderID), l.Offer(buy.ServiceName, buy.CountryName, buy.Carrier),
		message.Cents(buy.Price), n, c.MaxNumbers, oldRefund, refunded)
	return &store.Message{
		ChatID: buy.TelegramUserID, TelegramUserID: buy.TelegramUserID, OrderID: buy.OrderID,
		Priority: store.PriorityNotice, Text: text,
		Markup: message.MarkupJSON(l.ChainKeyboard(buy.TelegramUserID, buy.OrderID)),
	}
}

// cutStepNotices are the messages of the chains' steps a crash cut
// between their purchase and their message (store.CutChainSteps): the
// number bought, and the old one's refund pending, as when its answer is
// lost; its outcome is told when the reconciler settles it or the rule
// refunds it again.
func (s *Service) cutStepNotices(ctx context.Context) ([]store.Message, error) {
	cut, err := s.store.CutChainSteps(ctx)
	if err != nil {
		return nil, err
	}
	var notices []store.Message
	for _, d := range cut {
		old := smsapi.Order{ID: d.ReplaceOrder}
		if w, err := s.store.Watch(ctx, d.TelegramUserID, d.ReplaceOrder); err == nil {
			old.PhoneNumber = w.PhoneNumber
		}
		if m := s.chainStepNotice(ctx, s.lang(d.Language), d.Action, old, "", message.OldPending, message.Money{}); m != nil {
			s.log.Info("telling a chain's step a restart cut", "user", d.TelegramUserID, "action", d.ID, "order", d.OrderID)
			notices = append(notices, *m)
		}
	}
	return notices, nil
}

// refund refunds the order alone (try failed+1), after it got no SMS
// within after; c is the chain it is in, if any (stopped when SMSOnline
// refuses a second time), and end why that chain buys no more. The notice of a refund done is written
// with its settlement.
func (st *ruleState) refund(ctx context.Context, after time.Duration, c *store.Chain, end message.ChainEnd) {
	s, o, l := st.s, st.order, st.lang()
	number := message.RuleNumber(o.PhoneNumber, o.ID)
	a := RefundOf(st.user(), o)
	a.Key = "rule-" + o.ID + "-" + strconv.Itoa(st.failed+1)
	a, err := s.store.OfferKeyedAction(ctx, a, st.now)
	if err != nil {
		s.log.Error("can't record the rule's refund", "order", o.ID, "err", err)
		st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
		return
	}
	var kb *message.Keyboard
	if end.Why == message.WhyStock || end.Why == message.WhyPrice {
		kb = l.BuyAgainKeyboard(st.user(), o.ID)
	}
	notice := func(text string) *store.Message {
		m := actionNotice(a, text)
		m.Markup = message.MarkupJSON(kb)
		return m
	}
	out, err := s.carryOut(ctx, a, nil, func(ctx context.Context, a store.Action) (store.Settlement, error) {
		s.log.Info("the rule refunds a number that got no SMS", "user", a.TelegramUserID, "order", a.OrderID, "action", a.ID)
		if err := s.api.Refund(ctx, account.Credentials(st.d.Account), a.OrderID); err != nil {
			return store.Settlement{}, err
		}
		return store.Settlement{OrderID: a.OrderID, Price: a.Price,
			Notice: notice(l.RuleRefunded(number, after, priceOf(a.Price), end))}, nil
	})
	switch {
	case err != nil:
		s.log.Error("can't carry out the rule's refund", "order", o.ID, "err", err)
		st.later(s.cfg.SettleEvery, metrics.RuleWaiting)
	case !out.Begun && out.Action.State == store.ActionDone:
		st.never(ctx, metrics.RuleRefunded) // refunded before (its own card, a crash): told then
	case !out.Begun || out.Pending():
		if out.Begun {
			s.enqueue(ctx, notice(l.RuleRefundWaits(number, after, end)))
		}
		st.later(ruleRetry, metrics.RulePending)
	case out.Action.State == store.ActionDone:
		s.cfg.OnChange() // the watch ended with the settlement, which wrote the notice
		s.cfg.Metrics.RuleStep(metrics.RuleRefunded)
	case refused(out.Action.Failure) && st.refusals+1 >= maxRefusals, st.failed+1 >= maxRefundTries:
		s.log.Warn("the rule gives up a number SMSOnline won't refund", "user", st.user(), "order", o.ID)
		if c != nil {
			if err := s.store.StopChain(ctx, *c, st.now); err != nil {
				s.log.Error("can't stop a chain", "chain", c.ID, "err", err)
			}
		}
		s.enqueue(ctx, actionNotice(a, l.RuleGaveUp(number)))
		st.never(ctx, metrics.RuleGaveUp)
	default:
		st.later(ruleRetry, metrics.RuleRefundRefused) // once more, a minute later
	}
}

// refused reports whether a failure is SMSOnline saying no (not a request
// never sent, or turned away by the rate limit).
func refused(f store.Failure) bool {
	return f != store.FailNotSent && f != store.FailRateLimited
}

// priceOf is a stored price as money; unknown when 0.
func priceOf(cents int64) message.Money {
	if cents <= 0 {
		return message.Money{}
	}
	return message.Cents(cents)
}

// enqueue writes a notice, even when ctx ended.
func (s *Service) enqueue(ctx context.Context, m *store.Message) {
	wctx, cancel := afterCall(ctx)
	defer cancel()
	if _, err := s.store.Enqueue(wctx, *m, s.cfg.Now()); err != nil {
		s.log.Error("can't enqueue a notice", "user", m.TelegramUserID, "err", err)
	}
	s.cfg.OnChange()
}
