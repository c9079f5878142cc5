package bot

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// userLimiter throttles each user's commands and button presses, so one user
// flooding /order can neither hammer SMSOnline on their account's behalf nor
// make the bot spend its Telegram budget answering them.
type userLimiter struct {
	rate  rate.Limit
	burst int

	mu    sync.Mutex
	users map[int64]*userBucket
}

type userBucket struct {
	lim      *rate.Limiter
	refused  time.Time // when an action of the user was last over budget
	lastSeen time.Time
}

func newUserLimiter(perSecond float64, burst int) *userLimiter {
	return &userLimiter{rate: rate.Limit(perSecond), burst: burst, users: make(map[int64]*userBucket)}
}

// allow spends one token of the user's budget. When there is none, warn says
// whether to tell the user (once per slow-down, not at every message), and
// wait is how long until the next action is allowed. A slow-down lasts while
// refused actions keep coming sooner than the budget refills one, and a
// second more: a flood is told once, however long it goes on.
func (l *userLimiter) allow(user int64, now time.Time) (ok, warn bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.users[user]
	if b == nil {
		if len(l.users) >= 10000 {
			l.prune(now)
		}
		b = &userBucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.users[user] = b
	}
	b.lastSeen = now
	if b.lim.AllowN(now, 1) {
		return true, false, 0
	}
	tokens := b.lim.TokensAt(now)
	wait = time.Duration((1 - tokens) / float64(l.rate) * float64(time.Second))
	refill := time.Duration(float64(time.Second) / float64(l.rate))
	warn = now.Sub(b.refused) > refill+time.Second // else told already in this slow-down
	b.refused = now
	return false, warn, wait
}

// prune forgets users whose budget has long refilled.
func (l *userLimiter) prune(now time.Time) {
	full := time.Duration(float64(l.burst) / float64(l.rate) * float64(time.Second))
	for id, b := range l.users {
		if now.Sub(b.lastSeen) > full {
			delete(l.users, id)
		}
	}
}

// throttle applies the user's budget to a request. It returns false, after
// telling the user once, when they must wait.
func (b *Bot) throttle(ctx context.Context, r request) bool {
	ok, warn, wait := b.limiter.allow(r.user, b.cfg.Now())
	if !ok {
		b.log.Info("user throttled", "user", r.user, "wait", wait)
		if warn {
			b.reply(ctx, r, lang(ctx).SlowDown(wait))
		}
	}
	return ok
}
