package bot

import (
	"context"
	"sync"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// userQueue runs update handlers concurrently across users but one at a time,
// in arrival order, for each user: "/login ..." then "/order 1" sent in quick
// succession must not be answered "link your account first".
type userQueue struct {
	slots chan struct{} // handlers started and not finished, across users

	mu    sync.Mutex
	tails map[int64]chan struct{} // per user: closed when their latest handler is done

	running sync.WaitGroup
}

func newUserQueue(concurrency int) *userQueue {
	return &userQueue{slots: make(chan struct{}, concurrency), tails: make(map[int64]chan struct{})}
}

// serialize is the outermost update middleware. It is called by the library's
// single worker in update order: taking a slot there blocks that worker when
// the bot is busy, so the library does not confirm updates to Telegram faster
// than they are handled.
func (q *userQueue) serialize(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, tg *tgbot.Bot, u *models.Update) {
		q.slots <- struct{}{}
		user := updateUser(u)
		done := make(chan struct{})
		q.mu.Lock()
		prev := q.tails[user]
		q.tails[user] = done
		q.mu.Unlock()

		q.running.Go(func() {
			defer func() { <-q.slots }()
			if prev != nil {
				<-prev
			}
			next(ctx, tg, u)
			close(done)
			q.mu.Lock()
			if q.tails[user] == done {
				delete(q.tails, user)
			}
			q.mu.Unlock()
		})
	}
}

// wait blocks until every started handler has finished.
func (q *userQueue) wait() { q.running.Wait() }

// updateUser is the Telegram user an update comes from (0 when none).
func updateUser(u *models.Update) int64 {
	switch {
	case u.Message != nil && u.Message.From != nil:
		return u.Message.From.ID
	case u.CallbackQuery != nil:
		return u.CallbackQuery.From.ID
	}
	return 0
}
