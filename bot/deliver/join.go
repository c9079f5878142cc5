package deliver

import (
	"encoding/json"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/store"
)

const (
	// maxJoinedPushes bounds how many pushes share one message.
	maxJoinedPushes = 10
	// maxJoinedBytes keeps a joined message under Telegram's 4096 characters:
	// the text the user sees is never longer than its HTML source in bytes.
	maxJoinedBytes = 4096
)

// joinFirst combines the first of pushes, all due to one chat, with as many
// of the following ones as one Telegram message holds, and returns that
// message and how many pushes went into it. Telegram accepts about one
// message per second per chat, so codes that queued up together (one
// account's orders are checked together; a chat that was rate limited
// collects several) would otherwise reach the user a second apart. In a
// joined message each push's buttons come under a row naming its order
// (message.OrderButton).
func joinFirst(pushes []store.Message) (joined store.Message, n int) {
	joined, n = pushes[0], 1
	if len(pushes) == 1 {
		return joined, 1
	}
	rows := labelledRows(pushes[0])
	for _, m := range pushes[1:] {
		if n == maxJoinedPushes || len(joined.Text)+2+len(m.Text) > maxJoinedBytes {
			break
		}
		joined.Text += "\n\n" + m.Text
		rows = append(rows, labelledRows(m)...)
		if joined.OrderID != m.OrderID {
			joined.OrderID = ""
		}
		if joined.TelegramUserID != m.TelegramUserID {
			joined.TelegramUserID = 0
		}
		n++
	}
	if n > 1 {
		joined.Markup = ""
		if len(rows) > 0 {
			if b, err := json.Marshal(keyboard{InlineKeyboard: rows}); err == nil {
				joined.Markup = string(b)
			}
		}
	}
	return joined, n
}

// keyboard is the inline keyboard of an outbox row's markup. Its buttons
// stay raw JSON: joining pushes only puts their rows together, each push's
// under a row that names its order, whatever else a button holds.
type keyboard struct {
	InlineKeyboard [][]json.RawMessage `json:"inline_keyboard"`
}

// labelledRows returns the keyboard rows of a push under a row naming the
// push's order; nil when it has none or they do not parse.
func labelledRows(m store.Message) [][]json.RawMessage {
	if m.Markup == "" {
		return nil
	}
	var kb keyboard
	if err := json.Unmarshal([]byte(m.Markup), &kb); err != nil {
		return nil
	}
	if m.OrderID == "" || len(kb.InlineKeyboard) == 0 {
		return kb.InlineKeyboard
	}
	head, err := json.Marshal(message.OrderButton(m.OrderID))
	if err != nil {
		return kb.InlineKeyboard
	}
	return append([][]json.RawMessage{{head}}, kb.InlineKeyboard...)
}
