// Package telegramtest is a fake Telegram Bot API server for tests and
// benchmarks of bots built on github.com/go-telegram/bot.
//
// Point the bot at Server.URL (bot.WithServerURL), drive it with SendText and
// PressButton, and inspect what it did with Sent, Documents, Edits, Deleted,
// Answered and Calls. The fake is strict where Telegram is strict and a lax fake would hide
// a production bug: HTML parse errors, message length, keyboard buttons, rate
// limits, unknown messages.
package telegramtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// DefaultToken is the bot token a Server accepts unless WithToken says
// otherwise. It has the shape of a real token: "<bot id>:<secret>".
const DefaultToken = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"

// DefaultBotUsername is the username getMe reports unless WithBotUsername says
// otherwise.
const DefaultBotUsername = "smsbot_test_bot"

// maxRequestBody bounds what one call may upload; Telegram's own limit for
// multipart uploads is 50 MB.
const maxRequestBody = 50 << 20

// Server is a fake Telegram Bot API server listening on 127.0.0.1.
// All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL to hand to bot.WithServerURL, without a trailing slash.
	URL string
	// Token is the only bot token the server accepts.
	Token string

	me      models.User
	limits  *Limits
	latency time.Duration

	srv  *httptest.Server
	done chan struct{} // closed when the test ends, to release waiting handlers

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever recorded state changes
	calls   []Call

	// updates.go
	queue        []*models.Update
	lastUpdateID int64
	arrived      chan struct{} // closed and replaced when an update is queued
	poller       *poller

	// messages.go
	chats        map[int64]*chatState
	sent         []SentMessage
	documents    []SentDocument
	edits        []Edit
	deleted      []Deleted
	callbacks    map[string]bool // callback query id -> answered
	answered     []string
	lastCallback int64

	// limits.go
	global   bucket
	perChat  map[int64]*bucket
	count429 int

	// faults.go
	faults  []*Fault
	blocked map[int64]bool

	// account.go
	commands map[string][]models.BotCommand // by language_code; "" for none

	// webhook.go
	webhook   WebhookParams
	hookError struct {
		date    int // unix time of the last failed delivery
		message string
	}
}

// Option configures a Server.
type Option func(*Server)

// WithToken makes the server accept token instead of DefaultToken. The part
// before the colon becomes the bot's user id, as with real tokens.
func WithToken(token string) Option {
	return func(s *Server) { s.Token = token }
}

// WithBotUsername sets the username getMe reports (default DefaultBotUsername).
func WithBotUsername(name string) Option {
	return func(s *Server) { s.me.Username = name }
}

// WithLatency delays every answer by d, as a slow network would.
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = d }
}

// New starts a fake Bot API server on 127.0.0.1 and closes it when the test
// ends. Closing first releases long-polling getUpdates calls, so a bot still
// running does not make the cleanup hang.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		Token:     DefaultToken,
		me:        models.User{IsBot: true, FirstName: "SMS Bot", Username: DefaultBotUsername, CanJoinGroups: true},
		done:      make(chan struct{}),
		changed:   make(chan struct{}),
		arrived:   make(chan struct{}),
		chats:     make(map[int64]*chatState),
		callbacks: make(map[string]bool),
		perChat:   make(map[int64]*bucket),
		blocked:   make(map[int64]bool),
	}
	for _, opt := range opts {
		opt(s)
	}
	s.me.ID = botIDFromToken(s.Token)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = strings.TrimSuffix(s.srv.URL, "/")
	tb.Cleanup(s.close)
	return s
}

// close releases waiting handlers and then shuts the HTTP server down.
func (s *Server) close() {
	close(s.done)
	s.srv.Close()
}

// botIDFromToken returns the numeric prefix of a token, as Telegram derives
// the bot's user id from it.
func botIDFromToken(token string) int64 {
	prefix, _, _ := strings.Cut(token, ":")
	id, err := strconv.ParseInt(prefix, 10, 64)
	if err != nil || id <= 0 {
		return 123456
	}
	return id
}

