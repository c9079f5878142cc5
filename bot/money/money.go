// Package money carries out the actions that move a user's money on
// SMSOnline — a refund and a purchase — at most once, and settles the ones
// whose outcome is unknown. It also watches a balance after a top-up link was
// issued and says when the money arrived.
//
// Every action is a row in the store written before its request is sent
// (intent → sent → done / failed / unknown). A double tap finds the row and
// sends nothing; a request that timed out, broke off or was cut by a crash is
// never sent again: the reconciler reads SMSOnline (the order's status for a
// refund, the inventory for a purchase) until it knows what happened.
package money

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/metrics"
	"github.com/smsbot/smsbot/bot/watch"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// API is what the money actions need from SMSOnline; *smsapi.Client
// implements it.
type API interface {
	GetOrder(ctx context.Context, cred smsapi.Credentials, orderID string) (smsapi.Order, error)
	Inventory(ctx context.Context, cred smsapi.Credentials, expiredLimit int) ([]smsapi.Order, error)
	Balance(ctx context.Context, cred smsapi.Credentials) (smsapi.Balance, error)
	Refund(ctx context.Context, cred smsapi.Credentials, orderID string) error
	Buy(ctx context.Context, cred smsapi.Credentials, r smsapi.BuyRequest) (smsapi.Purchase, error)
}

// Config tunes the service. Zero values take the defaults noted on each.
type Config struct {
	PollInterval time.Duration // the first check of a bought number's watch; default 3s
	// SettleEvery is the time between reads that settle an unknown outcome;
	// default 10s.
	SettleEvery time.Duration
	// SettleReads is how many answers showing no change make an unknown
	// outcome a failure: the request did nothing. Reads that fail do not
	// count. Default 18 (three minutes at the default pace).
	SettleReads int
	// BalanceEvery is the time between reads of a watched balance; default 1m.
	BalanceEvery time.Duration
	// Tick is how often the loop looks for due work; default 1s, or less
	// when the reads are more frequent.
	Tick time.Duration
	// OnChange is called after a settlement added a watch or a message, so
	// the watcher and the sender look at once; nil for none.
	OnChange func()
	// Lang is the language of a user's notices; nil for English.
	Lang    func(telegramUserID int64) *message.Lang
	Metrics *metrics.Metrics // nil for none
	Now     func() time.Time
	Logger  *slog.Logger
}

