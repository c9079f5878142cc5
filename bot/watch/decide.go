package watch

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/smsbot/smsbot/bot/internal/jitter"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// observed decides the outcome of a successful check.
func (w *Watcher) observed(dw store.DueWatch, o smsapi.Order, now time.Time) store.CheckOutcome {
	out := store.CheckOutcome{
		TelegramUserID: dw.TelegramUserID,
		OrderID:        dw.OrderID,
		LastCheckedAt:  now,
		Status:         message.Clip(o.Status), // the snapshot is capped as the card caps what it shows
		Service:        message.Clip(o.Service),
		PhoneNumber:    message.Clip(o.PhoneNumber),
		ExpiresAt:      o.ExpiresAt,
		NextCheckAt:    w.nextPoll(dw.NextCheckAt, now, w.cfg.PollInterval),
	}
	expires := o.ExpiresAt
	if expires.IsZero() {
		expires = dw.ExpiresAt
	}
	if o.HasSMS() {
		out.SMS = o.SMS
		out.Push = w.lang(dw).Push(dw.Watch, o, now)
		// Another SMS was asked for: the next one is as urgent as the first.
		if !now.Before(dw.FastUntil) {
			out.NextCheckAt = w.nextPoll(dw.NextCheckAt, now, smsInterval(w.cfg.PollInterval))
		}
	}
	over := !expires.IsZero() && now.After(expires.Add(w.cfg.ExpiryGrace))
	switch {
	case o.State() == smsapi.StateFinal:
		out.End = true
		if !o.HasSMS() {
			out.Notice = message.Notice(dw.Watch, w.lang(dw).OrderEnded(dw.OrderID, o.Service, o.Status))
		}
	case over:
		out.End = true
		if !o.HasSMS() {
			out.Notice = message.Notice(dw.Watch, w.lang(dw).OrderExpired(dw.OrderID, o.Service))
		}
	case !expires.IsZero() && out.NextCheckAt.After(expires.Add(w.cfg.ExpiryGrace)):
		// One last look just after the grace period, not a full interval later.
		out.NextCheckAt = expires.Add(w.cfg.ExpiryGrace).Add(time.Second)
	}
	return out
}

// nextPoll is when an order checked at now is checked again: interval (the
// poll interval, or the slower pace after an SMS arrived) after the check
// was due rather than after it finished, so that the time a check takes and
// scheduling delays do not stretch the interval. A check more than half a
// poll interval late means the watcher fell behind (downtime, or a saturated
// request cap): then the next check is half to one poll interval away, at
// random, whatever the pace. Under a saturated cap that shares the requests
// out round robin, so a slow-paced watch does not wait its pace on top of the
// queue; and watches that were late together do not stay a herd that hits
// SMSOnline and Telegram at the same instant.
func (w *Watcher) nextPoll(due, now time.Time, interval time.Duration) time.Time {
	if due.IsZero() {
		return now.Add(interval) // the first check: its beat starts now
	}
	half := w.cfg.PollInterval / 2
	if now.Sub(due) > half {
		return now.Add(half + time.Duration(rand.Int64N(int64(half)+1)))
	}
	return due.Add(interval)
}

// failed decides what follows a failed check. Only a refused key and an
// unknown order stop checking; everything else is retried with backoff.
func (w *Watcher) failed(dw store.DueWatch, err error, now time.Time) checkResult {
	out := store.CheckOutcome{TelegramUserID: dw.TelegramUserID, OrderID: dw.OrderID, Failures: dw.Failures + 1}
	switch {
	case errors.Is(err, smsapi.ErrBadCredentials):
		return checkResult{outcome: out, pause: message.Notice(dw.Watch, w.lang(dw).T(message.WatchesPaused))}
	case errors.Is(err, smsapi.ErrOrderNotFound), errors.Is(err, smsapi.ErrInvalidInput):
		out.End = true
		out.Notice = message.Notice(dw.Watch, w.lang(dw).WatchedOrderGone(dw.OrderID))
		return checkResult{outcome: out}
	}
	w.log.Warn("order check failed, will retry", "user", dw.TelegramUserID, "order", dw.OrderID,
		"failures", out.Failures, "err", err)
	if !dw.ExpiresAt.IsZero() && now.After(dw.ExpiresAt.Add(giveUpAfterExpiry)) {
		out.End = true
		out.Notice = message.Notice(dw.Watch, w.lang(dw).WatchGaveUp(dw.OrderID))
		return checkResult{outcome: out}
	}
	wait := backoff(w.cfg.PollInterval, out.Failures)
	if ra := smsapi.RetryAfter(err); ra > wait {
		wait = ra
	}
	out.NextCheckAt = now.Add(wait)
	// Never sleep through the end of the order: look again right after it.
	if end := dw.ExpiresAt.Add(w.cfg.ExpiryGrace); !dw.ExpiresAt.IsZero() && now.Before(end) && out.NextCheckAt.After(end) {
		out.NextCheckAt = end.Add(time.Second)
	}
	return checkResult{outcome: out}
}

// backoff is the wait after n consecutive failures: doubling from the poll
// interval, capped at maxBackoff, with ±20% jitter so that many watches that
// failed together do not retry together.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return jitter.Spread(min(d, maxBackoff))
}

// smsInterval is the pace after an SMS arrived: slower than waiting, since
// only a second SMS is left to catch, but never slower than maxSMSInterval.
func smsInterval(poll time.Duration) time.Duration {
	return max(min(5*poll, maxSMSInterval), poll)
}

// lang is the language of a watch's user.
func (w *Watcher) lang(dw store.DueWatch) *message.Lang {
	return message.For(dw.Language.Chosen, dw.Language.Seen, w.cfg.Fallback)
}
