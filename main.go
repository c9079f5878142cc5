// Command smsbot is a Telegram bot that shows SMSOnline orders and pushes their
// SMS codes into the chat. Configuration comes from the environment; see
// README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/smsbot/smsbot/bot"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/metrics"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

const usage = `smsbot: a Telegram bot that pushes SMSOnline codes into the chat.

Usage:
  smsbot               run the bot; configuration comes from environment
                       variables (TELEGRAM_BOT_TOKEN, DATABASE_PATH, ...; see README.md)
  smsbot rotate-key    re-seal the stored API keys under a new encryption key.
                       Stop the bot first. The current key is BOT_ENCRYPTION_KEY,
                       or the key file DATABASE_PATH.key when that is unset; the
                       new one is NEW_BOT_ENCRYPTION_KEY, or when that is unset
                       (and the current key is the key file) a new key file.
  smsbot healthcheck   ask the running bot's /healthz (HEALTH_ADDR); exit 0
                       when healthy. For the container's HEALTHCHECK.
  smsbot check-api     compare SMSOnline's answers with what the bot assumes:
                       read-only calls for the account SMSONLINE_USER_ID /
                       SMSONLINE_API_KEY at SMSONLINE_API_URL; a line per field
                       and assumption; exit 0 when all matched, 1 otherwise.
  smsbot help          print this text
`

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "rotate-key":
			os.Exit(mainRotateKey())
		case "healthcheck":
			os.Exit(mainHealthcheck())
		case "check-api":
			os.Exit(mainCheckAPI())
		case "help", "-h", "-help", "--help":
			fmt.Print(usage)
			return
		default:
			fmt.Fprintf(os.Stderr, "smsbot: unknown command %q\n\n%s", os.Args[1], usage)
			os.Exit(2)
		}
	}

	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "smsbot: "+err.Error())
		os.Exit(2)
	}
	logger := newLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal a second one kills the process at once.
	context.AfterFunc(ctx, stop)

	if err := run(ctx, cfg, logger); err != nil {
		var serr startError
		if errors.As(err, &serr) {
			logger.Error("can't start", "err", err)
		} else {
			logger.Error("smsbot stopped", "err", err)
		}
		os.Exit(1)
	}
	logger.Info("smsbot stopped")
}

// startError marks a failure to start, as opposed to one while running.
type startError struct{ err error }

func (e startError) Error() string { return e.err.Error() }
func (e startError) Unwrap() error { return e.err }

