package smsapi

import (
	"net/http"
	"strconv"
	"time"
)

// Every guess this package makes about the API lives here, each with why we
// make it. SMSONLINE_API.md (§6, §7) lists what the documentation leaves open;
// when support confirms or refutes a guess, this file is where it changes.

// The {next} words of PATCH /v3/numbers/{userId}/order/{orderId}/{next}: the
// documentation cuts off before listing them.
const (
	// NextRefund returns a number for a refund. Seen only in third-party code
	// that drives SMSOnline's web front end.
	NextRefund = "refund"
	// NextAnotherSMS asks for another SMS on a number that received one.
	// UNCONFIRMED: no documented or seen word; "resend" is our guess.
	NextAnotherSMS = "resend"
)

// keyPlaces says where the API key travels for method: in the query for GET
// and in the JSON body for PUT (both documented). For PATCH the page stops
// before saying, so we send it in both.
func keyPlaces(method string) (inQuery, inBody bool) {
	switch method {
	case http.MethodGet:
		return true, false
	case http.MethodPut:
		return false, true
	}
	return true, true
}

// The m and n of an order are required but undescribed (likely a quote token
// from the unread service-detail page); third-party code sends them empty.
const (
	buyM = ""
	buyN = ""
)

// wireCents writes an amount for the API as decimal integer cents ("20"): we
// assume maximumPrice (a documented string) is in cents like purchasePrice,
// and that the {amount} of an invoice path is cents like V2's top-up.
func wireCents(m Money) string { return strconv.FormatInt(m.Cents, 10) }

// moneyFromText reads an amount the API sent. We assume an integer is cents
// (V3 purchasePrice 16, balance 500) and a decimal is dollars (V2
// purchasePrice 0.16), rounded half away from zero to the cent. Anything else
// is Money{}.
func moneyFromText(s string) Money {
	d, ok := parseDecimal(s)
	if !ok {
		return Money{}
	}
	if !d.point {
		return Cents(d.cents / 100) // the text was whole cents
	}
	return Cents(d.cents)
}

// statusPriceChanged is the documented "Additional action required" of an
// order; V2 says it usually means the price changed. We assume the body, if
// any, may carry the new price in one of priceFields.
const statusPriceChanged = 222

// priceFields are where a 222 answer may hold the new price, in the envelope's
// body or at its top level (a guess: the 222 body is not documented).
var priceFields = []string{"purchasePrice", "price"}

// statusLowBalance is Payment Required; the API documents no code for a low
// balance, 402 is what one would send.
const statusLowBalance = http.StatusPaymentRequired

// outOfStockWords mark an order the API could not fill. NO_NUMBERS is V2's
// documented word; the others are what a V3 message plausibly says.
var outOfStockWords = []string{"no_numbers", "out of stock", "no numbers", "no free numbers"}

// lowBalanceWords mark an order refused for want of money; undocumented, so
// these are guesses. They are checked before credentialWords, which has "key".
var lowBalanceWords = []string{"insufficient", "not enough", "low balance", "balance is too low", "no balance"}

// couponStatusUsable is the coupon status that can still be redeemed: the
// only status the documentation shows.
const couponStatusUsable = "issued"

// paidWords are invoice statuses that mean the money arrived. Only "cancel"
// is documented; these are guesses.
var paidWords = []string{"paid", "success", "completed", "complete", "confirmed"}

// InvoiceLifetime is how long a payment URL stays valid: the documented
// invoice example expires one hour after it was created.
const InvoiceLifetime = time.Hour

// orderedAtField is the order field that reconciling purchases relies on:
// we guess inventory elements carry "orderedAt" (it is not documented).
const orderedAtField = "orderedAt"

// PurchaseLookupLimit is how many expired numbers the inventory is asked
// for when a purchase is looked up, before its request and when its
// outcome is settled. We guess the inventory lists every active number and
// the newest expired ones up to the limit (the order is not documented): a
// number bought just now is active, so it is in the second read and, being
// new, not in the first; asking both times for the same generous limit keeps
// an older number from looking new.
const PurchaseLookupLimit = 100

// OrderedAtSlack is how much earlier than the bot's own clock an order's
// orderedAt may read and still be taken for the purchase the bot just made:
// SMSOnline's clock and ours are not known to agree (orderedAt is not
// documented to be exact, nor in UTC).
//
// It is used only to settle a purchase begun by a version that did not read
// the inventory before its request; newer purchases compare order ids.
const OrderedAtSlack = 2 * time.Minute

// HistoryLimit is the {limit} /history reads the inventory with, and the
// most numbers it keeps. The page documents {limit} as the most expired
// numbers included; we guess that the other numbers come besides, that the
// expired ones kept are the newest, and that SMSOnline sets no smaller cap
// of its own (none is documented). So the newest HistoryLimit numbers of
// one read are the account's last ones.
const HistoryLimit = 100

// refundedWords are the status words of a number whose price went back to
// the balance. Whether a "cancelled" number was refunded is not documented,
// so only "refunded" counts: a cancelled number ended without an SMS and
// its price counts as spent.
var refundedWords = []string{"refunded"}

// orderStatusWords are the order status words the bot knows. Only
// "complete…" is documented; "pending" for a number still waiting is a
// guess (SMSOnline shows no waiting word), the rest are the obvious words
// Order.State reads.
var orderStatusWords = []string{"pending", "completed", "complete", "cancelled", "canceled", "refunded", "expired"}

// paymentStatusWords are the invoice status words the bot knows: the
// documented "cancel", a guessed "pending" and paidWords.
var paymentStatusWords = append([]string{"cancel", "pending"}, paidWords...)

// couponStatusWords are the coupon status words the bot knows: the
// documented "issued", and "used" and "expired" as guesses.
var couponStatusWords = []string{couponStatusUsable, "used", "expired"}

// errorMessageField is where an ok:false answer carries its message: seen
// only in third-party code (result["errorMessage"]), not documented.
const errorMessageField = "errorMessage"
