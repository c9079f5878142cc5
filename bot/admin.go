package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/money"
	"github.com/smsbot/smsbot/store"
)

// adminStore is what the admins' commands need from the store.
type adminStore interface {
	AdminStats(ctx context.Context, now time.Time) (store.AdminStats, error)
	AddAnnouncement(ctx context.Context, nonce string, adminID int64, text string, now time.Time) (int, error)
	Announcement(ctx context.Context, nonce string) (store.Announcement, error)
	SendAnnouncement(ctx context.Context, nonce, html string, now time.Time) (int, error)
	CancelAnnouncement(ctx context.Context, nonce string, now time.Time) error
}

// adminDesk answers /stats and /announce, for ADMIN_USERS only; the
// dispatcher answers anyone else as it answers an unknown command.
type adminDesk struct {
	store      adminStore
	version    string
	startedAt  time.Time
	now        func() time.Time
	log        *slog.Logger
	wakeSender func()
}

// cmdStats shows the bot's numbers, read from the store so they survive
// restarts.
func (d *adminDesk) cmdStats(ctx context.Context, r request) (reply, error) {
	now := d.now()
	st, err := d.store.AdminStats(ctx, now)
	if err != nil {
		return reply{}, err
	}
	s := message.Stats{
		Accounts: st.Accounts, ActiveWatches: st.ActiveWatches, PausedWatches: st.PausedWatches,
		Pushes24h: st.Pushes24h, Pushes7d: st.Pushes7d, MedianPush: st.MedianPush24h,
		MoneyDone: st.Money24h[store.ActionDone], MoneyFailed: st.Money24h[store.ActionFailed],
		APIRequests: st.APIRequests1h, APIErrors: st.APIErrors1h, OutboxSize: st.OutboxSize,
		Version: d.version, Uptime: now.Sub(d.startedAt),
	}
	for state, n := range st.Money24h {
		if state.Unsettled() {
			s.MoneyUnsettled += n
		}
	}
	if !st.OutboxOldestAt.IsZero() {
		s.OutboxAge = max(0, now.Sub(st.OutboxOldestAt))
	}
	return textReply(r.lang.Stats(s)), nil
}

// cmdAnnounce stores the admin's text and asks them to confirm it with
// the number of users it would reach.
func (d *adminDesk) cmdAnnounce(ctx context.Context, r request) (reply, error) {
	text := announceText(r.msg.Text)
	if text == "" {
		return textReply(r.lang.T(message.AnnounceUsage)), nil
	}
	html, ok := message.Announcement(text)
	if !ok {
		return textReply(r.lang.T(message.AnnounceTooLong)), nil
	}
	nonce := money.NewNonce()
	n, err := d.store.AddAnnouncement(ctx, nonce, r.user, text, d.now())
	if err != nil {
		return reply{}, err
	}
	body, kb := r.lang.AnnounceConfirm(n, html, nonce)
	return reply{text: body, kb: kb}, nil
}

// announceText is what follows the command in the message, its line
// breaks kept.
func announceText(msg string) string {
	msg = strings.TrimLeftFunc(msg, unicode.IsSpace)
	i := strings.IndexFunc(msg, unicode.IsSpace)
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(msg[i:])
}

// pressAnnounce sends or cancels the announcement nonce names: only the
// admin who wrote it may, and only once; a second tap sends nothing.
func (d *adminDesk) pressAnnounce(ctx context.Context, user int64, l *message.Lang, nonce string, send bool) (answer, error) {
	a, err := d.store.Announcement(ctx, nonce)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return answer{toast: l.T(message.ButtonExpired)}, nil
	case err != nil:
		return answer{}, err
	case a.AdminID != user:
		return answer{toast: l.T(message.NotYourCard)}, nil
	case a.State != store.AnnouncementPending:
		return answer{toast: l.T(message.ToastAnnounceSettled)}, nil
	}
	if !send {
		err := d.store.CancelAnnouncement(ctx, nonce, d.now())
		if errors.Is(err, store.ErrAnnouncementSettled) {
			return answer{toast: l.T(message.ToastAnnounceSettled)}, nil
		}
		if err != nil {
			return answer{}, err
		}
		return answer{text: l.T(message.AnnounceCancelled)}, nil
	}
	html, _ := message.Announcement(a.Text) // its length was checked when it was stored
	n, err := d.store.SendAnnouncement(ctx, nonce, html, d.now())
	if errors.Is(err, store.ErrAnnouncementSettled) {
		return answer{toast: l.T(message.ToastAnnounceSettled)}, nil
	}
	if err != nil {
		return answer{}, err
	}
	d.log.Info("announcement sent", "admin", user, "recipients", n)
	d.wakeSender()
	return answer{text: l.AnnounceSent(n)}, nil
}

// onAnnounceButton handles an announcement's buttons, for admins only.
func (b *Bot) onAnnounceButton(ctx context.Context, q *models.CallbackQuery, l *message.Lang, nonce string, send bool) {
	msg := q.Message.Message
	if !b.admins[q.From.ID] || msg == nil {
		b.answerCallback(ctx, q.ID, l.T(message.ButtonExpired))
		return
	}
	a, err := b.admin.pressAnnounce(ctx, q.From.ID, l, nonce, send)
	if err != nil {
		b.log.Error("announcement button failed", "user", q.From.ID, "err", err)
		a = answer{toast: l.T(message.ToastSomethingWrong)}
	}
	if a.text != "" {
		b.editMessage(ctx, msg.Chat.ID, msg.ID, a.text, nil)
	}
	b.answerCallback(ctx, q.ID, a.toast)
}
