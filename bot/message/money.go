package message

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Texts of the money actions: refund, another SMS, buying the same again and
// topping up.

// ButtonRefund labels the refund button with what would go back.
func (l *Lang) ButtonRefund(price Money) string {
	if !price.Valid {
		return l.t("ButtonRefund", nil)
	}
	return l.t("ButtonRefundPrice", args{"Price": l.amount(price)})
}

// Offer names what a purchase buys, as HTML: "Discord · United States",
// with the carrier when one was chosen.
func (l *Lang) Offer(service, country, carrier string) string {
	return Escape(l.offerText(service, country, carrier))
}

// offerText is Offer as plain text, for a button.
func (l *Lang) offerText(service, country, carrier string) string {
	parts := []string{}
	for _, p := range []string{service, country} {
		if p = Clip(p); p != "" {
			parts = append(parts, p)
		}
	}
	if c := Clip(chosenCarrier(carrier)); c != "" {
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return l.t("OfferUnnamed", nil)
	}
	return strings.Join(parts, l.t("Separator", nil))
}

// OfferOf names what order o bought.
func (l *Lang) OfferOf(o Order) string { return l.Offer(o.Service, o.Country, o.Carrier) }

// RefundAsk is the confirmation of a refund.
func (l *Lang) RefundAsk(orderID string, price Money) string {
	if !price.Valid {
		return l.t("RefundAsk", args{"Order": Escape(orderID)})
	}
	return l.t("RefundAskPrice", args{"Order": Escape(orderID), "Price": l.amount(price)})
}

// RefundDone says a refund went through; balance is the balance after it,
// when it could be read.
func (l *Lang) RefundDone(orderID string, price, balance Money) string {
	text := l.t("RefundDone", args{"Order": Escape(orderID)})
	if price.Valid {
		text = l.t("RefundDonePrice", args{"Order": Escape(orderID), "Price": l.amount(price)})
	}
	if balance.Valid {
		text += "\n" + l.t("BalanceAfter", args{"Balance": l.amount(balance)})
	}
	return text
}

// RefundAfterSMS says why an order that received an SMS is not refunded.
func (l *Lang) RefundAfterSMS(orderID string) string {
	return l.t("RefundAfterSMS", args{"Order": Escape(orderID), "Button": l.T(ButtonAnotherSMS)})
}

// RefundClosed says an order that ended has nothing to refund.
func (l *Lang) RefundClosed(orderID, status string) string {
	return l.t("RefundClosed", args{"Order": Escape(orderID), "Status": l.Status(status)})
}

// RefundPending says a refund's outcome is not known yet.
func (l *Lang) RefundPending(orderID string) string {
	return l.t("RefundPending", args{"Order": Escape(orderID)})
}

// RefundFailed says SMSOnline refused a refund; reason is APIError's text.
func (l *Lang) RefundFailed(orderID, reason string) string {
	return strings.TrimRight(l.t("RefundFailed", args{"Order": Escape(orderID), "Reason": reason}), "\n")
}

// RefundNotDone is the reconciler's answer when SMSOnline kept showing the
// order as it was: no refund happened.
func (l *Lang) RefundNotDone(orderID string) string {
	return l.t("RefundNotDone", args{"Order": Escape(orderID)})
}

// AnotherSMSAsked confirms that another SMS was asked for.
func (l *Lang) AnotherSMSAsked(orderID string, private bool) string {
	if !private {
		return l.t("AnotherSMSAskedPrivately", args{"Order": Escape(orderID)})
	}
	return l.t("AnotherSMSAsked", args{"Order": Escape(orderID)})
}

// AnotherSMSNotYet says an order still waits for its first SMS.
func (l *Lang) AnotherSMSNotYet(orderID string) string {
	return l.t("AnotherSMSNotYet", args{"Order": Escape(orderID)})
}

// AnotherSMSClosed says an order that ended takes no more SMS.
func (l *Lang) AnotherSMSClosed(orderID string) string {
	return l.t("AnotherSMSClosed", args{"Order": Escape(orderID)})
}

// AnotherSMSFailed says SMSOnline refused another SMS; reason is APIError's text.
func (l *Lang) AnotherSMSFailed(orderID, reason string) string {
	return l.t("AnotherSMSFailed", args{"Order": Escape(orderID), "Reason": reason})
}

// BuyAsk is the confirmation of buying offer again for at most max.
func (l *Lang) BuyAsk(offer, sourceID string, max Money) string {
	return l.t("BuyAsk", args{"Offer": offer, "Max": l.amount(max), "Order": Escape(sourceID)})
}

// BuyPriceChanged asks again after the price went up.
func (l *Lang) BuyPriceChanged(offer string, price Money) string {
	return l.t("BuyPriceChanged", args{"Offer": offer, "Price": l.Money(price)})
}

// BuyOutOfStock says no number is for sale right now.
func (l *Lang) BuyOutOfStock(offer string) string {
	return l.t("BuyOutOfStock", args{"Offer": offer})
}

