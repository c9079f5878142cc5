package watch

import (
	"context"
	"errors"
	"time"

	"github.com/smsbot/smsbot/bot/internal/account"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// checkJob checks one account's claimed watches: with one inventory
// request when there are several, else (and for any order the inventory
// does not answer) one request per due order.
func (w *Watcher) checkJob(ctx context.Context, job checkJob) []checkResult {
	g := job.watches
	out := make([]checkResult, 0, len(g))
	started := w.cfg.Now()
	for _, dw := range g {
		if !dw.NextCheckAt.After(job.at) {
			w.cfg.Metrics.CheckStarted(dw.NextCheckAt, started)
		}
	}
	if len(g) == 1 || w.lister == nil || g[0].KeyErr != nil || !w.inventoryUsable(g[0].TelegramUserID, job.at) {
		for _, dw := range g {
			if dw.NextCheckAt.After(job.at) {
				out = append(out, released(dw))
				continue
			}
			out = append(out, w.check(ctx, dw))
		}
		return out
	}

	orders, err := w.lister.Inventory(ctx, account.Credentials(g[0].Account), expiredLimit(g, job.at))
	if ctx.Err() != nil {
		return append(out, checkResult{skip: true})
	}
	now := w.cfg.Now()
	byID := make(map[string]smsapi.Order, len(orders))
	switch {
	case err == nil:
		for _, o := range orders {
			if usableListing(o) {
				byID[o.ID] = o
			}
		}
	case errors.Is(err, smsapi.ErrBadCredentials), errors.Is(err, smsapi.ErrRateLimited), errors.Is(err, smsapi.ErrTransient):
		// What a request for each order would have met: the due ones fail.
		for _, dw := range g {
			if dw.NextCheckAt.After(job.at) {
				out = append(out, released(dw))
				continue
			}
			out = append(out, w.failedCheck(dw, err, now))
		}
		return out
	default:
		// The inventory itself is unusable for this account (not offered,
		// unreadable, refused): ask for each order.
		w.log.Warn("inventory call failed, checking orders one by one", "user", g[0].TelegramUserID, "err", err)
		w.mu.Lock()
		w.noInventory[g[0].TelegramUserID] = job.at.Add(noInventoryFor)
		w.mu.Unlock()
	}
	for _, dw := range g {
		if o, ok := byID[dw.OrderID]; ok {
			if dw.NextCheckAt.After(job.at) {
				// Checked early with its account: from now on it keeps the
				// account's beat, so that it is never left a whole interval
				// behind when the watch that set the beat ends.
				dw.NextCheckAt = job.at
			}
			out = append(out, w.render(dw, &o, w.policy.observed(dw, o, now), now))
			continue
		}
		if dw.NextCheckAt.After(job.at) {
			out = append(out, released(dw)) // not due yet: checked on its own schedule
			continue
		}
		out = append(out, w.check(ctx, dw))
	}
	return out
}

// inventoryUsable reports whether the inventory call may be tried for user.
func (w *Watcher) inventoryUsable(user int64, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	until, ok := w.noInventory[user]
	if !ok {
		return true
	}
	if now.Before(until) {
		return false
	}
	delete(w.noInventory, user)
	return true
}

// usableListing reports whether an inventory element says enough to stand
// for the order's own answer. An element without a status, or claiming an
// SMS arrived without its text, is not trusted: the order is asked for.
func usableListing(o smsapi.Order) bool {
	if o.ID == "" || o.Status == "" {
		return false
	}
	return o.HasSMS() || o.State() != smsapi.StateReceived
}

// expiredLimit is how many expired numbers to ask the inventory for: enough
// for the watched orders that have expired or are about to.
func expiredLimit(g []store.DueWatch, now time.Time) int {
	n := 0
	for _, dw := range g {
		if dw.ExpiresAt.IsZero() || dw.ExpiresAt.Before(now.Add(time.Minute)) {
			n++
		}
	}
	return n
}

// released is the outcome of a watch claimed along with its account's due
// ones but left unchecked: its schedule stays, its claim goes.
func released(dw store.DueWatch) checkResult {
	return checkResult{release: true, outcome: store.CheckOutcome{
		TelegramUserID: dw.TelegramUserID,
		OrderID:        dw.OrderID,
		NextCheckAt:    dw.NextCheckAt,
		Failures:       dw.Failures,
	}}
}

// check asks SMSOnline about one watched order and decides what follows.
func (w *Watcher) check(ctx context.Context, dw store.DueWatch) checkResult {
	if dw.KeyErr != nil {
		// The stored key does not open (BOT_ENCRYPTION_KEY changed): asking
		// SMSOnline is pointless until the user links the account again.
		w.log.Error("stored api key does not open: was BOT_ENCRYPTION_KEY changed?", "user", dw.TelegramUserID)
		return w.render(dw, nil, unreadableKey(), w.cfg.Now())
	}
	order, err := w.api.GetOrder(ctx, account.Credentials(dw.Account), dw.OrderID)
	if ctx.Err() != nil {
		return checkResult{skip: true}
	}
	now := w.cfg.Now()
	if err != nil {
		return w.failedCheck(dw, err, now)
	}
	return w.render(dw, &order, w.policy.observed(dw, order, now), now)
}

// failedCheck decides and renders what follows a check that failed with err.
func (w *Watcher) failedCheck(dw store.DueWatch, err error, now time.Time) checkResult {
	v := w.policy.failed(dw, err, now)
	if !v.pause && v.notice != noticeGone {
		w.log.Warn("order check failed, will retry", "user", dw.TelegramUserID, "order", dw.OrderID,
			"failures", v.failures, "err", err)
	}
	return w.render(dw, nil, v, now)
}
