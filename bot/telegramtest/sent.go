package telegramtest

import (
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// What the bot sent, edited, deleted and answered, as tests read it.

// Sent returns the accepted sendMessage calls, in order.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.sent...)
}

// SentTo returns the accepted sendMessage calls to one chat, in order.
func (s *Server) SentTo(chatID int64) []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SentMessage
	for _, m := range s.sent {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// Edits returns the accepted editMessageText calls, in order.
func (s *Server) Edits() []Edit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Edit(nil), s.edits...)
}

// Deleted returns every deleteMessage attempt, in order.
func (s *Server) Deleted() []Deleted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Deleted(nil), s.deleted...)
}

// Answered returns the ids of the callback queries the bot answered, in
// order. The answers' text is in CallsTo("answerCallbackQuery").
func (s *Server) Answered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.answered...)
}

// WaitSent waits until at least n messages were accepted and returns them
// all. It fails tb with a dump of the recent calls when timeout passes first.
func (s *Server) WaitSent(tb testing.TB, n int, timeout time.Duration) []SentMessage {
	tb.Helper()
	enough := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.sent) >= n
	}
	if !s.wait(timeout, enough) {
		tb.Fatalf("telegramtest: want %d sent messages within %v, have %d\n%s", n, timeout, len(s.Sent()), s.dump())
	}
	return s.Sent()
}

// Message returns the current state of a message in a chat, as getUpdates
// would describe it, and whether it exists.
func (s *Server) Message(chatID int64, messageID int) (models.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chats[chatID]
	if cs == nil {
		return models.Message{}, false
	}
	m := cs.msgs[messageID]
	if m == nil {
		return models.Message{}, false
	}
	return *m.model(cs.chat, messageID), true
}
