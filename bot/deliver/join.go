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

// JoinPushes combines pushes that are due to one chat at the same moment into
// as few messages as Telegram takes. Telegram accepts about one message per
// second per chat, so two codes that arrive together (one account's orders
// are checked together) would otherwise reach the user a second apart. In a
// joined message each copy button names its order.
func JoinPushes(pushes []store.Message) []store.Message {
	var (
		out  []store.Message
		cur  store.Message
		rows [][]message.Button
		n    int
	)
	done := func() {
		if n == 0 {
			return
		}
		if n > 1 {
			cur.Markup = message.MarkupJSON(&message.Keyboard{InlineKeyboard: rows})
			if len(rows) == 0 {
				cur.Markup = ""
			}
		}
		out = append(out, cur)
		n, rows = 0, nil
	}
	for _, m := range pushes {
		if n > 0 && (n == maxJoinedPushes || len(cur.Text)+2+len(m.Text) > maxJoinedBytes) {
			done()
		}
		if n == 0 {
			cur, n = m, 1
			rows = labelledRows(m)
			continue
		}
		cur.Text += "\n\n" + m.Text
		rows = append(rows, labelledRows(m)...)
		if cur.OrderID != m.OrderID {
			cur.OrderID = ""
		}
		if cur.TelegramUserID != m.TelegramUserID {
			cur.TelegramUserID = 0
		}
		n++
	}
	done()
	return out
}

// labelledRows returns the keyboard rows of a push with each copy button
// naming the push's order; nil when it has none or they do not parse.
func labelledRows(m store.Message) [][]message.Button {
	if m.Markup == "" {
		return nil
	}
	var kb message.Keyboard
	if err := json.Unmarshal([]byte(m.Markup), &kb); err != nil {
		return nil
	}
	for _, row := range kb.InlineKeyboard {
		for i := range row {
			if row[i].CopyText != nil && m.OrderID != "" {
				row[i].Text = message.ButtonCopyCodeFor(m.OrderID)
			}
		}
	}
	return kb.InlineKeyboard
}
