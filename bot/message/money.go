package message

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Texts of the money actions: refund, another SMS, buying the same again and
// topping up.

// Button labels of the order actions.
const (
	ButtonAnotherSMS = "📨 Another SMS"
	ButtonBuyAgain   = "🔁 Buy again"
	ButtonYesRefund  = "✅ Yes, refund"
	ButtonNo         = "No"
	ButtonBuy        = "🛒 Buy"
	ButtonCancel     = "Cancel"
	ButtonTryAgain   = "🔁 Try again"
	ButtonPayCrypto  = "💎 Pay with crypto"
	ButtonPayCard    = "💳 Pay by card"
)

// ButtonRefund labels the refund button with what would go back.
func ButtonRefund(price smsapi.Money) string {
	if !price.Valid {
		return "↩️ Refund"
	}
	return "↩️ Refund " + price.String()
}

// ButtonFor labels a button in a message that holds several orders.
func ButtonFor(label, orderID string) string { return label + " · order " + orderID }

// Toasts of the order actions.
const (
	ToastCancelled  = "Cancelled"
	ToastInProgress = "Already in progress: I'll tell you how it ends."
	ToastAsked      = "Asked for another SMS"
	ToastDone       = "Done"
	ToastNotDone    = "It didn't go through"
)

// Offer names what a purchase buys, as HTML: "Discord · United States",
// with the carrier when one was chosen.
func Offer(service, country, carrier string) string {
	return Escape(offerText(service, country, carrier))
}

// offerText is Offer as plain text, for a button.
func offerText(service, country, carrier string) string {
	parts := []string{}
	for _, p := range []string{service, country} {
		if p = Clip(p); p != "" {
			parts = append(parts, p)
		}
	}
	if c := Clip(carrier); c != "" && !strings.EqualFold(c, "any") {
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return "this number"
	}
	return strings.Join(parts, " · ")
}

// OfferOf names what order o bought.
func OfferOf(o smsapi.Order) string { return Offer(o.Service, o.Country, o.Carrier) }

// RefundAsk is the confirmation of a refund.
func RefundAsk(orderID string, price smsapi.Money) string {
	amount := ""
	if price.Valid {
		amount = " (" + price.String() + ")"
	}
	return fmt.Sprintf("↩️ Refund order <code>%s</code>%s?\nThe number goes back to SMSOnline and the money to your balance.", Escape(orderID), amount)
}

// RefundDone says a refund went through; balance is the balance after it,
// when it could be read.
func RefundDone(orderID string, price, balance smsapi.Money) string {
	text := fmt.Sprintf("✅ Order <code>%s</code> refunded", Escape(orderID))
	if price.Valid {
		text += fmt.Sprintf(": <b>%s</b> went back to your balance.", price)
	} else {
		text += ": the money went back to your balance."
	}
	if balance.Valid {
		text += fmt.Sprintf("\nBalance: <b>%s</b>", balance)
	}
	return text
}

// RefundAfterSMS says why an order that received an SMS is not refunded.
func RefundAfterSMS(orderID string) string {
	return fmt.Sprintf("This number already received an SMS, so order <code>%s</code> can't be refunded. Need a new code? Tap “%s”.", Escape(orderID), ButtonAnotherSMS)
}

// RefundClosed says an order that ended has nothing to refund.
func RefundClosed(orderID, status string) string {
	return fmt.Sprintf("Order <code>%s</code> is already %s, so there is nothing to refund.", Escape(orderID), Field(strings.ToLower(strings.TrimSpace(status))))
}

// RefundPending says a refund's outcome is not known yet.
func RefundPending(orderID string) string {
	return fmt.Sprintf("⏳ SMSOnline didn't confirm the refund of order <code>%s</code>. I'm checking whether it went through and will tell you here. I won't send it twice.", Escape(orderID))
}

// RefundFailed says SMSOnline refused a refund; reason is APIError's text.
func RefundFailed(orderID, reason string) string {
	return fmt.Sprintf("❌ Order <code>%s</code> was not refunded.\n%s", Escape(orderID), reason)
}

// RefundNotDone is the reconciler's answer when SMSOnline kept showing the
// order as it was: no refund happened.
func RefundNotDone(orderID string) string {
	return fmt.Sprintf("❌ Order <code>%s</code> was not refunded: SMSOnline still shows it unchanged. Nothing was charged or returned; you can try again.", Escape(orderID))
}

// AnotherSMSAsked confirms that another SMS was asked for.
func AnotherSMSAsked(orderID string, private bool) string {
	where := "here"
	if !private {
		where = "to you in a private chat"
	}
	return fmt.Sprintf("📨 I asked SMSOnline for another SMS for order <code>%s</code>. I'll send it %s the moment it arrives.", Escape(orderID), where)
}

