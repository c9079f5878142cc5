package bot

import (
	"context"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
)

// cmdLanguage shows the language buttons (/language) or switches at once
// (/language ru). The choice is stored and outranks what Telegram says.
func (d *accountDesk) cmdLanguage(ctx context.Context, r request) (reply, error) {
	switch len(r.cmd.Args) {
	case 0:
		return reply{r.lang.T(message.LanguageAsk), message.LanguageKeyboard()}, nil
	case 1:
		if l := message.ByTag(strings.ToLower(r.cmd.Args[0])); l != nil {
			return textReply(d.chooseLanguage(ctx, r.lang, r.user, l)), nil
		}
	}
	return textReply(r.lang.T(message.LanguageUsage)), nil
}

// chooseLanguage stores a user's choice and returns the answer, in the
// language chosen (in was, the language before, when it fails).
func (d *accountDesk) chooseLanguage(ctx context.Context, was *message.Lang, user int64, l *message.Lang) string {
	if err := d.langs.choose(ctx, user, l); err != nil {
		d.log.Error("can't save language", "user", user, "err", err)
		return was.T(message.Internal)
	}
	d.log.Info("language chosen", "user", user, "language", l.Tag)
	return l.T(message.LanguageSet)
}

// onLanguageButton handles a press on a /language button: it sets the
// presser's own language, whoever asked for the buttons.
func (b *Bot) onLanguageButton(ctx context.Context, q *models.CallbackQuery, was, l *message.Lang) {
	text := b.accounts.chooseLanguage(ctx, was, q.From.ID, l)
	if msg := q.Message.Message; msg != nil {
		b.editMessage(ctx, msg.Chat.ID, msg.ID, text, nil)
	}
	b.answerCallback(ctx, q.ID, "")
}
