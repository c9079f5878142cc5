package telegramtest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-telegram/bot/models"
)

// User is a Telegram user talking to the bot.
type User struct {
	ID        int64
	FirstName string
	Username  string
	// LanguageCode is the language_code of the user's updates, as their
	// Telegram app sends it; "" sends "en", "-" sends none.
	LanguageCode string
}

// model returns the user as the Bot API describes it.
func (u User) model() models.User {
	code := u.LanguageCode
	switch code {
	case "":
		code = "en"
	case "-":
		code = ""
	}
	return models.User{ID: u.ID, FirstName: u.FirstName, Username: u.Username, LanguageCode: code}
}

// PrivateChat returns the private chat between u and the bot; its id is the
// user's id, as in Telegram.
func PrivateChat(u User) models.Chat {
	return models.Chat{ID: u.ID, Type: models.ChatTypePrivate, FirstName: u.FirstName, Username: u.Username}
}

// GroupChat returns a supergroup. Group ids are negative in Telegram; a
// positive id is negated.
func GroupChat(id int64, title string) models.Chat {
	if id > 0 {
		id = -id
	}
	return models.Chat{ID: id, Type: models.ChatTypeSupergroup, Title: title}
}

// SendText queues a text message from a user, as if typed in chat, and
// returns its message id. A leading "/command" (optionally "/command@bot")
// gets a bot_command entity, as Telegram adds one.
func (s *Server) SendText(from User, chat models.Chat, text string) (messageID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat.ID, &chat)
	u := from.model()
	m := &message{from: &u, date: time.Now().Unix(), text: text, entities: commandEntities(text)}
	id := cs.add(m)
	s.enqueueLocked(&models.Update{Message: m.model(cs.chat, id)})
	return id
}

// PressButton queues a callback query: from pressed an inline button carrying
// data under message messageID of chat, and returns the query's id. The
// current state of that message is included, as Telegram does; if it does not
// exist (never sent or deleted) the query carries an inaccessible message.
// data is not checked against the message's keyboard: real clients can send
// any callback data, and a bot must not trust it.
func (s *Server) PressButton(from User, chat models.Chat, messageID int, data string) (callbackID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat.ID, &chat)
	s.lastCallback++
	callbackID = strconv.FormatInt(4_000_000_000_000_000+s.lastCallback, 10)
	q := &models.CallbackQuery{
		ID:           callbackID,
		From:         from.model(),
		ChatInstance: strconv.FormatInt(-cs.chat.ID*7919, 10),
		Data:         data,
	}
	if m, found := cs.msgs[messageID]; found {
		q.Message = models.MaybeInaccessibleMessage{
			Type:    models.MaybeInaccessibleMessageTypeMessage,
			Message: m.model(cs.chat, messageID),
		}
	} else {
		q.Message = models.MaybeInaccessibleMessage{
			Type:                models.MaybeInaccessibleMessageTypeInaccessibleMessage,
			InaccessibleMessage: &models.InaccessibleMessage{Chat: cs.chat, MessageID: messageID},
		}
	}
	s.callbacks[callbackID] = false
	s.enqueueLocked(&models.Update{CallbackQuery: q})
	return callbackID
}

// PendingUpdates returns how many updates are queued but not yet confirmed by
// a getUpdates call with a higher offset.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// LastUpdateID returns the id of the latest update queued by SendText or
// PressButton, 0 before the first. A test can wait for a bot to have handled
// everything sent so far by comparing it with the offset the bot stored.
func (s *Server) LastUpdateID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastUpdateID
}

// enqueueLocked gives u the next update id, queues it and wakes a waiting
// getUpdates. s.mu must be held; u must not be changed afterwards.
func (s *Server) enqueueLocked(u *models.Update) {
	s.lastUpdateID++
	u.ID = s.lastUpdateID
	s.queue = append(s.queue, u)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.notifyLocked()
}

// confirmLocked drops the updates getUpdates' offset confirms: those with an
// id below offset, or, for a negative offset, all but the last -offset.
func (s *Server) confirmLocked(offset int64) {
	drop := 0
	switch {
	case offset > 0:
		for drop < len(s.queue) && s.queue[drop].ID < offset {
			drop++
		}
	case offset < 0:
		drop = max(0, len(s.queue)-int(-offset))
	}
	if drop > 0 {
		clear(s.queue[:drop]) // let the confirmed updates be collected
		s.queue = s.queue[drop:]
		s.notifyLocked()
	}
}

// commandEntities returns the bot_command entity Telegram attaches to a text
// starting with "/command" or "/command@username".
func commandEntities(text string) []models.MessageEntity {
	if len(text) < 2 || text[0] != '/' {
		return nil
	}
	n := 1 + wordLen(text[1:])
	if n == 1 || n > 1+64 {
		return nil
	}
	if n < len(text) && text[n] == '@' {
		if u := wordLen(text[n+1:]); u > 0 {
			n += 1 + u
		}
	}
	// Commands are ASCII, so bytes and UTF-16 units agree.
	return []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: n}}
}

// wordLen returns the length of the leading run of [A-Za-z0-9_] in s.
func wordLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return i
		}
	}
	return len(s)
}

// poller is a getUpdates call waiting for updates; a newer getUpdates
// terminates it, as Telegram does when two bot instances poll.
type poller struct {
	kicked chan struct{}
}

// getUpdates answers with queued updates, long-polling up to timeout seconds
// when there are none. It returns at once when an update is queued, and lets
// go when the client leaves or the test ends.
func (s *Server) getUpdates(rq *request) reply {
	offset, err := intParam(rq.params, "offset", 0)
	if err != nil {
		return badRequest(err.Error())
	}
	limit, err := intParam(rq.params, "limit", 100)
	if err != nil {
		return badRequest(err.Error())
	}
	limit = min(max(limit, 1), 100)
	timeout, err := intParam(rq.params, "timeout", 0)
	if err != nil {
		return badRequest(err.Error())
	}
	deadline := time.Now().Add(time.Duration(max(timeout, 0)) * time.Second)

	var (
		me    *poller
		timer *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		if me != nil {
			s.mu.Lock()
			if s.poller == me {
				s.poller = nil
			}
			s.mu.Unlock()
		}
	}()
	for {
		s.mu.Lock()
		if s.webhook.URL != "" {
			s.mu.Unlock()
			return fail(http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
		}
		if me != nil && isClosed(me.kicked) {
			s.mu.Unlock()
			return fail(http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
		}
		if me == nil {
			if s.poller != nil {
				close(s.poller.kicked)
			}
			me = &poller{kicked: make(chan struct{})}
			s.poller = me
		}
		s.confirmLocked(offset)
		if len(s.queue) > 0 || !time.Now().Before(deadline) {
			batch := make([]*models.Update, min(len(s.queue), int(limit)))
			copy(batch, s.queue)
			s.mu.Unlock()
			return ok(batch)
		}
		arrived := s.arrived
		s.mu.Unlock()

		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
		}
		select {
		case <-arrived:
		case <-me.kicked:
		case <-timer.C:
		case <-rq.ctx.Done():
			return reply{gone: true}
		case <-s.done:
			return ok([]*models.Update{})
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