// AnotherSMSNotYet says an order still waits for its first SMS.
func AnotherSMSNotYet(orderID string) string {
	return fmt.Sprintf("Order <code>%s</code> hasn't received its first SMS yet. I'll send the code as soon as it comes.", Escape(orderID))
}

// AnotherSMSClosed says an order that ended takes no more SMS.
func AnotherSMSClosed(orderID string) string {
	return fmt.Sprintf("Order <code>%s</code> has ended, so it can't receive another SMS. Buy the same number again instead?", Escape(orderID))
}

// AnotherSMSFailed says SMSOnline refused another SMS; reason is APIError's text.
func AnotherSMSFailed(orderID, reason string) string {
	return fmt.Sprintf("❌ I couldn't get another SMS for order <code>%s</code>.\n%s", Escape(orderID), reason)
}

// BuyAsk is the confirmation of buying offer again for at most max.
func BuyAsk(offer, sourceID string, max smsapi.Money) string {
	return fmt.Sprintf("🛒 Buy <b>%s</b> again for at most <b>%s</b>?\nAnother limit: <code>/buy %s 0.50</code>", offer, max, Escape(sourceID))
}

// BuyPriceChanged asks again after the price went up.
func BuyPriceChanged(offer string, price smsapi.Money) string {
	return fmt.Sprintf("💱 The price of <b>%s</b> is now <b>%s</b>, above your limit. Buy it for at most %s?", offer, Money(price), Money(price))
}

// BuyOutOfStock says no number is for sale right now.
func BuyOutOfStock(offer string) string {
	return fmt.Sprintf("😕 No <b>%s</b> numbers are free right now. They usually come back within minutes.", offer)
}

// LowBalance says the balance does not cover a price, with the top-up
// command that would.
func LowBalance(balance, price smsapi.Money) string {
	text := "💸 Your balance doesn't cover this number."
	if balance.Valid {
		text = fmt.Sprintf("💸 Your balance (%s) doesn't cover this number.", balance)
	}
	return text + fmt.Sprintf(" Top up first: <code>/topup %s</code>", topUpHint(balance, price))
}

// topUpHint is a round dollar amount that covers price: at least $5.
func topUpHint(balance, price smsapi.Money) string {
	need := int64(500)
	if balance.Valid && price.Valid && price.Cents-balance.Cents > need {
		need = price.Cents - balance.Cents
	}
	return fmt.Sprint((need + 99) / 100)
}

// BuyPending says a purchase's outcome is not known yet.
func BuyPending(offer string) string {
	return fmt.Sprintf("⏳ SMSOnline didn't confirm the purchase of <b>%s</b>. I'm checking your numbers to see whether it went through and will tell you here. I won't buy twice.", offer)
}

// BuyFailed says a purchase was refused; reason is APIError's text.
func BuyFailed(offer, reason string) string {
	return fmt.Sprintf("❌ <b>%s</b> was not bought.\n%s", offer, reason)
}

// BuyNotDone is the reconciler's answer when no new number turned up.
func BuyNotDone(offer, sourceID string) string {
	return fmt.Sprintf("❌ I found no new <b>%s</b> number on your SMSOnline account, so nothing was bought. You can try again: <code>/buy %s</code>", offer, Escape(sourceID))
}

// BuyNoPrice asks for a limit when the last price is unknown.
func BuyNoPrice(orderID string) string {
	return fmt.Sprintf("SMSOnline doesn't say what order <code>%s</code> cost, so name the most you'll pay: <code>/buy %s 0.50</code>", Escape(orderID), Escape(orderID))
}

// BuyPriceUnknown says the price went up without saying to what.
func BuyPriceUnknown(orderID string) string {
	return fmt.Sprintf("The price went above your limit. Name a higher one: <code>/buy %s 0.50</code>", Escape(orderID))
}

// BuyUnknownOffer says an order does not tell what to buy again.
const BuyUnknownOffer = "SMSOnline doesn't say which service, country and carrier this order was, so I can't buy it again."

// Bought is the card of a number just bought, watched from now on.
func Bought(o smsapi.Order, now time.Time) string {
	return "✅ <b>Bought!</b> Your new number:\n\n" + Card(o, now) + "\n\n" + Watching
}

// BoughtNotice is the reconciler's message about a purchase it found: the
// card of the number, with its buttons.
func BoughtNotice(a store.Action, o smsapi.Order, now time.Time) *store.Message {
	return &store.Message{
		ChatID:         a.ChatID,
		TelegramUserID: a.TelegramUserID,
		OrderID:        o.ID,
		Priority:       store.PriorityNotice,
		Text:           Bought(o, now),
		Markup:         MarkupJSON(CardKeyboard(o, a.TelegramUserID, o.ID, true, true)),
	}
}

// ActionNotice is a short message about a money action.
func ActionNotice(a store.Action, text string) *store.Message {
	return &store.Message{
		ChatID:         a.ChatID,
		TelegramUserID: a.TelegramUserID,
		OrderID:        a.OrderID,
		Priority:       store.PriorityNotice,
		Text:           text,
	}
}

