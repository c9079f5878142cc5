package bot

import (
	"context"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
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

// budget is what the sender's budget said of an update when it arrived
// (Bot.admit): the verdict is taken in update order, so a user's backlog
// cannot drain at the refill rate, and handlers act on it.
type budget struct {
	over bool          // over budget: answered at most, never carried out
	warn bool          // the first update over budget of this slow-down: say so
	wait time.Duration // until the sender's next update is within budget
}

// spend takes an update from its sender's budget, if it costs: a button
// press, or a message the bot answers (anything in a private chat, a command
// to the bot in a group). Group chatter and other bots cost nothing.
func (b *Bot) spend(u *models.Update) budget {
	switch {
	case u.CallbackQuery != nil:
	case u.Message != nil && u.Message.From != nil && !u.Message.From.IsBot:
		if _, isCommand := parseCommand(u.Message.Text, b.username); !isCommand && u.Message.Chat.Type != models.ChatTypePrivate {
			return budget{}
		}
	default:
		return budget{}
	}
	ok, warn, wait := b.limiter.allow(updateUser(u), b.cfg.Now())
	return budget{over: !ok, warn: warn, wait: wait}
}

// budgetKey is the context key of the update's budget verdict.
type budgetKey struct{}

// withBudget returns ctx carrying the verdict on the update it handles.
func withBudget(ctx context.Context, v budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, v)
}

// budgetOf is the verdict on the update ctx handles; within budget when none
// was taken.
func budgetOf(ctx context.Context) budget {
	v, _ := ctx.Value(budgetKey{}).(budget)
	return v
}

// throttle acts on the update's budget verdict. It returns false, after
// telling the user once per slow-down, when the update is over budget.
func (b *Bot) throttle(ctx context.Context, r request) bool {
	v := budgetOf(ctx)
	switch {
	case v.warn:
		b.log.Info("user throttled", "user", r.user, "wait", v.wait)
		b.send(ctx, r, textReply(r.lang.SlowDown(v.wait)))
	case v.over:
		b.log.Debug("user throttled", "user", r.user, "wait", v.wait)
	}
	return !v.over
}