func (c *Config) setDefaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = 3 * time.Second
	}
	if c.SettleEvery <= 0 {
		c.SettleEvery = 10 * time.Second
	}
	if c.SettleReads <= 0 {
		c.SettleReads = 18
	}
	if c.BalanceEvery <= 0 {
		c.BalanceEvery = time.Minute
	}
	if c.Tick <= 0 {
		c.Tick = min(time.Second, c.SettleEvery, c.BalanceEvery)
	}
	if c.OnChange == nil {
		c.OnChange = func() {}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Lang == nil {
		c.Lang = func(int64) *message.Lang { return message.English }
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Service carries out and settles money actions.
type Service struct {
	cfg   Config
	log   *slog.Logger
	store *store.Store
	api   API
	wake  chan struct{}
}

// New returns a service; Run settles what is left unknown.
func New(cfg Config, st *store.Store, api API) *Service {
	cfg.setDefaults()
	return &Service{cfg: cfg, log: cfg.Logger, store: st, api: api, wake: make(chan struct{}, 1)}
}

// Outcome is how a money action stands after a tap.
type Outcome struct {
	// Action is the stored action. Its State says what happened: done,
	// failed (Err says why), or intent, sent or unknown (the outcome will be
	// told when known).
	Action store.Action
	// Begun is false when the tap found an action an earlier tap began:
	// nothing was sent this time.
	Begun    bool
	Err      error           // SMSOnline's refusal, when the action failed now
	Purchase smsapi.Purchase // the number bought, when a purchase is done now
}

// Pending reports whether the outcome is not known yet.
func (o Outcome) Pending() bool {
	switch o.Action.State {
	case store.ActionIntent, store.ActionSent, store.ActionUnknown:
		return true
	}
	return false
}

// storeTimeout bounds a store write made after a request was answered: it
// runs even when the tap's context ended, so what SMSOnline did is recorded.
const storeTimeout = 10 * time.Second

// afterCall is the context of the writes after a request: not cancelled
// with the tap's, bounded on its own.
func afterCall(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// Refund returns order o for a refund, at most once: the caller has read o
// and checked that it may be refunded (no SMS, not ended). The error is a
// store failure; SMSOnline's answer is in the Outcome.
func (s *Service) Refund(ctx context.Context, acct store.Account, o smsapi.Order) (Outcome, error) {
	return s.carryOut(ctx, store.Action{
		TelegramUserID: acct.TelegramUserID, Kind: store.ActionRefund, Key: o.ID,
		OrderID: o.ID, ServiceName: message.Clip(o.Service), CountryName: message.Clip(o.Country),
		Price: o.Price.Cents, ChatID: privateChat(acct.TelegramUserID),
	}, func(ctx context.Context, a store.Action) (store.Settlement, error) {
		s.log.Info("refunding order", "user", acct.TelegramUserID, "order", o.ID, "action", a.ID)
		if err := s.api.Refund(ctx, watch.Credentials(acct), o.ID); err != nil {
			return store.Settlement{}, err
		}
		return store.Settlement{OrderID: o.ID, Price: o.Price.Cents}, nil
	})
}

// Buy buys the same number as source again for at most max, at most once
// per nonce (the confirmation pressed). The caller has read source and
// checked that it names its service, country and carrier.
func (s *Service) Buy(ctx context.Context, acct store.Account, source smsapi.Order, max smsapi.Money, nonce string) (Outcome, error) {
	var p smsapi.Purchase
	out, err := s.carryOut(ctx, store.Action{
		TelegramUserID: acct.TelegramUserID, Kind: store.ActionBuy, Key: nonce, SourceOrderID: source.ID,
		Service: source.ServiceCode, Country: source.CountryCode, Carrier: source.Carrier,
		ServiceName: message.Clip(source.Service), CountryName: message.Clip(source.Country),
		MaxPrice: max.Cents, ChatID: privateChat(acct.TelegramUserID),
	}, func(ctx context.Context, a store.Action) (store.Settlement, error) {
		s.log.Info("buying number", "user", acct.TelegramUserID, "source", source.ID, "action", a.ID, "max_cents", max.Cents)
		var err error
		p, err = s.api.Buy(ctx, watch.Credentials(acct), smsapi.BuyRequest{
			Service: a.Service, Country: a.Country, Carrier: a.Carrier, MaxPrice: max,
		})
		if err != nil {
			return store.Settlement{}, err
		}
		w := s.boughtWatch(a, BoughtOrder(a, p))
		return store.Settlement{OrderID: p.OrderID, Price: p.Price.Cents, Watch: &w}, nil
	})
	if out.Begun && out.Action.State == store.ActionDone {
		out.Purchase = p
		s.log.Info("bought number", "user", acct.TelegramUserID, "order", p.OrderID, "action", out.Action.ID)
	}
	return out, err
}

// carryOut begins action a and, unless an earlier tap began it, records
// that its request is about to go, sends it once with send, and records what
// came of it: done with send's settlement, unknown (to be read, never sent
// again), or failed. The error is a store failure; SMSOnline's answer is in
// the Outcome.
func (s *Service) carryOut(ctx context.Context, a store.Action, send func(context.Context, store.Action) (store.Settlement, error)) (Outcome, error) {
	now := s.cfg.Now()
	a, begun, err := s.store.BeginAction(ctx, a, now)
	if err != nil || !begun {
		return Outcome{Action: a}, err
	}
	if err := s.store.MarkActionSent(ctx, a.ID, now); err != nil {
		return s.notSent(ctx, a, err)
	}
	set, callErr := send(ctx, a)
	wctx, cancel := afterCall(ctx)
	defer cancel()
	out := Outcome{Action: a, Begun: true}
	switch {
	case callErr == nil:
		err = s.store.SettleAction(wctx, a, set, s.cfg.Now())
		out.Action.State, out.Action.OrderID, out.Action.Price = store.ActionDone, set.OrderID, set.Price
		if err == nil && (set.Watch != nil || set.Notice != nil) {
			s.cfg.OnChange()
		}
	case smsapi.OutcomeUnknown(callErr):
		err = s.unknown(wctx, a, callErr)
		out.Action.State = store.ActionUnknown
	default:
		err = s.store.FailAction(wctx, a.ID, callErr.Error(), s.cfg.Now())
		out.Action.State, out.Err = store.ActionFailed, callErr
	}
	s.count(out.Action.Kind, out.Action.State)
	if err != nil {
		return s.unrecorded(wctx, out, err)
	}
	return out, nil
}

// count records the outcome of a request in the metrics.
func (s *Service) count(kind store.ActionKind, state store.ActionState) {
	s.cfg.Metrics.MoneyAction(kind, string(state))
}

// notSent handles a failure to record that a request is about to go: it
// was not sent, so the action failed and may be tried again.
func (s *Service) notSent(ctx context.Context, a store.Action, err error) (Outcome, error) {
	wctx, cancel := afterCall(ctx)
	defer cancel()
	if ferr := s.store.FailAction(wctx, a.ID, "not sent: "+err.Error(), s.cfg.Now()); ferr != nil {
		s.log.Error("can't fail money action", "action", a.ID, "err", ferr)
	}
	return Outcome{Action: a}, err
}

// unknown records that a request's outcome is not known and has it read
// soon.
func (s *Service) unknown(ctx context.Context, a store.Action, callErr error) error {
	s.log.Warn("money action outcome unknown, settling it by reading SMSOnline", "action", a.ID, "kind", a.Kind, "err", callErr)
	err := s.store.MarkActionUnknown(ctx, a.ID, s.cfg.Now().Add(s.firstRead()), s.cfg.Now())
	s.Wake()
	return err
}

// unrecorded handles a failure to record what SMSOnline did. The request was
// sent: unless the action can be left unknown for the reconciler, it stays
// sent, and the next start-up makes it unknown. Either way nothing is sent
// again.
func (s *Service) unrecorded(ctx context.Context, out Outcome, err error) (Outcome, error) {
	s.log.Error("can't record money action's outcome", "action", out.Action.ID, "state", out.Action.State, "err", err)
	if errors.Is(err, store.ErrActionState) {
		return out, nil // the reconciler settled it first
	}
	if uerr := s.store.MarkActionUnknown(ctx, out.Action.ID, s.cfg.Now().Add(s.firstRead()), s.cfg.Now()); uerr == nil {
		s.Wake()
	}
	out.Action.State, out.Err = store.ActionUnknown, nil
	return out, nil
}

// firstRead is how soon after an unknown outcome SMSOnline is first read:
// a moment, so the answer the request lost has been written there.
func (s *Service) firstRead() time.Duration { return min(2*time.Second, s.cfg.SettleEvery) }

// BalanceEvery is the time between reads of a watched balance.
func (s *Service) BalanceEvery() time.Duration { return s.cfg.BalanceEvery }

// Wake makes Run look for due work now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// BoughtOrder is the order a purchase made, as the card shows it.
func BoughtOrder(a store.Action, p smsapi.Purchase) smsapi.Order {
	return smsapi.Order{
		ID: p.OrderID, ServiceCode: a.Service, CountryCode: a.Country, Carrier: a.Carrier,
		Service: a.ServiceName, Country: a.CountryName, PhoneNumber: p.PhoneNumber,
		Price: p.Price, ExpiresAt: p.ExpiresAt,
	}
}

// boughtWatch is the watch of a number just bought: paid for, so always
// watched, its codes going to the owner's private chat.
func (s *Service) boughtWatch(a store.Action, o smsapi.Order) store.Watch {
	return watch.NewWatch(a.TelegramUserID, o, s.cfg.Now(), s.cfg.PollInterval)
}

// privateChat is the private chat with a user: its id is theirs.
func privateChat(user int64) int64 { return user }
