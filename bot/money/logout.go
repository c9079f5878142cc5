package money

import (
	"context"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/store"
)

// finishLogouts unlinks the accounts whose /logout waited for their money
// actions: each once its actions are settled (the outcome was told first:
// the settlement's notice is enqueued before this one), or once it waited
// LogoutWait, and tells the user in the same transaction.
func (s *Service) finishLogouts(ctx context.Context) {
	now := s.cfg.Now()
	giveUp := now.Add(-s.cfg.LogoutWait)
	due, err := s.store.DueLogouts(ctx, giveUp, batch)
	if err != nil && ctx.Err() == nil {
		s.log.Error("can't load waiting logouts", "err", err)
	}
	for _, d := range due {
		l := s.lang(d.Language)
		text := l.LoggedOutEnded(d.Watches)
		if d.Unsettled > 0 {
			text = l.T(message.LoggedOutUnsettled)
		}
		notice := &store.Message{ChatID: privateChat(d.TelegramUserID), TelegramUserID: d.TelegramUserID,
			Priority: store.PriorityNotice, Text: text}
		done, err := s.store.FinishLogout(ctx, d.TelegramUserID, giveUp, notice, now)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				s.log.Error("can't finish logout", "user", d.TelegramUserID, "err", err)
			}
		case done:
			s.log.Info("account unlinked after its money actions", "user", d.TelegramUserID,
				"watches_ended", d.Watches, "unsettled", d.Unsettled, "waited", now.Sub(d.Since))
			s.cfg.OnChange()
		}
	}
}
