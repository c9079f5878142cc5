package telegramtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// maxMessageLength is Telegram's limit on a message's text after entity
// parsing. The fake counts UTF-16 code units, the unit of entity offsets, so
// text that needs surrogate pairs (most emoji) counts twice.
const maxMessageLength = 4096

// SentMessage is a message the bot sent and Telegram accepted.
type SentMessage struct {
	ChatID    int64
	MessageID int
	// Text is the text parameter as sent, markup included.
	Text string
	// Plain is the text the user sees: parse_mode markup removed, entities
	// decoded, surrounding white space trimmed.
	Plain       string
	ParseMode   string
	ReplyMarkup *models.InlineKeyboardMarkup // nil without an inline keyboard; do not modify
	At          time.Time
	// ReplyTo is the id of the message this one answers, 0 if none.
	ReplyTo int
}

// Edit is an accepted editMessageText call.
type Edit struct {
	ChatID    int64
	MessageID int
	// Text is the text parameter as sent; Plain is what the user sees.
	Text        string
	Plain       string
	ParseMode   string
	ReplyMarkup *models.InlineKeyboardMarkup // nil: the edit removed the keyboard; do not modify
	At          time.Time
}

// Deleted is a deleteMessage call; OK is false when Telegram refused it
// because the message did not exist (any more).
type Deleted struct {
	ChatID    int64
	MessageID int
	OK        bool
}

// chatState is one chat's message history. Message ids increase per chat and
// are shared by the bot's and the users' messages, as in private chats.
type chatState struct {
	chat   models.Chat
	lastID int
	msgs   map[int]*message
}

// add stores m under the chat's next message id and returns that id.
func (cs *chatState) add(m *message) int {
	cs.lastID++
	cs.msgs[cs.lastID] = m
	return cs.lastID
}

// message is a stored message. It is replaced, never changed in place, so
// models built from it can be marshalled without the lock.
type message struct {
	from      *models.User
	byBot     bool
	date      int64
	editDate  int64
	text      string // plain text, markup already parsed; a document's caption
	entities  []models.MessageEntity
	document  *models.Document // a document message's file; nil for text
	markup    *models.InlineKeyboardMarkup
	markupKey string // canonical JSON of markup, to tell "not modified"
	replyTo   *message
	replyToID int
}

// model returns m as the Bot API's Message, in chat under id.
func (m *message) model(chat models.Chat, id int) *models.Message {
	out := &models.Message{
		ID:          id,
		From:        m.from,
		Date:        int(m.date),
		EditDate:    int(m.editDate),
		Chat:        chat,
		Text:        m.text,
		Entities:    m.entities,
		ReplyMarkup: m.markup,
	}
	if m.document != nil {
		doc := *m.document
		out.Document, out.Caption, out.CaptionEntities = &doc, m.text, m.entities
		out.Text, out.Entities = "", nil
	}
	if m.replyTo != nil {
		// Telegram nests replied-to messages one level deep only.
		r := *m.replyTo
		r.replyTo = nil
		out.ReplyToMessage = r.model(chat, m.replyToID)
	}
	return out
}

// chatLocked returns a chat's state, creating it on first use. known, when
// not nil, describes the chat; otherwise one is made up from the id.
func (s *Server) chatLocked(id int64, known *models.Chat) *chatState {
	if cs, found := s.chats[id]; found {
		if known != nil {
			cs.chat = *known
		}
		return cs
	}
	chat := models.Chat{ID: id, Type: models.ChatTypePrivate}
	switch {
	case known != nil:
		chat = *known
	case id < -1_000_000_000_000:
		chat.Type = models.ChatTypeSupergroup
	case id < 0:
		chat.Type = models.ChatTypeGroup
	}
	cs := &chatState{chat: chat, msgs: make(map[int]*message)}
	s.chats[id] = cs
	return cs
}

// formatted is a message text after parse_mode was applied.
type formatted struct {
	plain    string
	entities []models.MessageEntity
}

