package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/deliver"
	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// /settings: the user's rule for numbers that get no SMS. The rule is the
// Telegram user's, stored with or without a linked account; it acts on the
// numbers the bot watches for them (bot/money carries it out).

// settingsChoices are the rules /settings offers as buttons.
func settingsChoices() []store.Rule {
	return []store.Rule{
		{Kind: store.RuleOff},
		{Kind: store.RuleRefund, Minutes: 5},
		{Kind: store.RuleRefund, Minutes: 10},
		{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 1_00},
	}
}

// cmdSettings shows the user's rule with the common choices (/settings),
// or sets it: /settings off, /settings refund N, /settings retry N K X.
// Anything else is answered with what it takes, and changes nothing.
func (d *accountDesk) cmdSettings(ctx context.Context, r request) (reply, error) {
	l := r.lang
	if len(r.cmd.Args) == 0 {
		rule, err := d.store.UserRule(ctx, r.user)
		if err != nil {
			return reply{}, err
		}
		return reply{l.SettingsShow(view.Settings(rule), view.SettingsLimits()), settingsKeyboard(l)}, nil
	}
	rule, ok := parseRule(r.cmd.Args)
	if !ok {
		return textReply(l.SettingsUsage(view.SettingsLimits())), nil
	}
	if err := d.setRule(ctx, r.user, rule); err != nil {
		return reply{}, err
	}
	return textReply(l.SettingsSaved(view.Settings(rule))), nil
}

// settingsKeyboard is /settings' buttons, in l.
func settingsKeyboard(l *message.Lang) *message.Keyboard {
	var choices []message.Settings
	for _, r := range settingsChoices() {
		choices = append(choices, view.Settings(r))
	}
	return l.SettingsKeyboard(choices)
}

// parseRule reads the arguments of /settings: "off", "refund N" or
// "retry N K X" (N minutes and K numbers whole, X dollars as /buy and
// /topup take them); ok is false unless the rule is within its limits.
func parseRule(args []string) (r store.Rule, ok bool) {
	switch kind := store.RuleKind(strings.ToLower(args[0])); {
	case kind == store.RuleOff && len(args) == 1:
		r, ok = store.Rule{Kind: store.RuleOff}, true
	case kind == store.RuleRefund && len(args) == 2:
		minutes, okM := wholeArg(args[1])
		r, ok = store.Rule{Kind: store.RuleRefund, Minutes: minutes}, okM
	case kind == store.RuleRetry && len(args) == 4:
		minutes, okM := wholeArg(args[1])
		numbers, okK := wholeArg(args[2])
		spend, err := smsapi.ParseDollars(args[3])
		r = store.Rule{Kind: store.RuleRetry, Minutes: minutes, MaxNumbers: numbers, MaxSpend: spend.Cents}
		ok = okM && okK && err == nil
	}
	return r, ok && r.Check() == nil
}

// wholeArg reads a whole number of a few digits: no sign, point or space.
func wholeArg(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// setRule stores the user's rule.
func (d *accountDesk) setRule(ctx context.Context, user int64, r store.Rule) error {
	if err := d.store.SetRule(ctx, user, r, d.now()); err != nil {
		return fmt.Errorf("save rule: %w", err)
	}
	d.log.Info("rule set", "user", user, "kind", r.Kind, "minutes", r.Minutes, "numbers", r.MaxNumbers, "spend", r.MaxSpend)
	return nil
}

// onSettingsButton handles a press on a /settings button: it sets the
// presser's own rule, whoever asked for the buttons. The message shows the
// new rule when it was made for the presser (their private chat, or their
// /settings in a group); elsewhere a new message says it: the buttons name
// no owner, so the fallback of mayEdit (the buttons hold the data) would
// let anyone rewrite another user's message. Data outside the rule's
// limits was never made by the bot: nothing changes.
func (b *Bot) onSettingsButton(ctx context.Context, q *models.CallbackQuery, l *message.Lang, s message.Settings) {
	rule := view.Rule(s)
	if rule.Check() != nil {
		b.log.Info("settings button outside the limits", "user", q.From.ID)
		b.answerCallback(ctx, q.ID, l.T(message.ButtonExpired))
		return
	}
	if err := b.accounts.setRule(ctx, q.From.ID, rule); err != nil {
		b.log.Error("button failed", "action", "settings", "user", q.From.ID, "err", err)
		b.answerCallback(ctx, q.ID, l.T(message.ToastSomethingWrong))
		return
	}
	if msg := q.Message.Message; msg != nil {
		if b.madeFor(ctx, msg, q.From.ID) {
			b.editMessage(ctx, msg.Chat.ID, msg.ID, l.SettingsShow(view.Settings(rule), view.SettingsLimits()), settingsKeyboard(l))
		} else if _, err := b.sendMessage(ctx, deliver.TextMessage{ChatID: msg.Chat.ID, Text: l.SettingsSaved(view.Settings(rule))}); err != nil {
			b.log.Warn("can't answer", "chat", msg.Chat.ID, "err", b.errText(err))
		}
	}
	b.answerCallback(ctx, q.ID, l.T(message.ToastSaved))
}

// madeFor reports whether msg was made for user: it is in their private
// chat, or the bot recorded it as theirs.
func (b *Bot) madeFor(ctx context.Context, msg *models.Message, user int64) bool {
	if msg.Chat.ID == privateChat(user) {
		return true
	}
	owner, err := b.store.CardOwner(ctx, msg.Chat.ID, msg.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		b.log.Warn("can't load card owner", "chat", msg.Chat.ID, "err", err)
	}
	return err == nil && owner == user
}
