package deliver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Client calls the Bot API methods whose effect a user sees:
// sendMessage, sendDocument, editMessageText, deleteMessage and
// answerCallbackQuery.
// go-telegram/bot decodes every result into its models and fails the call when
// one field has a shape they do not expect, although Telegram did what was
// asked; counted as a failure, a delivered code would be sent again. Here
// success is what Telegram said: an answer with "ok":true, or any HTTP 200
// (Telegram answers 200 only with "ok":true), however little of it could be
// read. Long polling, getMe and the set-up calls stay with go-telegram/bot.
type Client struct {
	base   string       // <api url>/bot<token>/
	shown  string       // base with the token redacted, for errors
	client *http.Client // the bot's keep-alive client

	// Observe, when set before the first call, is told how each call ended:
	// "ok", "rate_limited", "refused" or "error" (no answer). For metrics.
	Observe func(method, outcome string)
}

func NewClient(apiURL, token string, client *http.Client) *Client {
	apiURL = strings.TrimRight(apiURL, "/")
	return &Client{base: apiURL + "/bot" + token + "/", shown: apiURL + "/bot<bot-token>/", client: client}
}

// maxAnswerBody bounds how much of an answer is read; a message is far smaller.
const maxAnswerBody = 1 << 20

// TextMessage is one message for sendMessage. Every text the bot sends is
// HTML, without link previews.
type TextMessage struct {
	ChatID int64
	Text   string // HTML
	Markup string // inline keyboard as JSON; "" for none
	// ReplyTo is the id of the message this one answers; 0 for none. The
	// message is sent even when that one is gone.
	ReplyTo int
}

// APIError is Telegram's refusal of a call: an answer with "ok":false. Branch
// on Code and the methods below, not on Description.
type APIError struct {
	Method      string
	Code        int           // error_code: 400, 403, 429, 5xx...
	Description string        // for people and logs
	RetryAfter  time.Duration // parameters.retry_after: how long to wait (429)
	MigrateTo   int64         // parameters.migrate_to_chat_id: the group is now this supergroup
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram refused %s: %d %s", e.Method, e.Code, e.Description)
}

// TooManyRequests reports flood control: wait RetryAfter, then try again.
func (e *APIError) TooManyRequests() bool { return e.Code == http.StatusTooManyRequests }

// Migrated reports that the group became a supergroup, MigrateTo.
func (e *APIError) Migrated() bool { return e.MigrateTo != 0 }

// BadRequest reports a call Telegram will never accept as it is.
func (e *APIError) BadRequest() bool { return e.Code == http.StatusBadRequest }

// ChatGone reports that the chat will never take a message again: the bot
// was blocked or removed (403), or the chat or user no longer exists. Telegram
// tells the latter apart from other 400s only by the description; this and
// NotModified are the only places that read it.
func (e *APIError) ChatGone() bool {
	return e.Code == http.StatusForbidden ||
		e.BadRequest() && e.describes("chat not found", "user is deactivated", "bot was kicked", "chat was deleted")
}

// NotModified reports an edit that changed nothing: the message already
// showed that text and keyboard, which is as good as a done edit.
func (e *APIError) NotModified() bool {
	return e.BadRequest() && e.describes("message is not modified")
}

func (e *APIError) describes(phrases ...string) bool {
	d := strings.ToLower(e.Description)
	for _, p := range phrases {
		if strings.Contains(d, p) {
			return true
		}
	}
	return false
}