// BuyUsage explains /buy.
const BuyUsage = "Send <code>/buy</code> to see what you rented before, or <code>/buy &lt;orderId&gt; &lt;maxPrice&gt;</code> to buy the same as an order again for at most that many dollars, like <code>/buy 20046875 0.50</code>."

// BadMaxPrice says a /buy limit is unusable.
func BadMaxPrice() string {
	return fmt.Sprintf("That isn't a price limit I can use. Send dollars above $0.00 and at most %s, like <code>/buy 20046875 0.50</code>.", MaxBuyCeiling)
}

// NothingBought says /buy has nothing to list.
const NothingBought = "I found no numbers on your SMSOnline account yet, so there is nothing to buy again. Rent one on the website first."

// BuyEntry is one line of /buy: an offer and the order it was last bought in.
type BuyEntry struct {
	OrderID string
	Service string
	Country string
	Carrier string
	Price   smsapi.Money
}

// BuyList is /buy's answer: what the account rented before, newest first,
// each a button leading to its confirmation.
func BuyList(owner int64, entries []BuyEntry) (string, *Keyboard) {
	if len(entries) == 0 {
		return NothingBought, nil
	}
	var rows [][]Button
	for _, e := range entries {
		var bs buttons
		label := clipUnits(offerText(e.Service, e.Country, e.Carrier), maxLabelUnits-10)
		if e.Price.Valid {
			label += " · " + e.Price.String()
		}
		bs.add(label, Callback{Action: ActBuyAsk, Owner: owner, OrderID: e.OrderID})
		rows = append(rows, bs)
	}
	return "🛒 <b>Buy again</b>\nWhat you rented before, newest first, with the last price. Tap one to confirm.", Rows(rows...)
}

// maxLabelUnits keeps a button's label short enough to read on a phone.
const maxLabelUnits = 60

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

// Top-up bounds, in dollars as the user types them.
var (
	MinTopUp = smsapi.Cents(1_00)
	MaxTopUp = smsapi.Cents(1_000_00)
)

// TopUpUsage explains /topup.
const TopUpUsage = "Send the amount in dollars like this: <code>/topup 5</code>\nWith a coupon: <code>/topup 5 &lt;coupon&gt;</code>"

// TopUpInGroup keeps payment links out of groups.
const TopUpInGroup = "💳 Payment links are personal: send <code>/topup</code> to me in a private chat."

// TopUpBadAmount says an amount is unusable.
const TopUpBadAmount = "That isn't an amount I can use. Send dollars from $1.00 to $1,000.00, like <code>/topup 5</code> or <code>/topup 12.50</code>."

// BadCoupon says a coupon code is unusable.
const BadCoupon = "That doesn't look like a coupon code. Codes are letters and digits; see yours with <code>/topup 5</code>."

// TopUp is /topup's answer, above the payment buttons. watching says the
// bot will tell when the money arrives; coupons are the unused ones.
func TopUp(amount smsapi.Money, coupon string, watching bool, coupons []smsapi.Coupon) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "💳 <b>Top up %s</b>\nPick how to pay below. The links work for %s.", amount, Duration(smsapi.InvoiceLifetime))
	if coupon != "" {
		fmt.Fprintf(&sb, "\nCoupon <code>%s</code> applies to the crypto payment.", Field(coupon))
	}
	if watching {
		sb.WriteString("\n💰 I'll tell you here when the money arrives.")
	}
	if len(coupons) > 0 && coupon == "" {
		codes := make([]string, 0, len(coupons))
		for _, c := range coupons {
			codes = append(codes, fmt.Sprintf("<code>%s</code> (%d%%%s)", Field(c.Code), c.Percentage, couponTarget(c.TargetPay)))
			if len(codes) == 5 {
				break
			}
		}
		fmt.Fprintf(&sb, "\n\n🎟 Your coupons: %s\nUse one: <code>/topup %s %s</code>", strings.Join(codes, ", "), amountArg(amount), Field(coupons[0].Code))
	}
	return sb.String()
}

func couponTarget(target string) string {
	if t := strings.TrimSpace(target); t != "" {
		return ", " + Field(t)
	}
	return ""
}

// amountArg writes an amount as /topup takes it: "5" or "12.50".
func amountArg(m smsapi.Money) string {
	if m.Cents%100 == 0 {
		return fmt.Sprint(m.Cents / 100)
	}
	return strings.TrimPrefix(m.String(), "$")
}

// TopUpFailed says no payment link could be made; reason is APIError's text.
func TopUpFailed(reason string) string { return "❌ I couldn't make a payment link.\n" + reason }

// BalanceArrived is the push after a top-up.
func BalanceArrived(arrived, balance smsapi.Money) string {
	return fmt.Sprintf("💰 <b>%s arrived</b> — balance %s", arrived, balance)
}