// request is one API call being answered.
type request struct {
	method string
	params map[string]string
	files  map[string]upload // the files of a multipart request, by field
	ctx    context.Context
}

// reply is an API answer before it is written: a result, or an error with
// Telegram's error_code and description.
type reply struct {
	status     int
	result     any
	desc       string
	retryAfter int
	migrateTo  int64
	garble     Garble // spoil an accepted answer (faults.go)
	gone       bool   // the client went away; write nothing
}

func ok(result any) reply { return reply{status: http.StatusOK, result: result} }

func fail(code int, desc string) reply { return reply{status: code, desc: desc} }

func badRequest(desc string) reply { return fail(http.StatusBadRequest, "Bad Request: "+desc) }

// method is one Bot API method the server implements.
type method struct {
	name   string
	handle func(s *Server, rq *request) reply
}

// methods maps lower-cased method names to their handlers: Telegram treats
// method names case-insensitively (go-telegram/bot calls "logout").
var methods = func() map[string]method {
	m := map[string]method{}
	for _, md := range []method{
		{"getMe", (*Server).getMe},
		{"getUpdates", (*Server).getUpdates},
		{"sendMessage", (*Server).sendMessage},
		{"sendDocument", (*Server).sendDocument},
		{"editMessageText", (*Server).editMessageText},
		{"deleteMessage", (*Server).deleteMessage},
		{"answerCallbackQuery", (*Server).answerCallbackQuery},
		{"setMyCommands", (*Server).setMyCommands},
		{"getMyCommands", (*Server).getMyCommands},
		{"deleteMyCommands", (*Server).deleteMyCommands},
		{"setWebhook", (*Server).setWebhook},
		{"deleteWebhook", (*Server).deleteWebhook},
		{"getWebhookInfo", (*Server).getWebhookInfo},
		{"close", (*Server).closeBot},
		{"logOut", (*Server).closeBot},
	} {
		m[strings.ToLower(md.name)] = md
	}
	return m
}()

// serveHTTP routes /bot<token>/<method>, records the call and writes the answer.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	token, name, pathOK := splitPath(r.URL.Path)
	md, known := methods[strings.ToLower(name)]
	if known {
		name = md.name
	}
	params, files, perr := readParams(r)
	idx := s.begin(name, params)

	var rep reply
	switch {
	case !pathOK:
		rep = fail(http.StatusNotFound, "Not Found")
	case token != s.Token:
		rep = fail(http.StatusUnauthorized, "Unauthorized")
	case !known:
		rep = fail(http.StatusNotFound, "Not Found")
	case perr != nil:
		rep = badRequest(perr.Error())
	default:
		rq := &request{method: name, params: params, files: files, ctx: r.Context()}
		rep = s.serve(md, rq)
	}

	status := 0
	if !rep.gone {
		status = rep.status
		writeReply(w, rep)
	}
	s.finish(idx, status)
}

// serve applies latency and faults, then the method itself.
func (s *Server) serve(md method, rq *request) reply {
	if !s.pause(rq, s.latency) {
		return reply{gone: true}
	}
	rep, hit, garble := s.applyFault(rq)
	if hit {
		return rep
	}
	rep = md.handle(s, rq)
	if rep.status == http.StatusOK {
		rep.garble = garble
	}
	return rep
}

// pause waits for d unless the client goes away or the test ends first; it
// reports whether to go on answering.
func (s *Server) pause(rq *request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-rq.ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// begin records a call on arrival and returns its index for finish.
func (s *Server) begin(name string, params map[string]string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: name, Params: params, At: time.Now()})
	s.notifyLocked()
	return len(s.calls) - 1
}

// finish records the status a call was answered with.
func (s *Server) finish(idx, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[idx].Status = status
	if status == http.StatusTooManyRequests {
		s.count429++
	}
	s.notifyLocked()
}

// splitPath splits "/bot<token>/<method>" into its parts.
