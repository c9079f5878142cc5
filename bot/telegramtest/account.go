package telegramtest

import (
	"encoding/json"
	"regexp"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// commandName is what Telegram accepts as a command in setMyCommands.
var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

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
	return s.webhookURL
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

// setWebhook implements https://core.telegram.org/bots/api#setwebhook. The
// URL is only recorded; while it is set getUpdates answers 409, as Telegram's.
func (s *Server) setWebhook(rq *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL = rq.params["url"]
	s.notifyLocked()
	return ok(true)
}

// deleteWebhook implements https://core.telegram.org/bots/api#deletewebhook,
// dropping queued updates when asked to.
func (s *Server) deleteWebhook(rq *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL = ""
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
	return ok(models.WebhookInfo{URL: s.webhookURL, PendingUpdateCount: len(s.queue)})
}

// closeBot implements close and logOut: both succeed and change nothing.
func (s *Server) closeBot(*request) reply {
	return ok(true)
}
