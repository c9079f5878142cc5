package telegramtest

import (
	"encoding/json"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// commandName is what Telegram accepts as a command in setMyCommands.
var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// secretToken is what Telegram accepts as a webhook's secret_token.
var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// languageCode is a two-letter ISO 639-1 code, as setMyCommands takes.
var languageCode = regexp.MustCompile(`^[a-z]{2}$`)

// Commands returns the command list last set with setMyCommands without a
// language_code (any scope), nil after deleteMyCommands.
func (s *Server) Commands() []models.BotCommand { return s.CommandsFor("") }

// CommandsFor returns the command list last set for language_code lang
// ("" for the one without).
func (s *Server) CommandsFor(lang string) []models.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]models.BotCommand(nil), s.commands[lang]...)
}

// Webhook returns the URL last set with setWebhook, "" when none.
func (s *Server) Webhook() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook.URL
}

// WebhookParams returns what setWebhook last set; the zero value after
// deleteWebhook or before any setWebhook.
func (s *Server) WebhookParams() WebhookParams {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.webhook
	p.AllowedUpdates = append([]string(nil), p.AllowedUpdates...)
	return p
}

// getMe implements https://core.telegram.org/bots/api#getme.
func (s *Server) getMe(*request) reply {
	return ok(s.me)
}

// setMyCommands implements https://core.telegram.org/bots/api#setmycommands.
func (s *Server) setMyCommands(rq *request) reply {
	var cmds []models.BotCommand
	if err := json.Unmarshal([]byte(rq.params["commands"]), &cmds); err != nil {
		return badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return badRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !commandName.MatchString(c.Command) {
			return badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(c.Description); n == 0 || n > 256 {
			return badRequest("command description must be non-empty")
		}
	}
	lang := rq.params["language_code"]
	if lang != "" && !languageCode.MatchString(lang) {
		return badRequest("invalid language code specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.commands == nil {
		s.commands = make(map[string][]models.BotCommand)
	}
	s.commands[lang] = cmds
	s.notifyLocked()
	return ok(true)
}

// getMyCommands implements https://core.telegram.org/bots/api#getmycommands.
func (s *Server) getMyCommands(rq *request) reply {
	cmds := s.CommandsFor(rq.params["language_code"])
	if cmds == nil {
		cmds = []models.BotCommand{}
	}
	return ok(cmds)
}

// deleteMyCommands implements https://core.telegram.org/bots/api#deletemycommands.
func (s *Server) deleteMyCommands(rq *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.commands, rq.params["language_code"])
	s.notifyLocked()
	return ok(true)
}

// setWebhook implements https://core.telegram.org/bots/api#setwebhook. While
// a webhook is set getUpdates answers 409, as Telegram's, and DeliverWebhook
// posts the queued updates to it.
func (s *Server) setWebhook(rq *request) reply {
	p := WebhookParams{URL: rq.params["url"], SecretToken: rq.params["secret_token"], MaxConnections: 40}
	if p.URL == "" {
		return badRequest("bad webhook: URL must be provided")
	}
	if p.SecretToken != "" && !secretToken.MatchString(p.SecretToken) {
		return badRequest("bad webhook: secret token contains unallowed characters")
	}
	if raw := rq.params["max_connections"]; raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 100 {
			return badRequest("bad webhook: max_connections must be 1-100")
		}
		p.MaxConnections = n
	}
	if raw := rq.params["allowed_updates"]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &p.AllowedUpdates); err != nil {
			return badRequest("can't parse allowed updates")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = p
	s.notifyLocked()
	return ok(true)
}

// deleteWebhook implements https://core.telegram.org/bots/api#deletewebhook,
// dropping queued updates when asked to.
func (s *Server) deleteWebhook(rq *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = WebhookParams{}
	if boolParam(rq.params, "drop_pending_updates") {
		clear(s.queue)
		s.queue = nil
	}
	s.notifyLocked()
	return ok(true)
}

// getWebhookInfo implements https://core.telegram.org/bots/api#getwebhookinfo.
func (s *Server) getWebhookInfo(*request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok(models.WebhookInfo{
		URL:                s.webhook.URL,
		PendingUpdateCount: len(s.queue),
		MaxConnections:     s.webhook.MaxConnections,
		AllowedUpdates:     s.webhook.AllowedUpdates,
		LastErrorDate:      s.hookError.date,
		LastErrorMessage:   s.hookError.message,
	})
}

// closeBot implements close and logOut: both succeed and change nothing.
func (s *Server) closeBot(*request) reply {
	return ok(true)
}
