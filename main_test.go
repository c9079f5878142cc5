package main

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/watch"
)

// setEnv gives a test exactly these configuration variables; an empty value
// counts as unset.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range configKeys() {
		t.Setenv(k, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	setEnv(t, map[string]string{"TELEGRAM_BOT_TOKEN": "1:abc"})
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		TelegramBotToken: "1:abc",
		TelegramAPIURL:   "https://api.telegram.org",
		SMSOnlineAPIURL:  "https://api-x.smsonline.cloud",
		DatabasePath:     "data/bot.db",
		PollInterval:     3 * time.Second,
		SMSOnlineMaxRPS:  20,
		TelegramMaxRPS:   28,
		MaxWatches:       50,
		LogLevel:         slog.LevelInfo,
		DefaultLanguage:  "en",
		HealthAddr:       "127.0.0.1:8081",
		LogFormat:        "text",
		WebhookAddr:      ":8080",
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
	// The admin's defaults are the packages' own: they cannot drift apart.
	if cfg.PollInterval != watch.DefaultPollInterval {
		t.Errorf("POLL_INTERVAL defaults to %v, the watcher to %v", cfg.PollInterval, watch.DefaultPollInterval)
	}
	if cfg.HealthAddr != defaultHealthAddr {
		t.Errorf("HEALTH_ADDR defaults to %v, smsbot healthcheck to %v", cfg.HealthAddr, defaultHealthAddr)
	}
}

func TestLoadConfigValues(t *testing.T) {
	setEnv(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": "1:abc",
		"TELEGRAM_API_URL":   "http://127.0.0.1:8081",
		"POLL_INTERVAL":      "5s",
		"ALLOWED_USERS":      " 12345, 678 ,",
		"LOG_LEVEL":          "debug",
		"SMSONLINE_MAX_RPS":  "0",
		"WEBHOOK_URL":        "https://bot.example.com/tg/hook",
		"WEBHOOK_SECRET":     strings.Repeat("Az09_-", 40),
	})
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TelegramAPIURL != "http://127.0.0.1:8081" || cfg.PollInterval != 5*time.Second ||
		!reflect.DeepEqual([]int64(cfg.AllowedUsers), []int64{12345, 678}) || cfg.LogLevel != slog.LevelDebug ||
		cfg.SMSOnlineMaxRPS != 0 || cfg.WebhookURL != "https://bot.example.com/tg/hook" || cfg.WebhookAddr != defaultWebhookAddr {
		t.Errorf("got %+v", cfg)
	}
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"missing token", map[string]string{}, "TELEGRAM_BOT_TOKEN"},
		{"blank token", map[string]string{"TELEGRAM_BOT_TOKEN": "  "}, "TELEGRAM_BOT_TOKEN"},
		{"bad duration", map[string]string{"POLL_INTERVAL": "soon"}, `POLL_INTERVAL: "soon" is not a duration`},
		{"interval too short", map[string]string{"POLL_INTERVAL": "10ms"}, "POLL_INTERVAL"},
		{"bad user id", map[string]string{"ALLOWED_USERS": "1,bob"}, `ALLOWED_USERS: "bob" is not a Telegram user id`},
		{"bad log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"bad health addr", map[string]string{"HEALTH_ADDR": "8081"}, `HEALTH_ADDR: "8081" is not host:port`},
		{"bad metrics addr", map[string]string{"METRICS_ADDR": "localhost"}, `METRICS_ADDR: "localhost" is not host:port`},
		{"bad log format", map[string]string{"LOG_FORMAT": "xml"}, `LOG_FORMAT: "xml" is not a log format`},
		{"bad language", map[string]string{"DEFAULT_LANGUAGE": "de"}, `DEFAULT_LANGUAGE: "de" is not a language the bot speaks`},
		{"bad telegram url", map[string]string{"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"},
		{"bad smsonline url", map[string]string{"SMSONLINE_API_URL": "not a url"}, "SMSONLINE_API_URL"},
		{"bad rps", map[string]string{"SMSONLINE_MAX_RPS": "fast"}, "SMSONLINE_MAX_RPS"},
		{"telegram rps over the limit", map[string]string{"TELEGRAM_MAX_RPS": "100"}, "TELEGRAM_MAX_RPS"},
		{"zero watches", map[string]string{"MAX_WATCHES_PER_USER": "0"}, "MAX_WATCHES_PER_USER"},
		{"webhook without secret", map[string]string{"WEBHOOK_URL": "https://bot.example.com/tg"}, "WEBHOOK_SECRET is required with WEBHOOK_URL"},
		{"webhook secret with a bad character", map[string]string{"WEBHOOK_URL": "https://bot.example.com/tg", "WEBHOOK_SECRET": "secret-token!"}, "WEBHOOK_SECRET: must be 1 to 256"},
		{"webhook secret too long", map[string]string{"WEBHOOK_URL": "https://bot.example.com/tg", "WEBHOOK_SECRET": strings.Repeat("a", 257)}, "WEBHOOK_SECRET"},
		{"webhook over http", map[string]string{"WEBHOOK_URL": "http://bot.example.com/tg", "WEBHOOK_SECRET": "s"}, "WEBHOOK_URL"},
		{"bad webhook addr", map[string]string{"WEBHOOK_ADDR": "8080"}, `WEBHOOK_ADDR: "8080" is not host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"TELEGRAM_BOT_TOKEN": "1:secret-token"}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.name == "missing token" {
				delete(env, "TELEGRAM_BOT_TOKEN")
			}
			setEnv(t, env)
			_, err := loadConfig()
			if err == nil {
				t.Fatal("loadConfig accepted a bad configuration")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "secret-token") {
				t.Errorf("error is not one clean line without secrets: %q", msg)
			}
		})
	}
}