// SendMessage sends m and returns the new message's id, 0 when Telegram
// accepted the message but its answer could not be read.
func (a *Client) SendMessage(ctx context.Context, m TextMessage) (messageID int, err error) {
	params := struct {
		ChatID             int64              `json:"chat_id"`
		Text               string             `json:"text"`
		ParseMode          string             `json:"parse_mode"`
		LinkPreviewOptions linkPreviewOptions `json:"link_preview_options"`
		ReplyParameters    *replyParameters   `json:"reply_parameters,omitempty"`
		ReplyMarkup        json.RawMessage    `json:"reply_markup,omitempty"`
	}{
		ChatID: m.ChatID, Text: m.Text, ParseMode: "HTML",
		LinkPreviewOptions: linkPreviewOptions{IsDisabled: true},
		ReplyMarkup:        rawMarkup(m.Markup),
	}
	if m.ReplyTo != 0 {
		params.ReplyParameters = &replyParameters{MessageID: m.ReplyTo, AllowSendingWithoutReply: true}
	}
	result, err := a.call(ctx, "sendMessage", params)
	if err != nil {
		return 0, err
	}
	return messageIDOf(result), nil
}

// SendDocument sends data as a file named filename to a chat, with an HTML
// caption ("" for none), and returns the new message's id, 0 when Telegram
// accepted it but its answer could not be read. The file goes up as
// multipart/form-data, the only way the Bot API takes a new file.
func (a *Client) SendDocument(ctx context.Context, chatID int64, filename string, data []byte, caption string) (messageID int, err error) {
	body, contentType, err := documentForm(chatID, filename, data, caption)
	if err != nil {
		return 0, fmt.Errorf("encode sendDocument: %w", err)
	}
	result, err := a.post(ctx, "sendDocument", contentType, body)
	if err != nil {
		return 0, err
	}
	return messageIDOf(result), nil
}