// LowBalance says the balance does not cover a price, with the top-up
// command that would.
func (l *Lang) LowBalance(balance, price Money) string {
	if !balance.Valid {
		return l.t("LowBalance", args{"Amount": topUpHint(balance, price)})
	}
	return l.t("LowBalanceKnown", args{"Balance": l.amount(balance), "Amount": topUpHint(balance, price)})
}

// topUpHint is a round dollar amount that covers price: at least $5.
func topUpHint(balance, price Money) string {
	need := int64(500)
	if balance.Valid && price.Valid && price.Cents-balance.Cents > need {
		need = price.Cents - balance.Cents
	}
	return fmt.Sprint((need + 99) / 100)
}

// BuyPending says a purchase's outcome is not known yet.
func (l *Lang) BuyPending(offer string) string { return l.t("BuyPending", args{"Offer": offer}) }

// BuyFailed says a purchase was refused; reason is APIError's text.
func (l *Lang) BuyFailed(offer, reason string) string {
	return strings.TrimRight(l.t("BuyFailed", args{"Offer": offer, "Reason": reason}), "\n")
}

// BuyNotDone is the reconciler's answer when no new number turned up. It
// does not offer to buy again: a number may still turn up.
func (l *Lang) BuyNotDone(offer string) string {
	return l.t("BuyNotDone", args{"Offer": offer})
}

// BuyNotSent says a purchase was never sent (a restart, or the inventory
// could not be read first); reason, when not "", says why.
func (l *Lang) BuyNotSent(offer, reason string) string {
	return withReason(l.t("BuyNotSent", args{"Offer": offer}), reason)
}

// RefundNotSent says a refund was never sent; reason as for BuyNotSent.
func (l *Lang) RefundNotSent(orderID, reason string) string {
	return withReason(l.t("RefundNotSent", args{"Order": Escape(orderID)}), reason)
}

// RefundUnconfirmed is the reconciler's answer when a refund's order
// vanished from SMSOnline: nothing can say whether the money went back, so
// the balance (when it could be read) is shown instead.
func (l *Lang) RefundUnconfirmed(orderID string, balance Money) string {
	text := l.t("RefundUnconfirmed", args{"Order": Escape(orderID)})
	if balance.Valid {
		text += "\n" + l.t("BalanceNow", args{"Balance": l.amount(balance)})
	}
	return text
}

// AnotherSMSAlready answers a second "Another SMS" before a new SMS came.
func (l *Lang) AnotherSMSAlready(orderID string) string {
	return l.t("AnotherSMSAlready", args{"Order": Escape(orderID)})
}

// withReason puts a reason line under text, when there is one.
func withReason(text, reason string) string {
	if reason == "" {
		return text
	}
	return text + "\n" + reason
}

// BuyNoPrice asks for a limit when the last price is unknown.
func (l *Lang) BuyNoPrice(orderID string) string {
	return l.t("BuyNoPrice", args{"Order": Escape(orderID)})
}

// BuyPriceUnknown says the price went up without saying to what.
func (l *Lang) BuyPriceUnknown(orderID string) string {
	return l.t("BuyPriceUnknown", args{"Order": Escape(orderID)})
}

// Bought is the card of a number just bought, watched from now on; private
// says whether the card is in the owner's private chat, where the codes go
// (a card in a group says they go there).
func (l *Lang) Bought(o Order, now time.Time, private bool) string {
	return l.t("Bought", nil) + "\n\n" + l.Card(o, now) + "\n\n" + l.WatchingFor(o.HasSMS(), private)
}

// BadMaxPrice says a /buy limit is unusable: it must be above zero and at
// most max.
func (l *Lang) BadMaxPrice(max Money) string { return l.t("BadMaxPrice", args{"Max": l.amount(max)}) }

// BuyEntry is one line of /buy: an offer and the order it was last bought in.
type BuyEntry struct {
	OrderID string
	Service string
	Country string
	Carrier string
	Price   Money
	// Favourite is the id of the favourite the offer is, 0 when it is
	// none: the entry is marked ⭐ and asks to buy the favourite.
	Favourite int64
}

// BuyList is /buy's answer: the favourites first, then what the account
// rented before, newest first, each a button leading to its confirmation.
func (l *Lang) BuyList(owner int64, entries []BuyEntry) (string, *Keyboard) {
	if len(entries) == 0 {
		return l.T(NothingBought), nil
	}
	title := l.t("BuyListTitle", nil)
	if entries[0].Favourite != 0 { // the favourites come first
		title = l.t("BuyListTitleFavourites", nil)
	}
	var rows [][]Button
	for _, e := range entries {
		var bs buttons
		c, room := Callback{Action: ActBuyAsk, Owner: owner, OrderID: e.OrderID}, maxLabelUnits-10
		if e.Favourite != 0 {
			c, room = Callback{Action: ActFavouriteBuy, Owner: owner, OrderID: strconv.FormatInt(e.Favourite, 10)}, room-3
		}
		label := clipUnits(l.offerText(e.Service, e.Country, e.Carrier), room)
		if e.Price.Valid {
			label += l.t("Separator", nil) + l.amount(e.Price)
		}
		if e.Favourite != 0 {
			label = l.t("ButtonFavouriteMark", args{"Label": label})
		}
		bs.add(label, c)
		rows = append(rows, bs)
	}
	return title, Rows(rows...)
}

