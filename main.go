// Command smsbot is a Telegram bot that shows SMSOnline orders and pushes their
// SMS codes into the chat. Configuration comes from the environment; see
// README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/smsbot/smsbot/bot"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// config is the process configuration, read from environment variables.
type config struct {
	TelegramBotToken string        `envconfig:"TELEGRAM_BOT_TOKEN" required:"true"`
	TelegramAPIURL   string        `envconfig:"TELEGRAM_API_URL" default:"https://api.telegram.org"`
	SMSOnlineAPIURL  string        `envconfig:"SMSONLINE_API_URL" default:"https://api-x.smsonline.cloud"`
	DatabasePath     string        `envconfig:"DATABASE_PATH" default:"data/bot.db"`
	EncryptionKey    string        `envconfig:"BOT_ENCRYPTION_KEY"`
	PollInterval     time.Duration `envconfig:"POLL_INTERVAL" default:"3s"`
	SMSOnlineMaxRPS  float64       `envconfig:"SMSONLINE_MAX_RPS" default:"20"`
	TelegramMaxRPS   float64       `envconfig:"TELEGRAM_MAX_RPS" default:"28"`
	MaxWatches       int           `envconfig:"MAX_WATCHES_PER_USER" default:"50"`
	AllowedUsers     userIDs       `envconfig:"ALLOWED_USERS"`
	LogLevel         slog.Level    `envconfig:"LOG_LEVEL" default:"info"`
}

func main() {
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "smsbot: "+err.Error())
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal a second one kills the process at once.
	context.AfterFunc(ctx, stop)

	if err := run(ctx, cfg, logger); err != nil {
		logger.Error("smsbot stopped", "err", err)
		os.Exit(1)
	}
	logger.Info("smsbot stopped")
}

// run wires the bot together and serves until ctx is cancelled.
func run(ctx context.Context, cfg config, logger *slog.Logger) error {
	key, created, err := store.LoadKey(cfg.DatabasePath, cfg.EncryptionKey)
	if err != nil {
		return fmt.Errorf("load encryption key: %w", err)
	}
	if created {
		logger.Warn("created a new encryption key for stored API keys; back it up with the database",
			"file", store.KeyFilePath(cfg.DatabasePath))
	}
	st, err := store.Open(ctx, cfg.DatabasePath, key)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()

	api, err := smsapi.New(cfg.SMSOnlineAPIURL, smsapi.WithUserAgent("smsbot"))
	if err != nil {
		return fmt.Errorf("SMSONLINE_API_URL: %w", err)
	}
	maxRPS := cfg.SMSOnlineMaxRPS
	if maxRPS == 0 {
		maxRPS = -1 // bot.Config: negative means no cap
	}
	b, err := bot.New(ctx, bot.Config{
		Token:             cfg.TelegramBotToken,
		APIURL:            cfg.TelegramAPIURL,
		AllowedUsers:      cfg.AllowedUsers,
		Logger:            logger,
		PollInterval:      cfg.PollInterval,
		SMSOnlineMaxRPS:   maxRPS,
		TelegramMaxRPS:    cfg.TelegramMaxRPS,
		MaxWatchesPerUser: cfg.MaxWatches,
	}, api, st)
	if err != nil {
		return err
	}
	logger.Info("smsbot starting", "database", cfg.DatabasePath, "telegram", cfg.TelegramAPIURL,
		"smsonline", cfg.SMSOnlineAPIURL, "poll_interval", cfg.PollInterval, "allowed_users", len(cfg.AllowedUsers))
	return b.Run(ctx)
}

// loadConfig reads and checks the environment. Its errors are one line that
// names the variable and never repeat a secret's value.
func loadConfig() (config, error) {
	var cfg config
	// An empty variable (KEY= in an env file) means "use the default", not "".
	for _, key := range configKeys() {
		if v, ok := os.LookupEnv(key); ok && strings.TrimSpace(v) == "" {
			os.Unsetenv(key)
		}
	}
	if _, ok := os.LookupEnv("TELEGRAM_BOT_TOKEN"); !ok {
		return cfg, errors.New("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather")
	}
	if err := envconfig.Process("", &cfg); err != nil {
		var perr *envconfig.ParseError
		if errors.As(err, &perr) {
			return cfg, fmt.Errorf("%s: %s", perr.KeyName, describeParseError(perr))
		}
		return cfg, err
	}
	for name, raw := range map[string]string{"TELEGRAM_API_URL": cfg.TelegramAPIURL, "SMSONLINE_API_URL": cfg.SMSOnlineAPIURL} {
		if err := checkURL(raw); err != nil {
			return cfg, fmt.Errorf("%s: %w", name, err)
		}
	}
	if strings.TrimSpace(cfg.DatabasePath) == "" {
		return cfg, errors.New("DATABASE_PATH is empty")
	}
	if cfg.PollInterval < time.Second || cfg.PollInterval > 10*time.Minute {
		return cfg, fmt.Errorf("POLL_INTERVAL: %s is out of range (1s to 10m)", cfg.PollInterval)
	}
	if cfg.SMSOnlineMaxRPS < 0 {
		return cfg, fmt.Errorf("SMSONLINE_MAX_RPS: %g must be 0 (no cap) or more", cfg.SMSOnlineMaxRPS)
	}
	if cfg.TelegramMaxRPS <= 0 || cfg.TelegramMaxRPS > 30 {
		return cfg, fmt.Errorf("TELEGRAM_MAX_RPS: %g is out of range (above 0, at most 30, Telegram's limit)", cfg.TelegramMaxRPS)
	}
	if cfg.MaxWatches < 1 {
		return cfg, fmt.Errorf("MAX_WATCHES_PER_USER: %d must be at least 1", cfg.MaxWatches)
	}
	return cfg, nil
}

// configKeys lists the environment variables config reads.
func configKeys() []string {
	t := reflect.TypeFor[config]()
	keys := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		keys = append(keys, f.Tag.Get("envconfig"))
	}
	return keys
}

// describeParseError explains a malformed value. Only non-secret variables can
// fail to parse, so quoting the value is safe.
func describeParseError(perr *envconfig.ParseError) string {
	switch perr.KeyName {
	case "POLL_INTERVAL":
		return fmt.Sprintf("%q is not a duration (use e.g. 3s or 1m)", perr.Value)
	case "LOG_LEVEL":
		return fmt.Sprintf("%q is not a log level (use debug, info, warn or error)", perr.Value)
	case "SMSONLINE_MAX_RPS", "TELEGRAM_MAX_RPS", "MAX_WATCHES_PER_USER":
		return fmt.Sprintf("%q is not a number", perr.Value)
	case "ALLOWED_USERS":
		return fmt.Sprintf("%v (use comma-separated Telegram user ids, e.g. 12345,67890)", perr.Err)
	}
	return fmt.Sprintf("invalid value %q", perr.Value)
}

// checkURL accepts an absolute http(s) URL.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return nil
}

// userIDs is a comma-separated list of Telegram user ids ("1, 2,3").
type userIDs []int64

// Decode implements envconfig.Decoder.
func (ids *userIDs) Decode(value string) error {
	*ids = nil
	for part := range strings.SplitSeq(value, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%q is not a Telegram user id", part)
		}
		*ids = append(*ids, id)
	}
	return nil
}
