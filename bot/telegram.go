package bot

import (
	"context"
	"errors"
	"time"

	"github.com/smsbot/smsbot/bot/deliver"

	"github.com/smsbot/smsbot/bot/message"
)

// maxReplyWait is the longest Telegram's retry_after an interactive answer
// waits for before it is given up; the user is looking at the chat.
const maxReplyWait = 5 * time.Second

// send answers a request in its chat: the one place a command's reply goes
// out. In groups the answer quotes the command so it is clear whom it
// answers. A failure is logged, not returned: the handler has nobody else
// to tell. An empty reply sends nothing.
func (b *Bot) send(ctx context.Context, r request, rep reply) {
	if rep.text == "" {
		return
	}
	kb := rep.kb
	m := deliver.TextMessage{ChatID: r.chat, Text: rep.text, Markup: message.MarkupJSON(kb)}
	if !r.private() {
		m.ReplyTo = r.msg.ID
	}
	id, err := b.sendMessage(ctx, m)
	if err != nil {
		b.log.Warn("can't answer", "chat", r.chat, "err", b.errText(err))
		return
	}
	b.rememberCard(ctx, r.chat, id, r.user, kb)
}

// sendMessage sends within the bot's pace, and once more after Telegram's
// retry_after when it asks for a short pause. A nil error means Telegram
// accepted the message, even when its answer could not be read (the id is
// then 0).
func (b *Bot) sendMessage(ctx context.Context, m deliver.TextMessage) (messageID int, err error) {
	return b.paced(ctx, func() (int, error) { return b.telegram.SendMessage(ctx, m) })
}

// sendDocument sends a file as sendMessage sends a message: within the
// bot's pace, once more after a short retry_after.
func (b *Bot) sendDocument(ctx context.Context, chatID int64, filename string, data []byte, caption string) error {
	_, err := b.paced(ctx, func() (int, error) { return b.telegram.SendDocument(ctx, chatID, filename, data, caption) })
	return err
}

// paced makes send within the bot's pace and, when Telegram asks for a
// pause of at most maxReplyWait, makes it once more after it.
func (b *Bot) paced(ctx context.Context, send func() (messageID int, err error)) (int, error) {
	if err := b.pace.Wait(ctx); err != nil {
		return 0, err
	}
	id, err := send()
	refused, isRefusal := errors.AsType[*deliver.APIError](err)
	if !isRefusal || !refused.TooManyRequests() || refused.RetryAfter > maxReplyWait {
		return id, err
	}
	t := time.NewTimer(refused.RetryAfter)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return 0, err
	case <-t.C:
	}
	return send()
}

// deleteMessage deletes a message and reports whether it is gone.
func (b *Bot) deleteMessage(ctx context.Context, chatID int64, messageID int) bool {
	if err := b.telegram.DeleteMessage(ctx, chatID, messageID); err != nil {
		b.log.Warn("can't delete message", "chat", chatID, "message", messageID, "err", b.errText(err))
		return false
	}
	return true
}

// editMessage replaces a message's text and keyboard (the order card after a
// button press). "Not modified" is not an error: the card was already current.
func (b *Bot) editMessage(ctx context.Context, chatID int64, messageID int, text string, kb *message.Keyboard) {
	if err := b.pace.Wait(ctx); err != nil {
		return
	}
	err := b.telegram.EditMessageText(ctx, chatID, messageID, text, message.MarkupJSON(kb))
	if refused, isRefusal := errors.AsType[*deliver.APIError](err); isRefusal && refused.NotModified() {
		return
	}
	if err != nil {
		b.log.Warn("can't update message", "chat", chatID, "err", b.errText(err))
	}
}
