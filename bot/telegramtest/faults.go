package telegramtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault makes matching calls fail, or slows them down, before the method
// runs, or spoils the answer of a call that succeeded. The first matching
// fault, in injection order, applies.
type Fault struct {
	// Method limits the fault to one method (case-insensitive); "" matches
	// any, getUpdates included.
	Method string
	// ChatID limits the fault to calls whose chat_id is this; 0 matches any.
	ChatID int64
	// Code is the error_code and HTTP status to answer: 429, 403, 400, 500...
	// 0 with a Delay only delays the call, which then runs normally; 0 with
	// MigrateToChatID answers 400; 0 with a Garble runs the call and spoils
	// its answer.
	Code int
	// Description is the error description; empty picks Telegram's usual
	// text for Code.
	Description string
	// RetryAfter is parameters.retry_after; a 429 without it gets 1.
	RetryAfter int
	// MigrateToChatID is parameters.migrate_to_chat_id, as when a group was
	// upgraded to a supergroup.
	MigrateToChatID int64
	// Times is how many calls the fault applies to; 0 means until cleared.
	Times int
	// Delay is how long to wait before answering.
	Delay time.Duration
	// Garble, with Code 0, lets the call run (a sendMessage is delivered and
	// shows in Sent) and then spoils its "ok":true answer so that a client
	// decoding the result into go-telegram/bot's models fails, as a newer Bot
	// API, a JSON-rewriting proxy or a self-hosted Bot API server can. An
	// answer that is an error is left alone.
	Garble Garble
}

// Garble is a way to spoil an accepted call's answer; see Fault.Garble.
type Garble int

const (
	// NoGarble answers as Telegram does.
	NoGarble Garble = iota
	// GarbleStringForObject puts a string where an object belongs: a returned
	// message's link_preview_options is "disabled".
	GarbleStringForObject
	// GarbleUnknownType nests an object of a type no client knows yet: a
	// returned message's forward_origin has type "future_origin".
	GarbleUnknownType
	// GarbleExtraFields adds fields the Bot API does not have, among them
	// "Date" with a date string. encoding/json matches keys case-insensitively,
	// so a client decoding into a struct reads it as the message's date.
	GarbleExtraFields
	// GarbleTruncated answers HTTP 200 with the full Content-Length and then
	// closes the connection after half the body.
	GarbleTruncated
)

// Garbles returns every way to spoil an answer, for tests that try them all.
func Garbles() []Garble {
	return []Garble{GarbleStringForObject, GarbleUnknownType, GarbleExtraFields, GarbleTruncated}
}

func (g Garble) String() string {
	switch g {
	case NoGarble:
		return "none"
	case GarbleStringForObject:
		return "string for object"
	case GarbleUnknownType:
		return "unknown nested type"
	case GarbleExtraFields:
		return "extra fields"
	case GarbleTruncated:
		return "truncated body"
	}
	return fmt.Sprintf("Garble(%d)", int(g))
}

// garbleResult spoils an accepted call's JSON result as g says. A bare
// result such as deleteMessage's true becomes a string, an object of an
// unknown type, or an object with fields nobody knows.
func garbleResult(result []byte, g Garble) []byte {
	var msg map[string]any
	if err := json.Unmarshal(result, &msg); err != nil || msg == nil {
		switch g {
		case GarbleStringForObject:
			out, _ := json.Marshal(string(result))
			return out
		case GarbleUnknownType:
			return []byte(`{"type":"future_result"}`)
		case GarbleExtraFields:
			return []byte(`{"ok":true,"future_field":{"a":1}}`)
		}
		return result
	}
	switch g {
	case GarbleStringForObject:
		msg["link_preview_options"] = "disabled"
	case GarbleUnknownType:
		msg["forward_origin"] = map[string]any{"type": "future_origin", "date": 1700000000, "future": map[string]any{"id": 1}}
	case GarbleExtraFields:
		msg["Date"] = time.Unix(1700000000, 0).UTC().Format(time.RFC3339)
		msg["future_field"] = map[string]any{"kind": "new", "items": []int{1, 2, 3}}
		msg["via_proxy"] = true
	}
	out, err := json.Marshal(msg)
	if err != nil {
		return result
	}
	return out
}

// InjectFault adds a fault.
func (s *Server) InjectFault(f Fault) {
	if f.Code == 0 && f.MigrateToChatID != 0 {
		f.Code = http.StatusBadRequest
	}
	if f.Code == http.StatusTooManyRequests && f.RetryAfter <= 0 {
		f.RetryAfter = 1
	}
	if f.Description == "" {
		f.Description = defaultDescription(f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault. Blocked chats stay blocked.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// BlockChat makes chatID's user block the bot: sendMessage to it is answered
// 403 "Forbidden: bot was blocked by the user".
func (s *Server) BlockChat(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = true
}

// UnblockChat undoes BlockChat, as when the user restarts the bot.
func (s *Server) UnblockChat(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, chatID)
}

// applyFault applies the first fault matching rq, if any: it waits out the
// fault's delay and returns the error to answer. hit is false when the call
// should run normally; garble then says how to spoil its answer.
func (s *Server) applyFault(rq *request) (rep reply, hit bool, garble Garble) {
	chatID, _ := chatIDParam(rq.params)
	s.mu.Lock()
	var f *Fault
	for i, cand := range s.faults {
		if cand.Method != "" && !strings.EqualFold(cand.Method, rq.method) {
			continue
		}
		if cand.ChatID != 0 && cand.ChatID != chatID {
			continue
		}
		f = cand
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		break
	}
	s.mu.Unlock()
	if f == nil {
		return reply{}, false, NoGarble
	}
	if !s.pause(rq, f.Delay) {
		return reply{gone: true}, true, NoGarble
	}
	if f.Code == 0 {
		return reply{}, false, f.Garble
	}
	return reply{
		status:     f.Code,
		desc:       f.Description,
		retryAfter: f.RetryAfter,
		migrateTo:  f.MigrateToChatID,
	}, true, NoGarble
}

// defaultDescription is Telegram's usual description for a fault's code.
func defaultDescription(f Fault) string {
	switch {
	case f.MigrateToChatID != 0:
		return "Bad Request: group chat was upgraded to a supergroup chat"
	case f.Code == http.StatusTooManyRequests:
		return fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter)
	case f.Code == http.StatusForbidden:
		return "Forbidden: bot was blocked by the user"
	case f.Code == http.StatusBadRequest:
		return "Bad Request: chat not found"
	case f.Code == http.StatusUnauthorized:
		return "Unauthorized"
	case f.Code == http.StatusNotFound:
		return "Not Found"
	case f.Code == http.StatusConflict:
		return "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
	case f.Code >= 500:
		return "Internal Server Error"
	default:
		return http.StatusText(f.Code)
	}
}
