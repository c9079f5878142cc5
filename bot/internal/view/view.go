// Package view turns what SMSOnline and the store say into what the texts
// of bot/message show: the one place that knows both sides, so that
// bot/message renders without importing smsapi or store.
package view

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Money is m as a text shows it.
func Money(m smsapi.Money) message.Money { return message.Money{Cents: m.Cents, Valid: m.Valid} }

// Order is what a card shows of o, with its state as smsapi reads its
// status word.
func Order(o smsapi.Order) message.Order {
	return message.Order{
		ID:          o.ID,
		Service:     o.Service,
		Country:     o.Country,
		Carrier:     o.Carrier,
		PhoneNumber: o.PhoneNumber,
		Price:       Money(o.Price),
		Status:      o.Status,
		State:       state(o.State()),
		SMS:         o.SMS,
		ExpiresAt:   o.ExpiresAt,
	}
}

func state(s smsapi.State) message.State {
	switch s {
	case smsapi.StateReceived:
		return message.StateReceived
	case smsapi.StateFinal:
		return message.StateFinal
	}
	return message.StateWaiting
}

// History is the account's numbers as /history lists them: newest first
// (those of unknown time last), at most smsapi.HistoryLimit, each with how
// it ended by now.
func History(orders []smsapi.Order, now time.Time) []message.HistoryRow {
	orders = slices.Clone(orders)
	slices.SortStableFunc(orders, func(a, b smsapi.Order) int {
		if a.OrderedAt.IsZero() || b.OrderedAt.IsZero() {
			return boolCompare(a.OrderedAt.IsZero(), b.OrderedAt.IsZero())
		}
		return b.OrderedAt.Compare(a.OrderedAt)
	})
	orders = orders[:min(len(orders), smsapi.HistoryLimit)]
	rows := make([]message.HistoryRow, len(orders))
	for i, o := range orders {
		rows[i] = message.HistoryRow{
			OrderedAt: o.OrderedAt, OrderID: o.ID, Service: cmp.Or(o.Service, o.ServiceCode), Country: cmp.Or(o.Country, o.CountryCode),
			Carrier: o.Carrier, PhoneNumber: o.PhoneNumber, Price: Money(o.Price), End: historyEnd(o, now), SMS: o.SMS,
		}
	}
	return rows
}

// historyEnd is how o ended by now. A refund decides first: it is what the
// money did. A number still waiting past its expiry (SMSOnline did not
// update its status) ended without an SMS.
func historyEnd(o smsapi.Order, now time.Time) message.HistoryEnd {
	switch {
	case o.Refunded():
		return message.EndRefunded
	case o.HasSMS() || o.State() == smsapi.StateReceived:
		return message.EndCode
	case o.State() == smsapi.StateFinal:
		return message.EndNoSMS
	case !o.ExpiresAt.IsZero() && !now.Before(o.ExpiresAt):
		return message.EndNoSMS
	}
	return message.EndWaiting
}

// boolCompare orders false before true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// Watch is the snapshot of w that /orders and a push show.
func Watch(w store.Watch) message.Watch {
	return message.Watch{
		OrderID:     w.OrderID,
		Owner:       w.TelegramUserID,
		Paused:      w.State == store.WatchPaused,
		Service:     w.Service,
		PhoneNumber: w.PhoneNumber,
		Status:      w.Status,
		State:       state(smsapi.Order{Status: w.Status}.State()),
		ExpiresAt:   w.ExpiresAt,
	}
}

// Watches is Watch of each of ws.
func Watches(ws []store.Watch) []message.Watch {
	out := make([]message.Watch, len(ws))
	for i, w := range ws {
		out[i] = Watch(w)
	}
	return out
}

// WithRule is o as its card shows it while watch w waits under the user's
// rule r: when the rule acts on it, unless it is kept or the rule is off.
func WithRule(o message.Order, w store.Watch, r store.Rule) message.Order {
	if w.Kept || w.RuleAt.IsZero() || !r.On() {
		return o
	}
	o.RuleAt, o.RuleReplaces = w.RuleAt, r.Kind == store.RuleRetry
	return o
}

