// Package money carries out the actions that move a user's money on
// SMSOnline — a refund and a purchase — at most once, and settles the ones
// whose outcome is unknown. It also watches a balance after a top-up link was
// issued and says when the money arrived, and finishes a /logout that waited
// for a money action to settle.
//
// Every action is a row in the store written when its confirmation is shown
// (offered), before its request is sent (intent → sent → done / failed /
// unknown). The button carries only the row's nonce: what is sent is what
// the row says. A double tap finds the row pressed and sends nothing; a
// refusal ends it (trying again is a new confirmation); a request that timed
// out, broke off or was cut by a crash is never sent again: the reconciler
// reads SMSOnline (the order's status for a refund, the inventory for a
// purchase) until it knows what happened.
package money

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/metrics"
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
	// LogoutWait is how long a /logout waits for the user's money actions
	// to settle (SMSOnline not answering) before it forgets the key anyway;
	// the actions are settled after the next /login. Default 30m.
	LogoutWait time.Duration
	// Tick is how often the loop looks for due work; default 1s, or less
	// when the reads are more frequent.
	Tick time.Duration
	// OnChange is called after a settlement added a watch or a message, so
	// the watcher and the sender look at once; nil for none.
	OnChange func()
	// Fallback is the language of users whose language the bot does not
	// speak (see message.For); nil for English.
	Fallback *message.Lang
	Metrics  *metrics.Metrics // nil for none
	Now      func() time.Time
	Logger   *slog.Logger
}

func (c *Config) setDefaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = account.DefaultPollInterval
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
	if c.LogoutWait <= 0 {
		c.LogoutWait = 30 * time.Minute
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
	// ruleWake makes the rule look for due steps now.
	ruleWake chan struct{}

	// unwritten holds what SMSOnline answered and the store could not
	// record (a full disk): each is written again every round until it is.
	mu        sync.Mutex
	unwritten map[int64]unwritten
}

// New returns a service; Run settles what is left unknown.
func New(cfg Config, st *store.Store, api API) *Service {
	cfg.setDefaults()
	return &Service{cfg: cfg, log: cfg.Logger, store: st, api: api, wake: make(chan struct{}, 1),
		ruleWake: make(chan struct{}, 1), unwritten: make(map[int64]unwritten)}
}

// Outcome is how a money action stands after a tap.
type Outcome struct {
	// Action is the stored action. Its State says what happened: done,
	// failed (its Failure says why), or intent, sent or unknown (the outcome
	// will be told when known).
	Action store.Action
	// Begun is false when the tap found an action an earlier tap began:
	// nothing was sent this time.
	Begun    bool
	Err      error           // SMSOnline's refusal, or why the request was not sent, when the action failed now
	Purchase smsapi.Purchase // the number bought, when a purchase is done now
}

// Pending reports whether the outcome is not known yet.
func (o Outcome) Pending() bool { return o.Action.State.Unsettled() }

// storeTimeout bounds a store write made after a request was answered: it
// runs even when the tap's context ended, so what SMSOnline did is recorded.
const storeTimeout = 10 * time.Second