// run wires the bot together and serves until ctx is cancelled.
func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	// An absolute path in the log and in every error says where the data
	// really is, whatever the working directory.
	dbPath, err := filepath.Abs(cfg.DatabasePath)
	if err != nil {
		return startError{fmt.Errorf("DATABASE_PATH: %w", err)}
	}
	cfg.DatabasePath = dbPath
	host := systemHost()
	logDatabasePlace(logger, dbPath, host)

	// Errors from LoadKey and openStore are one line that names the file and
	// says what to do; a prefix would only hide that.
	key, created, err := store.LoadKey(cfg.DatabasePath, cfg.EncryptionKey)
	if errors.Is(err, store.ErrKeyMissing) {
		err = withRotationHint(cfg.DatabasePath, err)
	}
	if err != nil {
		return startError{explainUnwritable(err, cfg.DatabasePath, host)}
	}
	if created {
		logger.Warn("created a new encryption key for stored API keys; back it up with the database",
			"file", store.KeyFilePath(cfg.DatabasePath))
	}
	st, err := openStore(ctx, cfg.DatabasePath, key, logger, startLockWait)
	if err != nil {
		return startError{explainUnwritable(err, cfg.DatabasePath, host)}
	}
	defer st.Close()

	// The listeners open before anything else runs: a taken port is a
	// failure to start.
	var healthLn, metricsLn net.Listener
	if cfg.HealthAddr != "off" {
		if healthLn, err = listen("HEALTH_ADDR", cfg.HealthAddr); err != nil {
			return startError{err}
		}
	}
	var webhook *bot.Webhook
	if cfg.WebhookURL != "" {
		ln, err := listen("WEBHOOK_ADDR", cfg.WebhookAddr)
		if err != nil {
			return startError{err}
		}
		webhook = &bot.Webhook{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, Listener: ln}
	}
	var m *metrics.Metrics
	requests := bot.NewRequestCounter(st, nil, logger) // for /stats, whether or not metrics are served
	observe := requests.Observe
	if cfg.MetricsAddr != "" {
		if metricsLn, err = listen("METRICS_ADDR", cfg.MetricsAddr); err != nil {
			return startError{err}
		}
		m = metrics.New(st)
		observe = func(op string, err error, took time.Duration) {
			m.SMSOnline(op, err, took)
			requests.Observe(op, err, took)
		}
	}
	apiOpts := []smsapi.Option{smsapi.WithUserAgent("smsbot"), smsapi.WithMaxRPS(cfg.SMSOnlineMaxRPS),
		smsapi.WithObserver(observe), smsapi.WithUnexpected(newUnexpectedReport(m, logger).report)}
	api, err := smsapi.New(cfg.SMSOnlineAPIURL, apiOpts...)
	if err != nil {
		return startError{fmt.Errorf("SMSONLINE_API_URL: %w", err)}
	}
	b, err := bot.New(ctx, bot.Config{
		Token:             cfg.TelegramBotToken,
		APIURL:            cfg.TelegramAPIURL,
		AllowedUsers:      cfg.AllowedUsers,
		AdminUsers:        cfg.AdminUsers,
		Version:           version(),
		Requests:          requests,
		DefaultLanguage:   message.ByTag(cfg.DefaultLanguage), // checked by loadConfig
		Logger:            logger,
		PollInterval:      cfg.PollInterval,
		TelegramMaxRPS:    cfg.TelegramMaxRPS,
		MaxWatchesPerUser: cfg.MaxWatches,
		Metrics:           m,
		Webhook:           webhook,
	}, api, st)
	if err != nil {
		return startError{err}
	}
	var servers sync.WaitGroup
	defer servers.Wait()
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	if healthLn != nil {
		servers.Go(func() { serveHTTP(serveCtx, healthLn, healthHandler(b.Health), logger, "health") })
	}
	if metricsLn != nil {
		servers.Go(func() { serveHTTP(serveCtx, metricsLn, m.Handler(), logger, "metrics") })
	}
	updates := "long polling"
	if webhook != nil {
		updates = "webhook"
	}
	logger.Info("smsbot starting", "database", cfg.DatabasePath, "telegram", cfg.TelegramAPIURL,
		"smsonline", cfg.SMSOnlineAPIURL, "poll_interval", cfg.PollInterval, "allowed_users", len(cfg.AllowedUsers),
		"updates", updates)
	return b.Run(ctx)
}

// startLockWait is how long the bot waits at start for another process to
// release the database's write lock. Each attempt itself waits the store's
// busy timeout (5 s).
const startLockWait = time.Minute

// openStore opens the database for the bot, which holds its lock file
// exclusively until the store is closed: one bot per database. While
// another process holds SQLite's write lock (store.ErrLocked) it waits,
// saying so in the log, for up to wait. Other failures are final: in
// particular ErrInUse (another bot, or rotate-key, has the database open)
// ends the start at once, and after rotate-key the key must be loaded
// again anyway, which a restart does.
func openStore(ctx context.Context, path string, key []byte, logger *slog.Logger, wait time.Duration) (*store.Store, error) {
	start := time.Now()
	for {
		st, err := store.OpenExclusive(ctx, path, key)
		switch {
		case err == nil:
			return st, nil
		case errors.Is(err, store.ErrWrongKey):
			return nil, withRotationHint(path, err)
		case !errors.Is(err, store.ErrLocked) || time.Since(start) >= wait:
			return nil, err
		}
		logger.Warn("database is locked by another process; waiting", "database", path,
			"waited", time.Since(start).Round(time.Second), "up_to", wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// withRotationHint adds to err, a refusal to start for want of the right
// key, the way out when `smsbot rotate-key` was cut short: the new key it
// generated is still in DATABASE_PATH.key.new.
func withRotationHint(path string, err error) error {
	if _, serr := os.Stat(store.NewKeyFilePath(path)); serr == nil {
		return fmt.Errorf("%w; %s exists, so `smsbot rotate-key` was interrupted: run it again to finish",
			err, store.NewKeyFilePath(path))
	}
	return err
}

// version is the build's module version, or its VCS revision, for /stats.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, kv := range info.Settings {
		if kv.Key == "vcs.revision" && len(kv.Value) >= 12 {
			return kv.Value[:12]
		}
	}
	return ""
}
