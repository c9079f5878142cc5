package telegramtest

import (
	"net/http"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Bot API limits of sendDocument: a caption's length after entity parsing,
// and the size of a file a bot may upload.
const (
	maxCaptionLength = 1024
	maxDocumentSize  = 50 << 20
)

// SentDocument is a file the bot sent with sendDocument and Telegram
// accepted.
type SentDocument struct {
	ChatID    int64
	MessageID int
	// FileName and ContentType are the uploaded part's; Data is the file.
	FileName    string
	ContentType string
	Data        []byte
	// Caption is the caption parameter as sent, markup included; Plain is
	// what the user reads.
	Caption   string
	Plain     string
	ParseMode string
	At        time.Time
}

// Documents returns the accepted sendDocument calls, in order.
func (s *Server) Documents() []SentDocument {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SentDocument, len(s.documents))
	for i, d := range s.documents {
		d.Data = append([]byte(nil), d.Data...)
		out[i] = d
	}
	return out
}

// DocumentsTo returns the accepted sendDocument calls to one chat, in order.
func (s *Server) DocumentsTo(chatID int64) []SentDocument {
	var out []SentDocument
	for _, d := range s.Documents() {
		if d.ChatID == chatID {
			out = append(out, d)
		}
	}
	return out
}

// WaitDocuments waits until at least n documents were accepted for chatID
// and returns them all. It fails tb with a dump of the recent calls when
// timeout passes first.
func (s *Server) WaitDocuments(tb testing.TB, chatID int64, n int, timeout time.Duration) []SentDocument {
	tb.Helper()
	if !s.wait(timeout, func() bool { return len(s.DocumentsTo(chatID)) >= n }) {
		tb.Fatalf("telegramtest: want %d documents in chat %d within %v, have %d\n%s", n, chatID, timeout, len(s.DocumentsTo(chatID)), s.dump())
	}
	return s.DocumentsTo(chatID)
}

// sendDocument implements https://core.telegram.org/bots/api#senddocument
// for a file uploaded as multipart/form-data, the way a bot sends a file
// Telegram does not have yet. A file_id or URL in place of the upload is
// refused: the fake holds no files to name.
func (s *Server) sendDocument(rq *request) reply {
	p := rq.params
	chatID, valid := chatIDParam(p)
	if !valid {
		return badRequest("chat not found")
	}
	file, uploaded := rq.files["document"]
	switch {
	case !uploaded && p["document"] != "":
		return badRequest("wrong remote file identifier specified: can't unserialize it")
	case !uploaded:
		return badRequest("there is no document in the request")
	case len(file.data) == 0:
		return badRequest("file must be non-empty")
	case len(file.data) > maxDocumentSize:
		return fail(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	}
	caption, rep := parseCaption(p["caption"], p["parse_mode"])
	if rep != nil {
		return *rep
	}
	kb, rep := parseReplyMarkup(p["reply_markup"])
	if rep != nil {
		return *rep
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocked[chatID] {
		return fail(http.StatusForbidden, "Forbidden: bot was blocked by the user")
	}
	cs := s.chatLocked(chatID, nil)
	now := time.Now()
	if rep := s.admitLocked(chatID, now); rep != nil {
		return *rep
	}
	me := s.me
	n := strconv.Itoa(len(s.documents) + 1)
	m := &message{
		from:      &me,
		byBot:     true,
		date:      now.Unix(),
		text:      caption.plain,
		entities:  caption.entities,
		markup:    kb.markup,
		markupKey: kb.key,
		document: &models.Document{
			FileID: "document-" + n, FileUniqueID: "u" + n,
			FileName: file.name, MimeType: file.contentType, FileSize: int64(len(file.data)),
		},
	}
	id := cs.add(m)
	s.documents = append(s.documents, SentDocument{
		ChatID:      chatID,
		MessageID:   id,
		FileName:    file.name,
		ContentType: file.contentType,
		Data:        file.data,
		Caption:     p["caption"],
		Plain:       caption.plain,
		ParseMode:   p["parse_mode"],
		At:          now,
	})
	s.notifyLocked()
	return ok(m.model(cs.chat, id))
}

// parseCaption applies parse_mode to a caption, which unlike a message's
// text may be empty, and checks its length.
func parseCaption(caption, parseMode string) (formatted, *reply) {
	if caption == "" {
		return formatted{}, nil
	}
	if !utf8.ValidString(caption) {
		r := badRequest("caption must be encoded in UTF-8")
		return formatted{}, &r
	}
	f, rep := parseText(caption, parseMode)
	if rep != nil {
		if rep.desc == "Bad Request: message text is empty" {
			return formatted{}, nil // markup only: no caption
		}
		return formatted{}, rep
	}
	if utf16Len(f.plain) > maxCaptionLength {
		r := badRequest("message caption is too long")
		return formatted{}, &r
	}
	return f, nil
}
