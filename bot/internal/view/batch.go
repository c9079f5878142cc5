package view

import (
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/store"
)

// Why is why refused purchase a stops what it was part of (a chain, a
// batch), as the texts say it.
func Why(a store.Action) message.ChainWhy {
	switch a.Failure {
	case store.FailOutOfStock:
		return message.WhyStock
	case store.FailPriceChanged:
		return message.WhyPrice
	case store.FailLowBalance:
		return message.WhyBalance
	}
	return message.WhyRefused
}

// Batch is what the message of batch head shows of its numbers all (head
// first, from store.BatchItems): each one bought or still unsettled, and
// where the batch stands. Numbers begun but never sent are not shown.
// phone gives a bought number's phone (a purchase's row keeps none; its
// watch does), "" when unknown.
func Batch(head store.Action, all []store.Action, phone func(orderID string) string) ([]message.BatchItem, message.BatchStatus, message.ChainWhy) {
	var items []message.BatchItem
	status, why := message.BatchAll, message.WhyNone
	for _, a := range all {
		switch {
		case a.State == store.ActionDone:
			items = append(items, message.BatchItem{OrderID: a.OrderID, Phone: phone(a.OrderID), Price: message.Cents(a.Price)})
		case a.State == store.ActionSent || a.State == store.ActionUnknown:
			items = append(items, message.BatchItem{Pending: true})
		case a.State == store.ActionFailed && a.Failure != store.FailNotSent:
			status, why = message.BatchStopped, Why(a)
		}
	}
	switch {
	case status == message.BatchAll && len(items) == head.Quantity:
		// Every number bought (a restart after the last one changes nothing).
	case head.BatchState == store.BatchCut || head.BatchState == store.BatchRunning:
		status = message.BatchCut
	case status == message.BatchAll:
		status = message.BatchStopped
	}
	return items, status, why
}
