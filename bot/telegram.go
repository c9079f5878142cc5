package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// maxReplyWait is the longest Telegram's retry_after an interactive answer
// waits for before it is given up; the user is looking at the chat.
const maxReplyWait = 5 * time.Second

// reply answers a request in its chat. In groups the answer quotes the command
// so it is clear whom it answers. A failure is logged, not returned: the
// handler has nobody else to tell.
func (b *Bot) reply(ctx context.Context, r request, text string) {
	b.replyWith(ctx, r, text, nil)
}

// replyWith answers with an inline keyboard under the text.
func (b *Bot) replyWith(ctx context.Context, r request, text string, kb *inlineKeyboard) {
	params := &tgbot.SendMessageParams{
		ChatID:             r.chat,
		Text:               text,
		ParseMode:          models.ParseModeHTML,
		LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
	}
	if kb != nil {
		params.ReplyMarkup = kb
	}
	if !r.private() {
		params.ReplyParameters = &models.ReplyParameters{MessageID: r.msg.ID, AllowSendingWithoutReply: true}
	}
	if _, err := b.sendMessage(ctx, params); err != nil {
		b.log.Warn("can't answer", "chat", r.chat, "err", b.errText(err))
	}
}

// sendMessage sends within the bot's pace, and once more after Telegram's
// retry_after when it asks for a short pause (go-telegram/bot never retries by
// itself).
func (b *Bot) sendMessage(ctx context.Context, params *tgbot.SendMessageParams) (*models.Message, error) {
	if err := b.pace.Wait(ctx); err != nil {
		return nil, err
	}
	msg, err := b.tg.SendMessage(ctx, params)
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		wait := time.Duration(tooMany.RetryAfter) * time.Second
		if wait > maxReplyWait {
			return nil, err
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, err
		case <-t.C:
		}
		return b.tg.SendMessage(ctx, params)
	}
	return msg, err
}

// deleteMessage deletes a message and reports whether it is gone.
func (b *Bot) deleteMessage(ctx context.Context, chatID int64, messageID int) bool {
	_, err := b.tg.DeleteMessage(ctx, &tgbot.DeleteMessageParams{ChatID: chatID, MessageID: messageID})
	if err != nil {
		b.log.Warn("can't delete message", "chat", chatID, "message", messageID, "err", b.errText(err))
		return false
	}
	return true
}

// editMessage replaces a message's text and keyboard (the order card after a
// button press). "Not modified" is not an error: the card was already current.
func (b *Bot) editMessage(ctx context.Context, chatID int64, messageID int, text string, kb *inlineKeyboard) {
	params := &tgbot.EditMessageTextParams{
		ChatID:             chatID,
		MessageID:          messageID,
		Text:               text,
		ParseMode:          models.ParseModeHTML,
		LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()},
	}
	if kb != nil {
		params.ReplyMarkup = kb
	}
	if err := b.pace.Wait(ctx); err != nil {
		return
	}
	_, err := b.tg.EditMessageText(ctx, params)
	if err != nil && !strings.Contains(err.Error(), "message is not modified") {
		b.log.Warn("can't update message", "chat", chatID, "err", b.errText(err))
	}
}
