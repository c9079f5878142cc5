// Package bot is the Telegram side of smsbot: it receives updates by long
// polling or a webhook, answers commands, watches orders and delivers SMS codes.
package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/smsbot/smsbot/bot/deliver"
	"github.com/smsbot/smsbot/bot/metrics"
	"github.com/smsbot/smsbot/bot/money"
	"github.com/smsbot/smsbot/bot/watch"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// OrderAPI is what the bot needs from SMSOnline; *smsapi.Client implements it.
type OrderAPI interface {
	money.API
	AnotherSMS(ctx context.Context, cred smsapi.Credentials, orderID string) error
	Invoice(ctx context.Context, cred smsapi.Credentials, m smsapi.PayMethod, amount smsapi.Money, coupon string) (string, error)
	Coupons(ctx context.Context, cred smsapi.Credentials) ([]smsapi.Coupon, error)
}

// Config holds the bot's settings. Zero values of the tuning fields take the
// defaults noted on each.
type Config struct {
	Token        string  // bot token from @BotFather
	APIURL       string  // Bot API server, e.g. https://api.telegram.org
	AllowedUsers []int64 // Telegram user ids allowed to use the bot; empty = anyone
	AdminUsers   []int64 // Telegram user ids that may use /stats and /announce
	Version      string  // shown by /stats; default "dev"
	// Requests counts SMSOnline requests for /stats (its Observe must be
	// the client's observer); Run writes its counts. nil for none.
	Requests *RequestCounter
	Logger   *slog.Logger

	PollInterval      time.Duration // between checks of a waiting order; default 3s
	OnChecked         func(n int)   // called with how many orders each written batch of checks looked at; nil for none
	TelegramMaxRPS    float64       // messages per second to Telegram, whole bot; default 28
	ChatInterval      time.Duration // least time between two pushes to one chat; default 1.1s
	MaxWatchesPerUser int           // active watches per user; default 50
	WatcherWorkers    int           // SMSOnline checks in flight at once; default 32
	ExpiryGrace       time.Duration // how long after expiry an order is still checked; default 1m
	CommandBurst      int           // commands a user may send at once; default 10
	CommandRate       float64       // commands per second a user may sustain after that; default 0.5
	SendTimeout       time.Duration // one outbox send to Telegram; default 15s
	SettleEvery       time.Duration // between reads settling a money action of unknown outcome; default 10s
	SettleReads       int           // unchanged reads after which such an action did not happen; default 18
	BalanceEvery      time.Duration // between reads of a balance watched after /topup; default 1m

	LongPollTimeout time.Duration    // how long one getUpdates waits; default 50s
	HandlerTimeout  time.Duration    // how long one update may take; default 30s
	ShutdownGrace   time.Duration    // how long running handlers may finish after a stop; default 5s
	Workers         int              // updates handled at once (one per user at a time); default 16
	Webhook         *Webhook         // take updates from a webhook; nil for long polling
	DefaultLanguage *message.Lang    // for users whose language the bot does not speak; nil for English
	Metrics         *metrics.Metrics // nil for none
	Now             func() time.Time // clock; default time.Now
}

