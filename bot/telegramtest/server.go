// Package telegramtest is a fake Telegram Bot API server for tests and
// benchmarks of bots built on github.com/go-telegram/bot.
//
// Point the bot at Server.URL (bot.WithServerURL), drive it with SendText and
// PressButton, and inspect what it did with Sent, Edits, Deleted, Answered and
// Calls. The fake is strict where Telegram is strict and a lax fake would hide
// a production bug: HTML parse errors, message length, keyboard buttons, rate
// limits, unknown messages.
package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	commands   []models.BotCommand
	webhookURL string
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

// Call is one request the server received.
type Call struct {
	// Method is the API method, spelled canonically ("sendMessage") when
	// known, else as requested.
	Method string
	// Params holds every parameter as text: scalars as sent, objects such as
	// reply_markup as their JSON.
	Params map[string]string
	// At is when the call arrived.
	At time.Time
	// Status is the HTTP status answered: 0 while the call is still in flight
	// or when the client went away before an answer.
	Status int
}

// Calls returns every call received so far, in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Params = maps.Clone(c.Params)
		out[i] = c
	}
	return out
}

// CallsTo returns the calls to one method (case-insensitive), in arrival order.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if strings.EqualFold(c.Method, method) {
			c.Params = maps.Clone(c.Params)
			out = append(out, c)
		}
	}
	return out
}

// WaitFor waits until cond returns true and fails tb if that takes longer
// than timeout. cond is re-evaluated whenever the server's state changes and
// at least every 10ms, so it may also watch state outside the server. Call it
// from the test's goroutine, and do not call it from inside cond.
func (s *Server) WaitFor(tb testing.TB, timeout time.Duration, cond func() bool) {
	tb.Helper()
	if !s.wait(timeout, cond) {
		tb.Fatalf("telegramtest: condition not met within %v\n%s", timeout, s.dump())
	}
}

// wait reports whether cond became true within timeout.
func (s *Server) wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			return cond()
		}
	}
}

// notifyLocked wakes everyone waiting in WaitFor. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// dump describes the server's state for a failing test: the last calls and
// what is still queued.
func (s *Server) dump() string {
	const last = 25
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "telegramtest state: %d calls, %d accepted sends, %d edits, %d pending updates, %d answered 429\n",
		len(s.calls), len(s.sent), len(s.edits), len(s.queue), s.count429)
	start := max(0, len(s.calls)-last)
	if start > 0 {
		fmt.Fprintf(&b, "  ... %d earlier calls\n", start)
	}
	for _, c := range s.calls[start:] {
		fmt.Fprintf(&b, "  %s %-20s %d", c.At.Format("15:04:05.000"), c.Method, c.Status)
		for _, k := range []string{"chat_id", "message_id", "callback_query_id", "offset", "timeout"} {
			if v, ok := c.Params[k]; ok {
				fmt.Fprintf(&b, " %s=%s", k, v)
			}
		}
		if v, ok := c.Params["text"]; ok {
			fmt.Fprintf(&b, " text=%q", truncate(v, 80))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// request is one API call being answered.
type request struct {
	method string
	params map[string]string
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
	params, perr := readParams(r)
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
		rq := &request{method: name, params: params, ctx: r.Context()}
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
func splitPath(p string) (token, method string, ok bool) {
	rest, found := strings.CutPrefix(p, "/bot")
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 || i == len(rest)-1 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// readParams collects parameters from the query string and the body, which
// may be multipart/form-data (what go-telegram/bot sends),
// application/x-www-form-urlencoded or application/json, as Telegram accepts.
// Body parameters win over the query string.
func readParams(r *http.Request) (map[string]string, error) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return params, fmt.Errorf("can't read request body: %w", err)
	}
	if len(body) > maxRequestBody {
		return params, errors.New("request body is too big")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// go-telegram/bot sends a multipart content type with an empty body
		// for methods without parameters.
		return params, nil
	}
	mediaType, mparams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), mparams["boundary"]).ReadForm(maxRequestBody)
		if err != nil {
			return params, fmt.Errorf("can't parse multipart body: %w", err)
		}
		defer form.RemoveAll()
		for k, v := range form.Value {
			params[k] = v[0]
		}
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return params, fmt.Errorf("can't parse form body: %w", err)
		}
		for k, v := range vals {
			params[k] = v[0]
		}
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return params, fmt.Errorf("can't parse JSON body: %w", err)
		}
		for k, raw := range obj {
			raw = bytes.TrimSpace(raw)
			switch {
			case bytes.Equal(raw, []byte("null")):
			case len(raw) > 0 && raw[0] == '"':
				var str string
				if err := json.Unmarshal(raw, &str); err != nil {
					return params, fmt.Errorf("can't parse JSON field %q: %w", k, err)
				}
				params[k] = str
			default:
				params[k] = string(raw)
			}
		}
	}
	return params, nil
}

// writeReply writes Telegram's envelope. The HTTP status equals error_code,
// as with the real API.
func writeReply(w http.ResponseWriter, rep reply) {
	w.Header().Set("Content-Type", "application/json")
	var body []byte
	if rep.status == http.StatusOK {
		result, err := json.Marshal(rep.result)
		if err != nil {
			rep = fail(http.StatusInternalServerError, "Internal Server Error: "+err.Error())
		} else {
			if rep.garble != NoGarble && rep.garble != GarbleTruncated {
				result = garbleResult(result, rep.garble)
			}
			body = append(append([]byte(`{"ok":true,"result":`), result...), '}')
		}
	}
	if rep.status == http.StatusOK && rep.garble == GarbleTruncated {
		// Declaring the whole length and sending half makes the server close
		// the connection: the client reads an unexpected EOF after a 200.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		return
	}
	if rep.status != http.StatusOK {
		type parameters struct {
			RetryAfter      int   `json:"retry_after,omitempty"`
			MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
		}
		env := struct {
			OK          bool        `json:"ok"`
			ErrorCode   int         `json:"error_code"`
			Description string      `json:"description"`
			Parameters  *parameters `json:"parameters,omitempty"`
		}{ErrorCode: rep.status, Description: rep.desc}
		if rep.retryAfter > 0 || rep.migrateTo != 0 {
			env.Parameters = &parameters{RetryAfter: rep.retryAfter, MigrateToChatID: rep.migrateTo}
		}
		body, _ = json.Marshal(env)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(body)
}

// chatIDParam parses chat_id. Usernames ("@channel") are not supported and,
// like 0 or garbage, read as a chat that does not exist.
func chatIDParam(p map[string]string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(p["chat_id"]), 10, 64)
	return id, err == nil && id != 0
}

// intParam parses an optional integer parameter; a missing one is def.
func intParam(p map[string]string, key string, def int64) (int64, error) {
	v, found := p[key]
	if !found || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("field %q must be a valid Number", key)
	}
	return n, nil
}

// boolParam parses an optional boolean parameter.
func boolParam(p map[string]string, key string) bool {
	v, _ := strconv.ParseBool(strings.TrimSpace(p[key]))
	return v
}