// Favourites are fs as /favourites lists them: a price or ceiling of 0
// cents is none.
func Favourites(fs []store.Favourite) []message.Favourite {
	out := make([]message.Favourite, len(fs))
	for i, f := range fs {
		out[i] = message.Favourite{ID: f.ID, Service: f.ServiceName, Country: f.CountryName, Carrier: f.Carrier,
			Price: Cents(f.Price), Max: Cents(f.MaxPrice)}
	}
	return out
}

// Cents is a stored amount of cents, 0 (or less) being unknown.
func Cents(n int64) message.Money {
	if n <= 0 {
		return message.Money{}
	}
	return message.Cents(n)
}

// Settings is rule r as /settings shows it.
func Settings(r store.Rule) message.Settings {
	switch r.Kind {
	case store.RuleRefund:
		return message.Settings{Kind: message.SettingsRefund, Minutes: r.Minutes}
	case store.RuleRetry:
		return message.Settings{Kind: message.SettingsRetry, Minutes: r.Minutes, Numbers: r.MaxNumbers, Spend: message.Cents(r.MaxSpend)}
	}
	return message.Settings{Kind: message.SettingsOff}
}

// Rule is the rule s sets; its Check says whether it is within the
// limits (s may come from a button's data).
func Rule(s message.Settings) store.Rule {
	switch s.Kind {
	case message.SettingsOff:
		return store.Rule{Kind: store.RuleOff}
	case message.SettingsRefund:
		return store.Rule{Kind: store.RuleRefund, Minutes: s.Minutes}
	case message.SettingsRetry:
		var spend int64
		if s.Spend.Valid {
			spend = s.Spend.Cents
		}
		return store.Rule{Kind: store.RuleRetry, Minutes: s.Minutes, MaxNumbers: s.Numbers, MaxSpend: spend}
	}
	return store.Rule{Kind: store.RuleKind(s.Kind)} // fails Check
}

// SettingsLimits are the store's limits of a rule, as /settings explains
// them.
func SettingsLimits() message.SettingsLimits {
	return message.SettingsLimits{
		MinMinutes: store.MinRuleMinutes, MaxMinutes: store.MaxRuleMinutes,
		MinNumbers: store.MinChainNumbers, MaxNumbers: store.MaxChainNumbers,
		MaxSpend: message.Cents(store.MaxChainSpend),
	}
}

// Balance is what /balance shows of b.
func Balance(b smsapi.Balance) message.Balance {
	out := message.Balance{Amount: Money(b.Amount), TotalCharges: Money(b.TotalCharges), DiscountRate: b.DiscountRate}
	for _, t := range b.Discounts {
		out.Discounts = append(out.Discounts, message.DiscountTier{From: Money(t.From), Label: t.Label})
	}
	return out
}

// Coupons is what /topup lists of cs.
func Coupons(cs []smsapi.Coupon) []message.Coupon {
	var out []message.Coupon
	for _, c := range cs {
		out = append(out, message.Coupon{Code: c.Code, Percentage: c.Percentage, TargetPay: c.TargetPay})
	}
	return out
}

// Failure is what the user is told of err: its kind among smsapi's
// sentinels (ErrorUnknown for none of them) and the wait a rate limit asked
// for.
func Failure(err error) message.APIFailure {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			f := message.APIFailure{Kind: k.kind}
			if k.kind == message.ErrorRateLimited {
				f.RetryAfter = smsapi.RetryAfter(err)
			}
			return f
		}
	}
	return message.APIFailure{Kind: message.ErrorUnknown}
}

// kinds is in the order a failure is matched: an error that wraps several
// sentinels takes the first.
var kinds = []struct {
	err  error
	kind message.ErrorKind
}{
	{smsapi.ErrOrderNotFound, message.ErrorOrderNotFound},
	{smsapi.ErrBadCredentials, message.ErrorBadCredentials},
	{smsapi.ErrRateLimited, message.ErrorRateLimited},
	{smsapi.ErrTransient, message.ErrorTransient},
	{smsapi.ErrMalformed, message.ErrorMalformed},
	{smsapi.ErrRejected, message.ErrorRejected},
	{smsapi.ErrInvalidInput, message.ErrorInvalidInput},
}
