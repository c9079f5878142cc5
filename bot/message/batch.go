package message

import (
	"strconv"
	"strings"
)

// Several numbers in one confirmation: the question, the quantity
// buttons, and the one message that lists the numbers as they are bought.

// Quantities are the counts the buy confirmation offers.
var Quantities = []int{1, 3, 5, 10}

// BuyAskMany asks before buying count numbers of an offer, each for at most
// max.
func (l *Lang) BuyAskMany(offer string, count int, max Money) string {
	return l.t("BuyAskMany", args{"Offer": offer, "Count": count, "Max": l.amount(max),
		"Total": l.amount(Cents(max.Cents * int64(count)))})
}

// BuyManyKeyboard confirms the stored purchase of count numbers nonce
// names, and offers the other quantities.
func (l *Lang) BuyManyKeyboard(owner int64, sourceID, nonce string, count int) *Keyboard {
	var bs buttons
	label := l.T(ButtonBuy)
	if count > 1 {
		label = l.t("ButtonBuyMany", args{"Count": count})
	}
	bs.add(label, Callback{Action: ActBuy, Nonce: nonce})
	bs.add(l.T(ButtonCancel), Callback{Action: ActCancel, Owner: owner, OrderID: sourceID})
	return l.QuantityRow(Rows(bs), nonce, count)
}

// QuantityRow adds the quantity buttons (×1 ×3 ×5 ×10) to a purchase's
// confirmation keyboard; the chosen one is marked.
func (l *Lang) QuantityRow(kb *Keyboard, nonce string, chosen int) *Keyboard {
	var bs buttons
	for _, n := range Quantities {
		label := "×" + strconv.Itoa(n)
		if n == chosen {
			label = "• " + label
		}
		bs.add(label, Callback{Action: ActQuantity, Nonce: nonce, Count: n})
	}
	return withRow(kb, bs)
}

// BatchItem is one number of a batch: bought, or its outcome still being
// found out (Pending).
type BatchItem struct {
	OrderID, Phone string
	Price          Money
	Pending        bool
}

// BatchStatus is where a batch stands.
type BatchStatus int

// Where a batch stands.
const (
	BatchBuying  BatchStatus = iota // number Next is being bought
	BatchAll                        // every number bought
	BatchStopped                    // a refusal stopped it (Why)
	BatchCut                        // a restart stopped it
)

// Batch is the message of a batch of count numbers of offer: each number
// so far, tap-to-copy with its order id and price, and where it stands;
// next is the number being bought (BatchBuying), why what stopped it
// (BatchStopped).
func (l *Lang) Batch(offer string, count int, items []BatchItem, status BatchStatus, next int, why ChainWhy) string {
	done := 0
	var lines []string
	for i, it := range items {
		if it.Pending {
			lines = append(lines, l.t("BatchLinePending", args{"N": i + 1}))
			continue
		}
		done++
		lines = append(lines, l.t("BatchLine", args{"N": i + 1, "Number": RuleNumber(it.Phone, it.OrderID),
			"Order": Escape(it.OrderID), "Price": l.amount(it.Price)}))
	}
	var sb strings.Builder
	sb.WriteString(l.t("BatchTitle", args{"Offer": offer, "Done": done, "Count": count}))
	for _, line := range lines {
		sb.WriteString("\n" + line)
	}
	sb.WriteString("\n\n")
	switch status {
	case BatchBuying:
		sb.WriteString(l.t("BatchBuying", args{"N": next, "Count": count}))
	case BatchAll:
		sb.WriteString(l.t("BatchAll", nil))
	case BatchStopped:
		sb.WriteString(l.t("BatchStopped", nil))
		if w := l.chainEnd(ChainEnd{Why: why}); w != "" {
			sb.WriteString(" " + w)
		}
	case BatchCut:
		sb.WriteString(l.t("BatchCut", nil))
	}
	return sb.String()
}