// documentForm is sendDocument's multipart/form-data body and its content
// type: the chat, the caption as HTML when there is one, and the file.
func documentForm(chatID int64, filename string, data []byte, caption string) (body []byte, contentType string, err error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields := [][2]string{{"chat_id", strconv.FormatInt(chatID, 10)}}
	if caption != "" {
		fields = append(fields, [2]string{"caption", caption}, [2]string{"parse_mode", "HTML"})
	}
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="document"; filename="%s"`, quoteEscaper.Replace(filename)))
	h.Set("Content-Type", documentType(filename))
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(data); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// quoteEscaper escapes a file name for a Content-Disposition header, as
// mime/multipart does.
var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

// documentType is the media type a file is sent with: CSV as UTF-8 text,
// anything else as bytes.
func documentType(filename string) string {
	if strings.HasSuffix(strings.ToLower(filename), ".csv") {
		return "text/csv; charset=utf-8"
	}
	return "application/octet-stream"
}

// EditMessageText replaces a message's HTML text and its inline keyboard
// (markup as JSON; "" removes the keyboard).
func (a *Client) EditMessageText(ctx context.Context, chatID int64, messageID int, text, markup string) error {
	params := struct {
		ChatID             int64              `json:"chat_id"`
		MessageID          int                `json:"message_id"`
		Text               string             `json:"text"`
		ParseMode          string             `json:"parse_mode"`
		LinkPreviewOptions linkPreviewOptions `json:"link_preview_options"`
		ReplyMarkup        json.RawMessage    `json:"reply_markup,omitempty"`
	}{
		ChatID: chatID, MessageID: messageID, Text: text, ParseMode: "HTML",
		LinkPreviewOptions: linkPreviewOptions{IsDisabled: true},
		ReplyMarkup:        rawMarkup(markup),
	}
	_, err := a.call(ctx, "editMessageText", params)
	return err
}

// DeleteMessage deletes a message from a chat.
func (a *Client) DeleteMessage(ctx context.Context, chatID int64, messageID int) error {
	params := struct {
		ChatID    int64 `json:"chat_id"`
		MessageID int   `json:"message_id"`
	}{chatID, messageID}
	_, err := a.call(ctx, "deleteMessage", params)
	return err
}

// AnswerCallbackQuery stops a button's spinner and shows text as a toast.
func (a *Client) AnswerCallbackQuery(ctx context.Context, queryID, text string) error {
	params := struct {
		CallbackQueryID string `json:"callback_query_id"`
		Text            string `json:"text,omitempty"`
	}{queryID, text}
	_, err := a.call(ctx, "answerCallbackQuery", params)
	return err
}

type linkPreviewOptions struct {
	IsDisabled bool `json:"is_disabled"`
}

type replyParameters struct {
	MessageID                int  `json:"message_id"`
	AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
}

func rawMarkup(markup string) json.RawMessage {
	if markup == "" {
		return nil
	}
	return json.RawMessage(markup)
}

// call posts params as JSON to method and returns the answer's result, which
// is nil when Telegram accepted the call but the result could not be read.
// The error is an *APIError when Telegram refused the call; any other error
// means no answer came and the call may or may not have taken effect.
func (a *Client) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	body, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", method, err)
	}
	return a.post(ctx, method, "application/json", body)
}

// post sends body of contentType to method; its answer is read as call's.
func (a *Client) post(ctx context.Context, method, contentType string, body []byte) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+method, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build %s request: %w", method, a.redact(err, method))
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := a.client.Do(req)
	if err != nil {
		a.observe(method, err)
		return nil, fmt.Errorf("call %s: %w", method, a.redact(err, method))
	}
	defer resp.Body.Close()
	// A read error does not matter once the status says 200: what Telegram
	// decided arrived with the status line.
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBody))
	result, err := decideAnswer(method, resp.StatusCode, data, readErr)
	a.observe(method, err)
	return result, err
}

// observe tells Observe how a call ended.
func (a *Client) observe(method string, err error) {
	if a.Observe == nil {
		return
	}
	refused, isRefusal := errors.AsType[*APIError](err)
	switch {
	case err == nil:
		a.Observe(method, "ok")
	case isRefusal && refused.TooManyRequests():
		a.Observe(method, "rate_limited")
	case isRefusal:
		a.Observe(method, "refused")
	default:
		a.Observe(method, "error")
	}
}

// redact replaces the URL in a transport error, which carries the token.
func (a *Client) redact(err error, method string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = a.shown + method
	}
	return err
}

// decideAnswer tells from a Bot API answer whether Telegram did what was
// asked:
//   - "ok":true is success, whatever "result" holds;
//   - "ok":false is a refusal, an *APIError with Telegram's code and parameters;
//   - an answer without a readable "ok" is success with HTTP 200 (Telegram
//     answers 200 only with "ok":true; the body was cut short or garbled) and
//     no answer otherwise (a proxy's error page, a body cut short).
//
// Each field is decoded on its own, so a field of an unexpected shape hides
// nothing else.
func decideAnswer(method string, status int, body []byte, readErr error) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	var ok bool
	if json.Unmarshal(body, &fields) != nil || json.Unmarshal(fields["ok"], &ok) != nil {
		if status == http.StatusOK {
			return nil, nil
		}
		if readErr != nil {
			return nil, fmt.Errorf("call %s: HTTP %d, answer cut short: %w", method, status, readErr)
		}
		return nil, fmt.Errorf("call %s: HTTP %d without a Bot API answer", method, status)
	}
	if ok {
		return fields["result"], nil
	}
	// A field that cannot be read keeps its default; the code defaults to
	// the HTTP status, which Telegram makes equal to error_code.
	e := &APIError{Method: method, Code: status}
	_ = json.Unmarshal(fields["error_code"], &e.Code)
	_ = json.Unmarshal(fields["description"], &e.Description)
	var params struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	}
	_ = json.Unmarshal(fields["parameters"], &params)
	e.RetryAfter = time.Duration(params.RetryAfter) * time.Second
	e.MigrateTo = params.MigrateToChatID
	return nil, e
}

// messageIDOf reads message_id from a sendMessage result; 0 when it is not there.
func messageIDOf(result json.RawMessage) int {
	var fields map[string]json.RawMessage
	var id int
	if json.Unmarshal(result, &fields) == nil && json.Unmarshal(fields["message_id"], &id) == nil {
		return id
	}
	return 0
}