// parseText applies parse_mode to text and checks what Telegram checks:
// UTF-8, markup, emptiness and length.
func parseText(text, parseMode string) (formatted, *reply) {
	if !utf8.ValidString(text) {
		r := badRequest("text must be encoded in UTF-8")
		return formatted{}, &r
	}
	var f formatted
	switch strings.ToLower(parseMode) {
	case "":
		f.plain = text
	case "html":
		plain, entities, err := parseHTML(text)
		if err != nil {
			r := badRequest("can't parse entities: " + err.Error())
			return formatted{}, &r
		}
		f.plain, f.entities = plain, entities
	case "markdown", "markdownv2":
		// Markdown is not validated; the text is taken as is.
		f.plain = text
	default:
		r := badRequest("unsupported parse_mode")
		return formatted{}, &r
	}
	f = trimSpace(f)
	if f.plain == "" {
		r := badRequest("message text is empty")
		return formatted{}, &r
	}
	if utf16Len(f.plain) > maxMessageLength {
		r := badRequest("message is too long")
		return formatted{}, &r
	}
	return f, nil
}

// trimSpace strips leading and trailing white space, as Telegram does, and
// moves the entities accordingly.
func trimSpace(f formatted) formatted {
	trimmed := strings.TrimLeftFunc(f.plain, isTelegramSpace)
	shift := utf16Len(f.plain[:len(f.plain)-len(trimmed)])
	trimmed = strings.TrimRightFunc(trimmed, isTelegramSpace)
	size := utf16Len(trimmed)
	var entities []models.MessageEntity
	for _, e := range f.entities {
		start, end := max(e.Offset-shift, 0), min(e.Offset+e.Length-shift, size)
		if end > start {
			e.Offset, e.Length = start, end-start
			entities = append(entities, e)
		}
	}
	return formatted{plain: trimmed, entities: entities}
}

func isTelegramSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r'
}

// replyTarget reads reply_parameters (or the older reply_to_message_id).
func replyTarget(p map[string]string) (id int, allowMissing bool, rep *reply) {
	if raw, found := p["reply_parameters"]; found && raw != "" {
		var rp struct {
			MessageID                int  `json:"message_id"`
			AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
		}
		if err := json.Unmarshal([]byte(raw), &rp); err != nil {
			r := badRequest("can't parse reply parameters JSON object")
			return 0, false, &r
		}
		return rp.MessageID, rp.AllowSendingWithoutReply, nil
	}
	n, err := intParam(p, "reply_to_message_id", 0)
	if err != nil {
		r := badRequest(err.Error())
		return 0, false, &r
	}
	return int(n), boolParam(p, "allow_sending_without_reply"), nil
}

