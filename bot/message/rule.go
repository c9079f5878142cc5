package message

import (
	"strconv"
	"time"
)

// The rule for numbers that get no SMS, as the bot tells what it did: a
// number refunded, a chain's step (the next number bought, the old one
// refunded), why a chain bought no more, and a refund given up.

// RuleNumber is how a rule's message names a number: its phone number,
// else its order id, tap-to-copy.
func RuleNumber(phone, orderID string) string {
	if p := Field(phone); p != "" {
		return p
	}
	return Escape(orderID)
}

// ChainEnd says why a chain bought no more numbers; the zero value is a
// number under the plain refund rule (no chain).
type ChainEnd struct {
	Why ChainWhy
	// WhyNumbers: the number refunded was number N of Max.
	N, Max int
	// WhySpend: the chain's limit and what its replacements cost so far.
	Limit, Spent Money
}

// ChainWhy is why a chain bought no more numbers.
type ChainWhy int

// Why a chain ends buying.
const (
	WhyNone    ChainWhy = iota // no chain: the plain refund rule
	WhyNumbers                 // it reached its number limit
	WhySpend                   // another number could pass its money limit
	WhyStock                   // the purchase was refused: out of stock
	WhyPrice                   // the purchase was refused: the price went above the ceiling
	WhyBalance                 // the purchase was refused: the balance was too low
	WhyRefused                 // the purchase was refused otherwise, or not sent
)

// RuleRefunded says the rule refunded a number that got no SMS within after
// (price: what went back), and, for a chain, why it bought no more.
func (l *Lang) RuleRefunded(number string, after time.Duration, price Money, end ChainEnd) string {
	a := args{"Number": number, "Time": l.Duration(after)}
	text := l.t("RuleRefundedNoPrice", a)
	if price.Valid {
		a["Price"] = l.amount(price)
		text = l.t("RuleRefunded", a)
	}
	if why := l.chainEnd(end); why != "" {
		text += "\n" + why
	}
	return text
}

// chainEnd words why a chain bought no more; "" for none.
func (l *Lang) chainEnd(end ChainEnd) string {
	switch end.Why {
	case WhyNumbers:
		return l.t("ChainEndNumbers", args{"N": end.N, "Max": end.Max})
	case WhySpend:
		return l.t("ChainEndSpend", args{"Limit": l.amount(end.Limit), "Spent": l.amount(end.Spent)})
	case WhyStock:
		return l.t("ChainEndStock", nil)
	case WhyPrice:
		return l.t("ChainEndPrice", nil)
	case WhyBalance:
		return l.t("ChainEndBalance", nil)
	case WhyRefused:
		return l.t("ChainEndRefused", nil)
	}
	return ""
}

// RuleRefundWaits says the rule's refund of a number has an unknown
// outcome: the reconciler tells it.
func (l *Lang) RuleRefundWaits(number string, after time.Duration, end ChainEnd) string {
	text := l.t("RuleRefundWaits", args{"Number": number, "Time": l.Duration(after)})
	if why := l.chainEnd(end); why != "" {
		text += "\n" + why
	}
	return text
}

// RuleGaveUp says SMSOnline refused to refund a number twice: the rule
// leaves it alone, watched (and a chain it was in stops).
func (l *Lang) RuleGaveUp(number string) string {
	return l.t("RuleGaveUp", args{"Number": number})
}

// OldRefund is how the refund of a chain's previous number went.
type OldRefund int

// The outcomes of the refund of a chain's previous number.
const (
	OldRefunded OldRefund = iota // done
	OldRetry                     // refused: tried once more in a minute
	OldPending                   // unknown: the reconciler tells it
	OldKept                      // it got an SMS meanwhile: kept
)

// ChainStep tells one step of a chain: no SMS on old within after, so new
// (the offer, its price) was bought as number n of max, and what came of
// the old one's refund (refunded: the amount back).
func (l *Lang) ChainStep(old string, after time.Duration, new, offer string, price Money, n, max int, oldRefund OldRefund, refunded Money) string {
	head := l.t("ChainStep", args{"Old": old, "Time": l.Duration(after), "New": new, "Offer": offer,
		"Price": l.amount(price), "N": n, "Max": max})
	var tail string
	switch oldRefund {
	case OldRefunded:
		tail = l.t("ChainOldRefundedNoPrice", nil)
		if refunded.Valid {
			tail = l.t("ChainOldRefunded", args{"Price": l.amount(refunded)})
		}
	case OldRetry:
		tail = l.t("ChainOldRetry", nil)
	case OldPending:
		tail = l.t("ChainOldPending", nil)
	case OldKept:
		tail = l.t("ChainOldKept", nil)
	}
	return head + "\n" + tail
}

// ChainKeyboard is the keyboard of a chain's step: stop the chain whose
// current number orderID is.
func (l *Lang) ChainKeyboard(owner int64, orderID string) *Keyboard {
	var bs buttons
	bs.add(l.T(ButtonChainStop), Callback{Action: ActChainStop, Owner: owner, OrderID: orderID})
	return Rows(bs)
}

// StockTrying shows "Keep trying" under way: what it buys, how often, for
// how long more, and the tries made.
func (l *Lang) StockTrying(offer string, ceiling Money, every, left time.Duration, tries int) string {
	return l.t("StockTrying", args{"Offer": offer, "Max": l.amount(ceiling), "Every": l.Duration(every),
		"Left": l.Duration(max(left, time.Second)), "Tries": tries})
}

// StockGaveUp says "Keep trying" ran out of time after span.
func (l *Lang) StockGaveUp(offer string, span time.Duration, tries int) string {
	return l.t("StockGaveUp", args{"Offer": offer, "Span": l.Duration(span), "Tries": tries})
}

// StockStopped says "Keep trying" was stopped.
func (l *Lang) StockStopped(offer string, tries int) string {
	return l.t("StockStopped", args{"Offer": offer, "Tries": tries})
}

// StockTryingKeyboard stops "Keep trying" tryID.
func (l *Lang) StockTryingKeyboard(owner int64, tryID int64) *Keyboard {
	var bs buttons
	bs.add(l.T(ButtonStopTrying), Callback{Action: ActStopTrying, Owner: owner, OrderID: strconv.FormatInt(tryID, 10)})
	return Rows(bs)
}

// KeepTryingRow adds "⏳ Keep trying" for the purchase refused for stock
// nonce names to a keyboard, in a row of its own.
func (l *Lang) KeepTryingRow(kb *Keyboard, nonce string) *Keyboard {
	var bs buttons
	bs.add(l.T(ButtonKeepTrying), Callback{Action: ActKeepTrying, Nonce: nonce})
	return withRow(kb, bs)
}
