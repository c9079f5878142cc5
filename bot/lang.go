package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/store"
)

// languages knows which language each user is spoken to in: the one they
// chose with /language, else the one their Telegram app sends
// (language_code), else the bot's default. It keeps what it read from the
// store, which only the bot writes, so a push costs no query.
type languages struct {
	store    *store.Store
	fallback *message.Lang
	log      *slog.Logger
	now      func() time.Time

	mu    sync.Mutex
	known map[int64]store.UserLanguage
}

func newLanguages(st *store.Store, fallback *message.Lang, log *slog.Logger, now func() time.Time) *languages {
	return &languages{store: st, fallback: fallback, log: log, now: now, known: make(map[int64]store.UserLanguage)}
}

// resolve picks the language for what is known of a user.
func (ls *languages) resolve(ul store.UserLanguage) *message.Lang {
	return message.For(ul.Chosen, ul.Seen, ls.fallback)
}

// get returns what is known of a user, reading the store once.
func (ls *languages) get(ctx context.Context, user int64) store.UserLanguage {
	ls.mu.Lock()
	ul, ok := ls.known[user]
	ls.mu.Unlock()
	if ok {
		return ul
	}
	ul, err := ls.store.UserLanguage(ctx, user)
	if err != nil {
		ls.log.Warn("can't load language", "user", user, "err", err)
		return ul // not remembered: the next message tries again
	}
	ls.mu.Lock()
	ls.known[user] = ul
	ls.mu.Unlock()
	return ul
}

// of is the language to speak to user in.
func (ls *languages) of(ctx context.Context, user int64) *message.Lang {
	return ls.resolve(ls.get(ctx, user))
}

// seen records the language_code an update came with, when it changed.
// Telegram leaves it out for some users; that changes nothing.
func (ls *languages) seen(ctx context.Context, user int64, code string) {
	if code == "" {
		return
	}
	ul := ls.get(ctx, user)
	if ul.Seen == code {
		return
	}
	if err := ls.store.SeeLanguageCode(ctx, user, code, ls.now()); err != nil {
		ls.log.Warn("can't save language code", "user", user, "err", err)
		return
	}
	ul.Seen = code
	ls.mu.Lock()
	ls.known[user] = ul
	ls.mu.Unlock()
}

// choose stores the user's choice.
func (ls *languages) choose(ctx context.Context, user int64, l *message.Lang) error {
	ul := ls.get(ctx, user)
	if err := ls.store.ChooseLanguage(ctx, user, l.Tag, ls.now()); err != nil {
		return err
	}
	ul.Chosen = l.Tag
	ls.mu.Lock()
	ls.known[user] = ul
	ls.mu.Unlock()
	return nil
}
