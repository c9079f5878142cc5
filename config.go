package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/smsbot/smsbot/bot/deliver"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/watch"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// config is the process configuration, read from environment variables.
type config struct {
	TelegramBotToken string        `envconfig:"TELEGRAM_BOT_TOKEN" required:"true"`
	TelegramAPIURL   string        `envconfig:"TELEGRAM_API_URL"`
	SMSOnlineAPIURL  string        `envconfig:"SMSONLINE_API_URL"`
	DatabasePath     string        `envconfig:"DATABASE_PATH"`
	EncryptionKey    string        `envconfig:"BOT_ENCRYPTION_KEY"`
	PollInterval     time.Duration `envconfig:"POLL_INTERVAL"`
	SMSOnlineMaxRPS  float64       `envconfig:"SMSONLINE_MAX_RPS"`
	TelegramMaxRPS   float64       `envconfig:"TELEGRAM_MAX_RPS"`
	MaxWatches       int           `envconfig:"MAX_WATCHES_PER_USER"`
	AllowedUsers     userIDs       `envconfig:"ALLOWED_USERS"`
	AdminUsers       userIDs       `envconfig:"ADMIN_USERS"`
	LogLevel         slog.Level    `envconfig:"LOG_LEVEL"`
	DefaultLanguage  string        `envconfig:"DEFAULT_LANGUAGE"`
	HealthAddr       string        `envconfig:"HEALTH_ADDR"`
	MetricsAddr      string        `envconfig:"METRICS_ADDR"`
	LogFormat        string        `envconfig:"LOG_FORMAT"`
	WebhookURL       string        `envconfig:"WEBHOOK_URL"`
	WebhookSecret    string        `envconfig:"WEBHOOK_SECRET"`
	WebhookAddr      string        `envconfig:"WEBHOOK_ADDR"`
}

// defaultWebhookAddr is where the webhook listens unless WEBHOOK_ADDR says
// otherwise: plain HTTP for the reverse proxy in front.
const defaultWebhookAddr = ":8080"

// webhookSecret is what Telegram accepts as a webhook's secret_token.
var webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// defaultConfig is the configuration an empty environment gives: each
// package's own defaults, so that none is written twice.
func defaultConfig() config {
	return config{
		TelegramAPIURL:  deliver.DefaultAPIURL,
		SMSOnlineAPIURL: smsapi.DefaultBaseURL,
		DatabasePath:    store.DefaultPath,
		PollInterval:    watch.DefaultPollInterval,
		SMSOnlineMaxRPS: smsapi.DefaultMaxRPS,
		TelegramMaxRPS:  deliver.DefaultMaxRPS,
		MaxWatches:      watch.DefaultMaxPerUser,
		LogLevel:        slog.LevelInfo,
		DefaultLanguage: message.English.Tag,
		HealthAddr:      defaultHealthAddr,
		LogFormat:       "text",
		WebhookAddr:     defaultWebhookAddr,
	}
}

// loadConfig reads and checks the environment. Its errors are one line that
// names the variable and never repeat a secret's value.
func loadConfig() (config, error) {
	cfg := defaultConfig() // envconfig leaves a field whose variable is unset as it is
	unsetEmpty(configKeys())
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
	if err := checkWebhook(cfg); err != nil {
		return cfg, err
	}
	for name, addr := range map[string]string{"HEALTH_ADDR": cfg.HealthAddr, "METRICS_ADDR": cfg.MetricsAddr, "WEBHOOK_ADDR": cfg.WebhookAddr} {
		if addr == "" || addr == "off" && name == "HEALTH_ADDR" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return cfg, fmt.Errorf("%s: %q is not host:port (e.g. 127.0.0.1:8081 or :9090)", name, addr)
		}
	}
	switch cfg.LogFormat = strings.ToLower(strings.TrimSpace(cfg.LogFormat)); cfg.LogFormat {
	case "text", "json":
	default:
		return cfg, fmt.Errorf("LOG_FORMAT: %q is not a log format (use text or json)", cfg.LogFormat)
	}
	cfg.DefaultLanguage = strings.ToLower(strings.TrimSpace(cfg.DefaultLanguage))
	if message.ByTag(cfg.DefaultLanguage) == nil {
		return cfg, fmt.Errorf("DEFAULT_LANGUAGE: %q is not a language the bot speaks (use en, ru or zh)", cfg.DefaultLanguage)
	}
	return cfg, nil
}

// checkWebhook checks the webhook variables when WEBHOOK_URL is set. The
// secret's value is never quoted.
func checkWebhook(cfg config) error {
	if cfg.WebhookURL == "" {
		return nil
	}
	u, err := url.Parse(cfg.WebhookURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("WEBHOOK_URL: %q is not an https URL (Telegram calls webhooks over HTTPS only)", cfg.WebhookURL)
	}
	if cfg.WebhookSecret == "" {
		return errors.New("WEBHOOK_SECRET is required with WEBHOOK_URL: 1 to 256 of A-Z a-z 0-9 _ - (e.g. openssl rand -hex 32)")
	}
	if !webhookSecret.MatchString(cfg.WebhookSecret) {
		return errors.New("WEBHOOK_SECRET: must be 1 to 256 of A-Z a-z 0-9 _ - (e.g. openssl rand -hex 32)")
	}
	return nil
}

// configKeys lists the environment variables config reads.
func configKeys() []string {
	return envKeys(reflect.TypeFor[config]())
}

// envKeys lists the environment variables the struct type t reads.
func envKeys(t reflect.Type) []string {
	keys := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		keys = append(keys, f.Tag.Get("envconfig"))
	}
	return keys
}

// unsetEmpty unsets each of keys that is set but blank: an empty variable
// (KEY= in an env file) means "use the default", not "".
func unsetEmpty(keys []string) {
	for _, key := range keys {
		if v, ok := os.LookupEnv(key); ok && strings.TrimSpace(v) == "" {
			os.Unsetenv(key)
		}
	}
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
	case "ALLOWED_USERS", "ADMIN_USERS":
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