func (c *Config) setDefaults() {
	if c.APIURL == "" {
		c.APIURL = deliver.DefaultAPIURL
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.LongPollTimeout <= 0 {
		c.LongPollTimeout = 50 * time.Second
	}
	if c.HandlerTimeout <= 0 {
		c.HandlerTimeout = 30 * time.Second
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 5 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.PollInterval <= 0 {
		c.PollInterval = watch.DefaultPollInterval
	}
	if c.TelegramMaxRPS <= 0 {
		c.TelegramMaxRPS = deliver.DefaultMaxRPS
	}
	if c.MaxWatchesPerUser <= 0 {
		c.MaxWatchesPerUser = watch.DefaultMaxPerUser
	}
	if c.CommandBurst <= 0 {
		c.CommandBurst = 10
	}
	if c.CommandRate <= 0 {
		c.CommandRate = 0.5
	}
}

// Bot is a running smsbot: Telegram client, command handlers and their
// collaborators.
type Bot struct {
	cfg        Config
	log        *slog.Logger
	tg         *tgbot.Bot      // long polling and set-up calls
	telegram   *deliver.Client // every call whose effect a user sees
	store      *store.Store
	allowed    map[int64]bool
	admins     map[int64]bool // ADMIN_USERS
	commands   []commandEntry // the command table
	buttons    []buttonEntry  // the button table
	orders     *orderDesk     // the handlers, in desks
	shop       *shopDesk
	stock      *stockDesk
	accounts   *accountDesk
	favourites *favouriteDesk
	history    *historyDesk
	admin      *adminDesk
	redact     *strings.Replacer

	pace    *rate.Limiter // every message the bot sends spends from this budget
	limiter *userLimiter  // each user's budget of commands
	queue   *userQueue    // runs handlers in order per user
	watcher *watch.Watcher
	sender  *deliver.Sender
	money   *money.Service
	langs   *languages
	polls   *pollTracker // getUpdates as it goes, for Health
	hook    *hookTracker // the webhook's listener and getWebhookInfo, for Health
	metrics *metrics.Metrics

	username   string       // the bot's @username, known after getMe
	httpClient *http.Client // every call to Telegram, long polling included
}

// ErrUnauthorized means Telegram refused the bot token.
var ErrUnauthorized = errors.New("telegram refused the bot token (check TELEGRAM_BOT_TOKEN)")

// New builds a bot. It makes no network call; Run does.
func New(ctx context.Context, cfg Config, api OrderAPI, st *store.Store) (*Bot, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("empty bot token")
	}
	if w := cfg.Webhook; w != nil && (w.URL == "" || w.Secret == "" || w.Listener == nil) {
		return nil, errors.New("webhook mode needs a URL, a secret and a listener")
	}
	cfg.setDefaults()
	b := &Bot{
		cfg:     cfg,
		log:     cfg.Logger,
		store:   st,
		allowed: make(map[int64]bool, len(cfg.AllowedUsers)),
		// The library puts the token in every URL; an error it returns can carry it.
		redact: strings.NewReplacer(cfg.Token, "<bot-token>"),
	}
	for _, id := range cfg.AllowedUsers {
		b.allowed[id] = true
	}
	b.admins = make(map[int64]bool, len(cfg.AdminUsers))
	for _, id := range cfg.AdminUsers {
		b.admins[id] = true
	}
	fallback := cmp.Or(cfg.DefaultLanguage, message.English)
	b.langs = newLanguages(st, fallback, cfg.Logger, cfg.Now)
	// A burst of 1 spaces messages evenly, so no one-second window holds more
	// than TelegramMaxRPS of them.
	b.pace = rate.NewLimiter(rate.Limit(cfg.TelegramMaxRPS), 1)
	b.limiter = newUserLimiter(cfg.CommandRate, cfg.CommandBurst)
	b.queue = newUserQueue(cfg.Workers, maxWaiting, cfg.Logger)
	// The sender's workers call Telegram in parallel: keep their connections.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 32
	b.polls = &pollTracker{next: transport}
	b.hook = &hookTracker{}
	b.metrics = cfg.Metrics
	httpClient := &http.Client{Timeout: cfg.LongPollTimeout + 15*time.Second, Transport: b.polls}
	b.httpClient = httpClient
	b.telegram = deliver.NewClient(cfg.APIURL, cfg.Token, httpClient)
	b.telegram.Observe = cfg.Metrics.Telegram
	b.sender = deliver.New(deliver.Config{
		ChatInterval: cfg.ChatInterval,
		SendTimeout:  cfg.SendTimeout,
		Grace:        cfg.ShutdownGrace,
		Now:          cfg.Now,
		Logger:       cfg.Logger,
		Redact:       b.redact.Replace,
		Metrics:      cfg.Metrics,
	}, st, b.telegram, b.pace)
	b.watcher = watch.New(watch.Config{
		PollInterval: cfg.PollInterval,
		Workers:      cfg.WatcherWorkers,
		ExpiryGrace:  cfg.ExpiryGrace,
		OnChecked:    cfg.OnChecked,
		Fallback:     fallback,
		Metrics:      cfg.Metrics,
		Now:          cfg.Now,
		Logger:       cfg.Logger,
	}, st, api, b.sender.Wake)
	b.money = money.New(money.Config{
		PollInterval: cfg.PollInterval,
		SettleEvery:  cfg.SettleEvery,
		SettleReads:  cfg.SettleReads,
		BalanceEvery: cfg.BalanceEvery,
		OnChange: func() {
			b.watcher.Wake()
			b.sender.Wake()
		},
		Fallback: fallback,
		Metrics:  cfg.Metrics,
		Now:      cfg.Now,
		Logger:   cfg.Logger,
	}, st, api)
	b.newDesks(api)
	return b, nil
}

// newDesks builds the handlers' desks and the tables that route to them.
func (b *Bot) newDesks(api OrderAPI) {
	cfg, st := b.cfg, b.store
	b.orders = &orderDesk{store: st, api: api, log: cfg.Logger, now: cfg.Now, poll: cfg.PollInterval,
		maxWatches: cfg.MaxWatchesPerUser, wakeWatcher: b.watcher.Wake, wakeSender: b.sender.Wake}
	moneyDesk := &moneyDesk{orders: b.orders, store: st, api: api, money: b.money, log: cfg.Logger, now: cfg.Now,
		poll: cfg.PollInterval, maxWatches: cfg.MaxWatchesPerUser, wakeWatcher: b.watcher.Wake, edit: b.editMessage}
	b.shop = &shopDesk{money: moneyDesk, store: st, api: api, balanceEvery: b.money.BalanceEvery(), log: cfg.Logger, now: cfg.Now}
	b.accounts = &accountDesk{store: st, api: api, langs: b.langs, wakeMoney: b.money.Wake, log: cfg.Logger, now: cfg.Now}
	b.stock = &stockDesk{money: moneyDesk, store: st, langs: b.langs, log: cfg.Logger, now: cfg.Now,
		wake: make(chan struct{}, 1), tick: min(time.Second, cfg.PollInterval), edit: b.editMessage}
	b.favourites = &favouriteDesk{orders: b.orders, money: moneyDesk, store: st, log: cfg.Logger, now: cfg.Now}
	b.history = &historyDesk{api: api, log: cfg.Logger, now: cfg.Now, sendDocument: b.sendDocument}
	b.admin = &adminDesk{store: st, version: cfg.Version, startedAt: cfg.Now(), now: cfg.Now, log: cfg.Logger,
		wakeSender: b.sender.Wake}
	b.commands = b.commandTable()
	b.buttons = buttonTable(b.orders, moneyDesk, b.stock, b.favourites, b.history)
}

// Run connects to Telegram and serves until ctx is cancelled: it answers
// commands, watches orders and delivers the outbox. On cancel it stops taking
// updates and checks, lets running handlers and sends finish within
// ShutdownGrace, and returns; everything else waits in the database.
func (b *Bot) Run(ctx context.Context) error {
	// Handlers get a context that outlives ctx by ShutdownGrace.
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	stopGrace := context.AfterFunc(ctx, func() {
		b.log.Info("stopping: finishing running handlers", "grace", b.cfg.ShutdownGrace)
		grace := time.NewTimer(b.cfg.ShutdownGrace)
		defer grace.Stop()
		select {
		case <-grace.C:
			cancelHandlers()
		case <-handlerCtx.Done(): // Run returned first
		}
	})
	defer stopGrace()
	if b.cfg.Webhook != nil {
		defer b.cfg.Webhook.Listener.Close() // Serve closes it too; a failed start must as well
	}
	var err error
	if b.tg, err = b.newPoller(ctx, handlerCtx); err != nil {
		return err
	}
	me, err := b.getMe(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before Telegram could be reached: a clean stop
		}
		return err
	}
	b.username = me.Username
	b.log.Info("connected to telegram", "bot", "@"+me.Username)
	b.prepare(ctx)
	if b.cfg.Webhook != nil {
		if err := b.setWebhook(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		b.log.Info("taking updates from the webhook", "url", b.cfg.Webhook.URL, "listen", b.cfg.Webhook.Listener.Addr().String())
	}
	if err := b.money.Recover(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("recover money actions: %w", err)
	}

	var wg sync.WaitGroup
	var watchErr error
	wg.Go(func() { b.sender.Run(ctx) })
	wg.Go(func() { b.money.Run(ctx) })
	wg.Go(func() {
		if watchErr = b.watcher.Run(ctx); watchErr != nil {
			b.log.Error("watcher stopped", "err", watchErr)
		}
	})
	wg.Go(func() { b.pruneDelivered(ctx) })
	wg.Go(func() { b.stock.run(ctx) })
	if b.cfg.Requests != nil {
		wg.Go(func() { b.cfg.Requests.Run(ctx) })
	}
	if b.cfg.Webhook != nil {
		wg.Go(func() { b.watchWebhook(ctx) })
		b.serveWebhook(ctx, handlerCtx)
	} else {
		b.tg.Start(ctx)
	}
	b.queue.wait() // queued handlers finish, or are cut off or skipped after ShutdownGrace
	wg.Wait()
	return watchErr
}

// deliveredTTL is how long the bot remembers which SMS it pushed. Orders live
// about 20 minutes; a week covers any clock skew and long outage.
const deliveredTTL = 7 * 24 * time.Hour

// pruneDelivered forgets old delivered-SMS fingerprints once an hour, so the
// table does not grow without end.
func (b *Bot) pruneDelivered(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := b.store.PruneDelivered(ctx, b.cfg.Now().Add(-deliveredTTL))
		if err != nil && ctx.Err() == nil {
			b.log.Warn("can't prune delivered sms", "err", err)
		} else if n > 0 {
			b.log.Debug("pruned delivered sms", "count", n)
		}
		b.pruneUpdates(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// getMe asks Telegram who the bot is, retrying while Telegram is unreachable.
// A refused token is final.
func (b *Bot) getMe(ctx context.Context) (*models.User, error) {
	delay := time.Second
	for {
		callCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		me, err := b.tg.GetMe(callCtx)
		cancel()
		switch {
		case err == nil:
			return me, nil
		case errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
			return nil, ErrUnauthorized
		case ctx.Err() != nil:
			return nil, ctx.Err()
		}
		b.log.Warn("telegram unreachable, retrying", "err", b.errText(err), "in", delay)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// prepare removes, in long polling mode, a webhook left by another
// deployment or an earlier webhook run (long polling gets 409 Conflict while
// one is set), and publishes the command menu, once for each language. Both
// are best-effort: the bot works without them.
func (b *Bot) prepare(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if b.cfg.Webhook == nil {
		if _, err := b.tg.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil {
			b.log.Warn("can't delete webhook", "err", b.errText(err))
		}
	}
	// The menu with no language is for users whose language the bot does
	// not speak: it is in the default language. Admins' commands are in
	// nobody's menu.
	if _, err := b.tg.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: b.langs.fallback.Commands(b.commandList())}); err != nil {
		b.log.Warn("can't set command menu", "err", b.errText(err))
	}
	for _, l := range message.Languages() {
		params := &tgbot.SetMyCommandsParams{Commands: l.Commands(b.commandList()), LanguageCode: l.Tag}
		if _, err := b.tg.SetMyCommands(ctx, params); err != nil {
			b.log.Warn("can't set command menu", "language", l.Tag, "err", b.errText(err))
		}
	}
}

// errText renders an error for a log line with the bot token removed.
func (b *Bot) errText(err error) string {
	if err == nil {
		return ""
	}
	return b.redact.Replace(err.Error())
}
