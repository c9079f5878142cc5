package message

import "encoding/json"

// The inline keyboard types are our own: go-telegram/bot's InlineKeyboardButton
// always serialises an empty copy_text, which Telegram rejects on a button that
// already has callback_data.

type Keyboard struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

type Button struct {
	Text         string    `json:"text"`
	CallbackData string    `json:"callback_data,omitempty"`
	CopyText     *copyText `json:"copy_text,omitempty"`
}

type copyText struct {
	Text string `json:"text"`
}

// Row lays buttons out in one row; nil when there are none.
func Row(buttons ...Button) *Keyboard {
	if len(buttons) == 0 {
		return nil
	}
	return &Keyboard{InlineKeyboard: [][]Button{buttons}}
}

func CopyButton(label, text string) Button {
	return Button{Text: label, CopyText: &copyText{Text: text}}
}

func CallbackButton(label, data string) Button {
	return Button{Text: label, CallbackData: data}
}

// MarkupJSON renders a keyboard for the outbox; "" for none.
func MarkupJSON(k *Keyboard) string {
	if k == nil {
		return ""
	}
	b, err := json.Marshal(k)
	if err != nil {
		return "" // cannot happen for these plain structs
	}
	return string(b)
}