// maxLabelUnits keeps a button alone in its row readable on a phone
// without being cut: about 33 narrow characters (see TestNativeRules).
const maxLabelUnits = 32

// clipUnits shortens s to n UTF-16 units with an ellipsis.
func clipUnits(s string, n int) string {
	units := 0
	for i, c := range s {
		if units += utf16.RuneLen(c); units > n {
			return s[:i] + "…"
		}
	}
	return s
}

// TopUp is /topup's answer, above the payment buttons. lifetime is how long
// the payment links stay valid; watching says the bot will tell when the
// money arrives; coupons are the unused ones.
func (l *Lang) TopUp(amount Money, lifetime time.Duration, coupon string, watching bool, coupons []Coupon) string {
	lines := []string{l.t("TopUpTitle", args{"Amount": l.amount(amount), "Time": l.Duration(lifetime)})}
	if coupon != "" {
		lines = append(lines, l.t("TopUpCoupon", args{"Coupon": Field(coupon)}))
	}
	if watching {
		lines = append(lines, l.t("TopUpWatching", nil))
	}
	if len(coupons) > 0 && coupon == "" {
		codes := make([]string, 0, len(coupons))
		for _, c := range coupons {
			codes = append(codes, l.coupon(c))
			if len(codes) == 5 {
				break
			}
		}
		lines = append(lines, "\n"+l.t("TopUpCoupons", args{
			"Coupons": strings.Join(codes, l.t("ListComma", nil)), "Amount": amountArg(amount), "Coupon": Field(coupons[0].Code),
		}))
	}
	return strings.Join(lines, "\n")
}

// coupon is one coupon of /topup's list: its code, its discount and, when
// SMSOnline says, the payment it applies to.
func (l *Lang) coupon(c Coupon) string {
	target := l.couponTarget(c.TargetPay)
	if target == "" {
		return l.t("CouponItem", args{"Code": Field(c.Code), "Percent": c.Percentage})
	}
	return l.t("CouponItemFor", args{"Code": Field(c.Code), "Percent": c.Percentage, "Target": target})
}

// couponTarget words the payment a coupon applies to: the two ways /topup
// pays in l's words, another word as SMSOnline gave it.
func (l *Lang) couponTarget(target string) string {
	switch t := strings.TrimSpace(target); strings.ToLower(t) {
	case "":
		return ""
	case "crypto", "cryptomus":
		return l.t("CouponForCrypto", nil)
	case "card":
		return l.t("CouponForCard", nil)
	default:
		return Field(t)
	}
}

// amountArg writes an amount as /topup takes it: "5", "12.50" or "1000",
// never grouped, whatever the language.
func amountArg(m Money) string {
	if m.Cents%100 == 0 {
		return fmt.Sprint(m.Cents / 100)
	}
	return fmt.Sprintf("%d.%02d", m.Cents/100, m.Cents%100)
}

// TopUpFailed says no payment link could be made; reason is APIError's text.
func (l *Lang) TopUpFailed(reason string) string { return l.t("TopUpFailed", args{"Reason": reason}) }

// BalanceArrived is the push after a top-up.
func (l *Lang) BalanceArrived(arrived, balance Money) string {
	return l.t("BalanceArrived", args{"Amount": l.amount(arrived), "Balance": l.amount(balance)})
}

// ReplaceAsk is the confirmation of "New number": buy another offer for at
// most max, then refund orderID (which cost price).
func (l *Lang) ReplaceAsk(offer string, max Money, orderID string, price Money) string {
	if !price.Valid {
		return l.t("ReplaceAskNoPrice", args{"Offer": offer, "Max": l.Money(max), "Order": Escape(orderID)})
	}
	return l.t("ReplaceAsk", args{"Offer": offer, "Max": l.Money(max), "Order": Escape(orderID), "Price": l.Money(price)})
}

// ReplaceSMSArrived answers "New number" on an order that got an SMS in
// between: nothing was bought.
func (l *Lang) ReplaceSMSArrived(orderID string) string {
	return l.t("ReplaceSMSArrived", args{"Order": Escape(orderID)})
}

// ReplaceRefundLater says the old order is refunded once the purchase's
// unknown outcome turns out done.
func (l *Lang) ReplaceRefundLater(orderID string) string {
	return l.t("ReplaceRefundLater", args{"Order": Escape(orderID)})
}

// ReplaceKept says the old order got an SMS meanwhile: kept, not refunded.
func (l *Lang) ReplaceKept(orderID string) string {
	return l.t("ReplaceKept", args{"Order": Escape(orderID)})
}

// ReplaceRefundFailed says the old order could not be refunded and stays
// watched.
func (l *Lang) ReplaceRefundFailed(orderID string) string {
	return l.t("ReplaceRefundFailed", args{"Order": Escape(orderID), "Button": l.t("ButtonRefund", nil)})
}