// sendMessage implements https://core.telegram.org/bots/api#sendmessage.
func (s *Server) sendMessage(rq *request) reply {
	p := rq.params
	chatID, valid := chatIDParam(p)
	if !valid {
		return badRequest("chat not found")
	}
	f, rep := parseText(p["text"], p["parse_mode"])
	if rep != nil {
		return *rep
	}
	kb, rep := parseReplyMarkup(p["reply_markup"])
	if rep != nil {
		return *rep
	}
	replyToID, allowMissing, rep := replyTarget(p)
	if rep != nil {
		return *rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocked[chatID] {
		return fail(http.StatusForbidden, "Forbidden: bot was blocked by the user")
	}
	cs := s.chatLocked(chatID, nil)
	var replyTo *message
	if replyToID != 0 {
		replyTo = cs.msgs[replyToID]
		if replyTo == nil {
			if !allowMissing {
				return badRequest("message to be replied not found")
			}
			replyToID = 0
		}
	}
	now := time.Now()
	if rep := s.admitLocked(chatID, now); rep != nil {
		return *rep
	}
	me := s.me
	m := &message{
		from:      &me,
		byBot:     true,
		date:      now.Unix(),
		text:      f.plain,
		entities:  f.entities,
		markup:    kb.markup,
		markupKey: kb.key,
		replyTo:   replyTo,
		replyToID: replyToID,
	}
	id := cs.add(m)
	s.sent = append(s.sent, SentMessage{
		ChatID:      chatID,
		MessageID:   id,
		Text:        p["text"],
		Plain:       f.plain,
		ParseMode:   p["parse_mode"],
		ReplyMarkup: kb.markup,
		At:          now,
		ReplyTo:     replyToID,
	})
	s.notifyLocked()
	return ok(m.model(cs.chat, id))
}

// editMessageText implements https://core.telegram.org/bots/api#editmessagetext.
// Like Telegram, an edit without reply_markup removes the inline keyboard.
func (s *Server) editMessageText(rq *request) reply {
	p := rq.params
	if p["inline_message_id"] != "" {
		return badRequest("message to edit not found")
	}
	chatID, valid := chatIDParam(p)
	if !valid {
		return badRequest("chat not found")
	}
	msgID, err := intParam(p, "message_id", 0)
	if err != nil {
		return badRequest(err.Error())
	}
	if msgID <= 0 {
		return badRequest("message to edit not found")
	}
	f, rep := parseText(p["text"], p["parse_mode"])
	if rep != nil {
		return *rep
	}
	kb, rep := parseReplyMarkup(p["reply_markup"])
	if rep != nil {
		return *rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	cs, found := s.chats[chatID]
	if !found {
		return badRequest("message to edit not found")
	}
	old := cs.msgs[int(msgID)]
	switch {
	case old == nil:
		return badRequest("message to edit not found")
	case !old.byBot:
		return badRequest("message can't be edited")
	case old.document != nil:
		return badRequest("there is no text in the message to edit")
	case old.text == f.plain && entitiesEqual(old.entities, f.entities) && old.markupKey == kb.key:
		return badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	now := time.Now()
	if rep := s.admitLocked(chatID, now); rep != nil {
		return *rep
	}
	m := *old
	m.text, m.entities = f.plain, f.entities
	m.markup, m.markupKey = kb.markup, kb.key
	m.editDate = now.Unix()
	cs.msgs[int(msgID)] = &m
	s.edits = append(s.edits, Edit{
		ChatID:      chatID,
		MessageID:   int(msgID),
		Text:        p["text"],
		Plain:       f.plain,
		ParseMode:   p["parse_mode"],
		ReplyMarkup: kb.markup,
		At:          now,
	})
	s.notifyLocked()
	return ok(m.model(cs.chat, int(msgID)))
}

func entitiesEqual(a, b []models.MessageEntity) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Offset != b[i].Offset || a[i].Length != b[i].Length ||
			a[i].URL != b[i].URL || a[i].Language != b[i].Language || a[i].CustomEmojiID != b[i].CustomEmojiID {
			return false
		}
	}
	return true
}

// deleteMessage implements https://core.telegram.org/bots/api#deletemessage.
// Every attempt on an identifiable message is recorded in Deleted.
func (s *Server) deleteMessage(rq *request) reply {
	p := rq.params
	chatID, valid := chatIDParam(p)
	if !valid {
		return badRequest("chat not found")
	}
	msgID, err := intParam(p, "message_id", 0)
	if err != nil {
		return badRequest(err.Error())
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var found bool
	if cs := s.chats[chatID]; cs != nil {
		if _, found = cs.msgs[int(msgID)]; found {
			delete(cs.msgs, int(msgID))
		}
	}
	s.deleted = append(s.deleted, Deleted{ChatID: chatID, MessageID: int(msgID), OK: found})
	s.notifyLocked()
	if !found {
		return badRequest("message to delete not found")
	}
	return ok(true)
}

// answerCallbackQuery implements https://core.telegram.org/bots/api#answercallbackquery.
// A query can be answered once.
func (s *Server) answerCallbackQuery(rq *request) reply {
	id := rq.params["callback_query_id"]
	if utf8.RuneCountInString(rq.params["text"]) > 200 {
		return badRequest("MESSAGE_TOO_LONG")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	answered, found := s.callbacks[id]
	if !found || answered {
		return badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	s.callbacks[id] = true
	s.answered = append(s.answered, id)
	s.notifyLocked()
	return ok(true)
}
