package watch

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/smsbot/smsbot/bot/internal/jitter"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// The watcher's decisions: what one check of a watched order calls for.
// They are pure functions of the watch, the observation and the time, and
// say nothing in any language: render.go turns a verdict into the rows the
// writer records.

// verdict is what one check of a watch calls for.
type verdict struct {
	end      bool      // stop watching the order
	pause    bool      // the account's key does not work: pause all its watches
	next     time.Time // when to check again; zero when ended or paused
	failures int       // consecutive failed checks, this one included
	sms      bool      // the order shows an SMS: push it (the store drops one pushed before)
	notice   notice    // what to tell the user; none for nothing
}

// notice is the kind of short message a verdict tells the user.
type notice int

const (
	noNotice            notice = iota
	noticeEnded                // the order ended (a final status) without an SMS
	noticeExpired              // the order expired without an SMS
	noticeGone                 // SMSOnline does not know the order
	noticeGaveUp               // the order could not be checked for hours after it expired
	noticePaused               // SMSOnline refused the account's key: its watches pause
	noticeKeyUnreadable        // the stored key does not open: its watches pause
)

// policy is the watcher's pace: what the decisions read of its Config.
type policy struct {
	poll  time.Duration // between checks of a waiting order
	grace time.Duration // how long after expiry an order is still checked
}

// observed decides what follows a successful check that found o.
func (p policy) observed(dw store.DueWatch, o smsapi.Order, now time.Time) verdict {
	v := verdict{next: p.nextPoll(dw.NextCheckAt, now, p.poll)}
	expires := o.ExpiresAt
	if expires.IsZero() {
		expires = dw.ExpiresAt
	}
	if o.HasSMS() {
		v.sms = true
		// Another SMS was asked for: the next one is as urgent as the first.
		if !now.Before(dw.FastUntil) {
			v.next = p.nextPoll(dw.NextCheckAt, now, smsInterval(p.poll))
		}
	}
	over := !expires.IsZero() && now.After(expires.Add(p.grace))
	switch {
	case o.State() == smsapi.StateFinal:
		v.end = true
		if !o.HasSMS() {
			v.notice = noticeEnded
		}
	case over:
		v.end = true
		if !o.HasSMS() {
			v.notice = noticeExpired
		}
	case !expires.IsZero() && v.next.After(expires.Add(p.grace)):
		// One last look just after the grace period, not a full interval later.
		v.next = expires.Add(p.grace).Add(time.Second)
	}
	return v
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
func (p policy) nextPoll(due, now time.Time, interval time.Duration) time.Time {
	if due.IsZero() {
		return now.Add(interval) // the first check: its beat starts now
	}
	half := p.poll / 2
	if now.Sub(due) > half {
		return now.Add(half + time.Duration(rand.Int64N(int64(half)+1)))
	}
	return due.Add(interval)
}

// failed decides what follows a failed check. Only a refused key and an
// unknown order stop checking; everything else is retried with backoff.
func (p policy) failed(dw store.DueWatch, err error, now time.Time) verdict {
	v := verdict{failures: dw.Failures + 1}
	switch {
	case errors.Is(err, smsapi.ErrBadCredentials):
		v.pause, v.notice = true, noticePaused
		return v
	case errors.Is(err, smsapi.ErrOrderNotFound), errors.Is(err, smsapi.ErrInvalidInput):
		v.end, v.notice = true, noticeGone
		return v
	}
	if !dw.ExpiresAt.IsZero() && now.After(dw.ExpiresAt.Add(giveUpAfterExpiry)) {
		v.end, v.notice = true, noticeGaveUp
		return v
	}
	wait := backoff(p.poll, v.failures)
	if ra := smsapi.RetryAfter(err); ra > wait {
		wait = ra
	}
	v.next = now.Add(wait)
	// Never sleep through the end of the order: look again right after it.
	if end := dw.ExpiresAt.Add(p.grace); !dw.ExpiresAt.IsZero() && now.Before(end) && v.next.After(end) {
		v.next = end.Add(time.Second)
	}
	return v
}

// unreadableKey is the verdict on a watch whose stored key does not open
// (BOT_ENCRYPTION_KEY changed): asking SMSOnline is pointless until the
// user links the account again.
func unreadableKey() verdict { return verdict{pause: true, notice: noticeKeyUnreadable} }

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