// afterCall is the context of the writes after a request: not cancelled
// with the tap's, bounded on its own.
func afterCall(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// Offer records the confirmation of action a (from RefundOf, BuyOf or
// BuyAgainOf) about to be shown, under a fresh nonce: the returned action's
// Key, which is all its button carries.
func (s *Service) Offer(ctx context.Context, a store.Action) (store.Action, error) {
	a.Key = NewNonce()
	return s.store.OfferAction(ctx, a, s.cfg.Now())
}

// RefundOf is the refund of order o, which the caller has read and found
// refundable, for user.
func RefundOf(user int64, o smsapi.Order) store.Action {
	return store.Action{
		TelegramUserID: user, Kind: store.ActionRefund, OrderID: o.ID,
		ServiceName: message.Clip(o.Service), CountryName: message.Clip(o.Country),
		Price: o.Price.Cents, ChatID: privateChat(user),
	}
}

// BuyOf is the purchase of what source was (its service, country and
// carrier) again, for at most max, for user.
func BuyOf(user int64, source smsapi.Order, max smsapi.Money) store.Action {
	return store.Action{
		TelegramUserID: user, Kind: store.ActionBuy, SourceOrderID: source.ID,
		Service: source.ServiceCode, Country: source.CountryCode, Carrier: source.Carrier,
		// The names to show; the codes when SMSOnline gave no names.
		ServiceName: message.Clip(cmp.Or(source.Service, source.ServiceCode)),
		CountryName: message.Clip(cmp.Or(source.Country, source.CountryCode)),
		MaxPrice:    max.Cents, Price: source.Price.Cents, ChatID: privateChat(user),
	}
}

// BuyFavouriteOf is the purchase of favourite f's offer, for at most max,
// for its user. Its source is the order the favourite names, so "Cancel"
// and "/buy <orderId> <maxPrice>" have an order to name.
func BuyFavouriteOf(f store.Favourite, max smsapi.Money) store.Action {
	return store.Action{
		TelegramUserID: f.TelegramUserID, Kind: store.ActionBuy, SourceOrderID: f.OrderID,
		Service: f.Service, Country: f.Country, Carrier: f.Carrier,
		ServiceName: message.Clip(cmp.Or(f.ServiceName, f.Service)),
		CountryName: message.Clip(cmp.Or(f.CountryName, f.Country)),
		MaxPrice:    max.Cents, Price: f.Price, ChatID: privateChat(f.TelegramUserID),
	}
}

// OfferOf is what purchase a buys, in SMSOnline's codes.
func OfferOf(a store.Action) store.Offer {
	return store.Offer{Service: a.Service, Country: a.Country, Carrier: a.Carrier}
}

// BuyAgainOf is purchase a offered anew (after a refusal), for at most max.
func BuyAgainOf(a store.Action, max smsapi.Money) store.Action {
	return store.Action{
		TelegramUserID: a.TelegramUserID, Kind: store.ActionBuy, SourceOrderID: a.SourceOrderID,
		Service: a.Service, Country: a.Country, Carrier: a.Carrier,
		ServiceName: a.ServiceName, CountryName: a.CountryName,
		MaxPrice: max.Cents, Price: a.Price, ChatID: a.ChatID, ReplaceOrder: a.ReplaceOrder,
	}
}

// ReplacementOf is "New number" for old, a number that got no SMS: the
// same service, country and carrier bought for at most max, and old
// refunded once the purchase is done (ReplaceRefund).
func ReplacementOf(user int64, old smsapi.Order, max smsapi.Money) store.Action {
	a := BuyOf(user, old, max)
	a.ReplaceOrder = old.ID
	return a
}

// Confirmation returns the action a confirmation's button names by its
// nonce, or an error wrapping store.ErrNotFound. Whose it is, is the
// caller's to check.
func (s *Service) Confirmation(ctx context.Context, kind store.ActionKind, nonce string) (store.Action, error) {
	return s.store.ActionByKey(ctx, kind, nonce)
}

// Refund carries out the offered refund a, at most once: the caller has
// read its order and checked that it may be refunded (no SMS, not ended).
// The error is a store failure; SMSOnline's answer is in the Outcome.
func (s *Service) Refund(ctx context.Context, acct store.Account, a store.Action) (Outcome, error) {
	return s.carryOut(ctx, a, nil, func(ctx context.Context, a store.Action) (store.Settlement, error) {
		s.log.Info("refunding order", "user", acct.TelegramUserID, "order", a.OrderID, "action", a.ID)
		if err := s.api.Refund(ctx, account.Credentials(acct), a.OrderID); err != nil {
			return store.Settlement{}, err
		}
		return store.Settlement{OrderID: a.OrderID, Price: a.Price}, nil
	})
}

// Buy carries out the offered purchase a, at most once. Before its request
// it reads the inventory and records the orders of that service and country
// already there: an unknown outcome is settled by the one that is new. When
// that read fails, the purchase is not sent.
func (s *Service) Buy(ctx context.Context, acct store.Account, a store.Action) (Outcome, error) {
	cred := account.Credentials(acct)
	var p smsapi.Purchase
	out, err := s.carryOut(ctx, a, func(ctx context.Context, a store.Action) error {
		return s.recordKnownOrders(ctx, cred, a)
	}, func(ctx context.Context, a store.Action) (store.Settlement, error) {
		s.log.Info("buying number", "user", acct.TelegramUserID, "source", a.SourceOrderID, "action", a.ID, "max_cents", a.MaxPrice)
		var err error
		p, err = s.api.Buy(ctx, cred, smsapi.BuyRequest{
			Service: a.Service, Country: a.Country, Carrier: a.Carrier, MaxPrice: smsapi.Cents(a.MaxPrice),
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

// errNotRead is why a purchase was not sent: the inventory could not be
// read first.
type errNotRead struct{ err error }

func (e errNotRead) Error() string { return "inventory not read before buying: " + e.err.Error() }
func (e errNotRead) Unwrap() error { return e.err }

// recordKnownOrders reads the inventory before a purchase and records the
// ids of its orders of the same service and country.
func (s *Service) recordKnownOrders(ctx context.Context, cred smsapi.Credentials, a store.Action) error {
	orders, err := s.api.Inventory(ctx, cred, smsapi.PurchaseLookupLimit)
	if err != nil {
		return errNotRead{err}
	}
	known := []string{}
	for _, o := range orders {
		if o.ServiceCode == a.Service && o.CountryCode == a.Country && o.ID != "" {
			known = append(known, o.ID)
		}
	}
	return s.store.SetKnownOrders(ctx, a.ID, known, s.cfg.Now())
}

// carryOut begins the offered action a and, unless an earlier tap began it,
// runs prepare (nil for none; an error fails the action unsent), records
// that its request is about to go, sends it once with send, and records what
// came of it: done with send's settlement, unknown (to be read, never sent
// again), or failed. The error is a store failure before the request; after
// it, what SMSOnline did is in the Outcome, recorded later if the store
// fails now.
func (s *Service) carryOut(ctx context.Context, a store.Action, prepare func(context.Context, store.Action) error, send func(context.Context, store.Action) (store.Settlement, error)) (Outcome, error) {
	return s.carryOutFrom(ctx, func() (store.Action, bool, error) { return s.store.BeginAction(ctx, a.ID, s.cfg.Now()) }, prepare, send)
}

// carryOutFrom is carryOut with its own first step: begin writes the
// intent and says whether this call did.
func (s *Service) carryOutFrom(ctx context.Context, begin func() (store.Action, bool, error), prepare func(context.Context, store.Action) error, send func(context.Context, store.Action) (store.Settlement, error)) (Outcome, error) {
	a, begun, err := begin()
	if err != nil || !begun {
		return Outcome{Action: a}, err
	}
	if prepare != nil {
		if err := prepare(ctx, a); err != nil {
			return s.notSent(ctx, a, err)
		}
	}
	if err := s.store.MarkActionSent(ctx, a.ID, s.cfg.Now()); err != nil {
		return s.notSent(ctx, a, err)
	}
	set, callErr := send(ctx, a)
	wctx, cancel := afterCall(ctx)
	defer cancel()
	out := Outcome{Action: a, Begun: true}
	var w unwritten
	switch {
	case callErr == nil:
		w = unwritten{action: a, settle: &set}
		out.Action.State, out.Action.OrderID, out.Action.Price = store.ActionDone, set.OrderID, set.Price
	case smsapi.OutcomeUnknown(callErr):
		s.log.Warn("money action outcome unknown, settling it by reading SMSOnline", "action", a.ID, "kind", a.Kind, "err", callErr)
		w = unwritten{action: a}
		out.Action.State = store.ActionUnknown
	default:
		f, newPrice := failureOf(callErr)
		w = unwritten{action: a, failure: f, detail: callErr.Error(), newPrice: newPrice}
		out.Action.State, out.Action.Failure, out.Action.NewPrice, out.Err = store.ActionFailed, f, newPrice.Cents, callErr
	}
	s.count(a.Kind, out.Action.State)
	if err := s.write(wctx, w); err != nil {
		s.keep(w, err)
	}
	return out, nil
}

// count records the outcome of a request in the metrics.
func (s *Service) count(kind store.ActionKind, state store.ActionState) {
	s.cfg.Metrics.MoneyAction(kind, string(state))
}

// notSent fails an action whose request never left: it stays failed, and
// trying again is a new confirmation.
func (s *Service) notSent(ctx context.Context, a store.Action, err error) (Outcome, error) {
	wctx, cancel := afterCall(ctx)
	defer cancel()
	s.log.Warn("money action not sent", "action", a.ID, "kind", a.Kind, "err", err)
	if ferr := s.store.FailAction(wctx, a.ID, store.FailNotSent, "not sent: "+err.Error(), 0, s.cfg.Now()); ferr != nil {
		s.log.Error("can't fail money action; the next start will", "action", a.ID, "err", ferr)
	}
	a.State, a.Failure = store.ActionFailed, store.FailNotSent
	return Outcome{Action: a, Begun: true, Err: err}, nil
}

// failureOf classes SMSOnline's refusal, with the new price of a 222. A
// request that never left (the tap's context ended while it waited for the
// request cap) was not refused: it was not sent.
func failureOf(err error) (store.Failure, smsapi.Money) {
	var e *smsapi.Error
	switch {
	case errors.As(err, &e) && !e.Sent:
		return store.FailNotSent, smsapi.Money{}
	case errors.Is(err, smsapi.ErrPriceChanged):
		price, _ := smsapi.NewPrice(err)
		return store.FailPriceChanged, price
	case errors.Is(err, smsapi.ErrOutOfStock):
		return store.FailOutOfStock, smsapi.Money{}
	case errors.Is(err, smsapi.ErrLowBalance):
		return store.FailLowBalance, smsapi.Money{}
	case errors.Is(err, smsapi.ErrRateLimited):
		return store.FailRateLimited, smsapi.Money{}
	}
	return store.FailRefused, smsapi.Money{}
}

// firstRead is how soon after an unknown outcome SMSOnline is first read:
// a moment, so the answer the request lost has been written there.
func (s *Service) firstRead() time.Duration { return min(2*time.Second, s.cfg.SettleEvery) }

// BalanceEvery is the time between reads of a watched balance.
func (s *Service) BalanceEvery() time.Duration { return s.cfg.BalanceEvery }

// Wake makes Run look for due work now.
func (s *Service) Wake() {
	for _, c := range []chan struct{}{s.wake, s.ruleWake} {
		select {
		case c <- struct{}{}:
		default:
		}
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
	return account.NewWatch(a.TelegramUserID, o, s.cfg.Now(), s.cfg.PollInterval)
}

// lang is the language to tell a user in, from what the store knows of it.
func (s *Service) lang(ul store.UserLanguage) *message.Lang {
	return message.For(ul.Chosen, ul.Seen, s.cfg.Fallback)
}

// privateChat is the private chat with a user: its id is theirs.
func privateChat(user int64) int64 { return user }
