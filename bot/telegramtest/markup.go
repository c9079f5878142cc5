package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-telegram/bot/models"
)

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// keyboard is a parsed reply_markup: the inline keyboard, if any, and a
// canonical form of it to compare edits with.
type keyboard struct {
	markup *models.InlineKeyboardMarkup
	key    string
}

// buttonActions are the fields of which an inline button must have exactly
// one; each names the action a press triggers.
var buttonActions = []string{
	"url", "callback_data", "web_app", "login_url", "switch_inline_query",
	"switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
	"copy_text", "callback_game", "pay",
}

// parseReplyMarkup validates reply_markup. Inline keyboards are checked
// button by button like Telegram does; reply keyboards, keyboard removal and
// force_reply are accepted without checks and yield no inline keyboard.
func parseReplyMarkup(raw string) (keyboard, *reply) {
	if strings.TrimSpace(raw) == "" {
		return keyboard{}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &obj); err != nil {
		r := badRequest("can't parse reply keyboard markup JSON object")
		return keyboard{}, &r
	}
	rawRows, found := obj["inline_keyboard"]
	if !found {
		return keyboard{}, nil
	}
	var rows [][]map[string]json.RawMessage
	if err := json.Unmarshal(rawRows, &rows); err != nil {
		r := badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays of Objects")
		return keyboard{}, &r
	}
	for _, row := range rows {
		for _, button := range row {
			if desc := checkButton(button); desc != "" {
				r := badRequest(desc)
				return keyboard{}, &r
			}
		}
	}
	var markup models.InlineKeyboardMarkup
	if err := json.Unmarshal(rawRows, &markup.InlineKeyboard); err != nil {
		r := badRequest("can't parse inline keyboard button: " + err.Error())
		return keyboard{}, &r
	}
	if len(markup.InlineKeyboard) == 0 {
		// An empty keyboard is no keyboard.
		return keyboard{}, nil
	}
	key, _ := json.Marshal(markup)
	return keyboard{markup: &markup, key: string(key)}, nil
}

// checkButton returns Telegram's description of what is wrong with one
// inline keyboard button, or "" if it is fine.
func checkButton(b map[string]json.RawMessage) string {
	var text string
	rawText, found := b["text"]
	if !found {
		return "can't parse inline keyboard button: Can't find field \"text\""
	}
	if err := json.Unmarshal(rawText, &text); err != nil {
		return "can't parse inline keyboard button: Field \"text\" must be of type String"
	}
	if strings.TrimSpace(text) == "" {
		return "can't parse inline keyboard button: Text must be non-empty"
	}

	// Checked before counting actions: go-telegram/bot serialises an unset
	// CopyText as {"text":""} next to the real action, and the error users of
	// that library report is BUTTON_COPY_TEXT_INVALID (go-telegram/bot#167).
	if raw, found := b["copy_text"]; found && !isAbsent(raw) {
		var ct struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(raw, &ct) != nil || ct.Text == "" || len(ct.Text) > 256 {
			return "BUTTON_COPY_TEXT_INVALID"
		}
	}

	var actions []string
	for _, field := range buttonActions {
		if raw, found := b[field]; found && !isAbsent(raw) {
			actions = append(actions, field)
		}
	}
	switch len(actions) {
	case 0:
		return "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
	case 1:
	default:
		return "BUTTON_TYPE_INVALID"
	}

	raw := b[actions[0]]
	switch actions[0] {
	case "callback_data":
		var data string
		if json.Unmarshal(raw, &data) != nil || len(data) > maxCallbackData {
			return "BUTTON_DATA_INVALID"
		}
	case "url":
		var u string
		if json.Unmarshal(raw, &u) != nil {
			return "can't parse inline keyboard button: Field \"url\" must be of type String"
		}
		if desc := checkButtonURL(u); desc != "" {
			return desc
		}
	}
	return ""
}

// isAbsent reports whether a button field counts as not given: null, an empty
// string or false. Telegram treats "callback_data":"" like a missing field.
// An object, even an empty one, is present.
func isAbsent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`""`)) || bytes.Equal(raw, []byte("false"))
}

// checkButtonURL checks an url button's target the way Telegram does for the
// common mistakes: an unsupported scheme or no host.
func checkButtonURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("inline keyboard button URL '%s' is invalid: Wrong URL", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "":
		host := u.Host
		if u.Scheme == "" {
			host, _, _ = strings.Cut(raw, "/")
		}
		if host == "" {
			return fmt.Sprintf("inline keyboard button URL '%s' is invalid: URL host is empty", raw)
		}
	case "tg", "ton":
	default:
		return fmt.Sprintf("inline keyboard button URL '%s' is invalid: Unsupported URL protocol", raw)
	}
	return ""
}
