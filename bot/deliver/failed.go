package deliver

import (
	"context"
	"errors"
	"time"

	"github.com/smsbot/smsbot/bot/internal/jitter"
	"github.com/smsbot/smsbot/store"
)

// What becomes of a message Telegram refused or never answered.

// failed decides what follows a send that Telegram refused or never
// answered: a refusal (an *APIError) is handled by its kind; a send without
// an answer is retried with backoff until MaxAge.
func (s *Sender) failed(ctx context.Context, b batch, err error) {
	now := s.cfg.Now()
	m := b.msg
	refused, isRefusal := errors.AsType[*APIError](err)
	switch {
	case isRefusal && refused.TooManyRequests():
		wait := max(refused.RetryAfter, time.Second)
		s.log.Warn("telegram asks to slow down", "chat", m.ChatID, "retry_after", wait)
		s.mu.Lock()
		s.chatNext[m.ChatID] = now.Add(wait)
		s.mu.Unlock()
		s.retry(ctx, b, now.Add(wait), false) // not a failure of the message
	case isRefusal && refused.Migrated():
		to := refused.MigrateTo
		s.log.Info("chat moved to a supergroup", "from", m.ChatID, "to", to)
		if err := s.store.MigrateChat(ctx, m.ChatID, to); err != nil {
			s.log.Error("can't move chat", "from", m.ChatID, "to", to, "err", err)
			s.retry(ctx, b, now.Add(retryDelay(m.Attempts)), true)
			return
		}
		s.Wake()
	case isRefusal && refused.ChatGone():
		watches, dropped, derr := s.store.DropChat(ctx, m.ChatID)
		if derr != nil {
			s.log.Error("can't drop chat", "chat", m.ChatID, "err", derr)
			return
		}
		s.log.Info("chat unreachable: its watches ended", "chat", m.ChatID, "watches", watches, "messages", dropped,
			"reason", s.cfg.Redact(err.Error()))
	case isRefusal && refused.BadRequest():
		// Telegram will never accept this message; retrying cannot help.
		s.log.Error("telegram rejected a message; dropped", "chat", m.ChatID, "ids", b.ids(), "err", s.cfg.Redact(err.Error()))
		s.drop(ctx, b.rows)
	default:
		// No answer (a transport error, a timeout, an answer that is not the
		// Bot API's) or a refusal worth another try (5xx). A timeout after the
		// request was written is "maybe delivered": Telegram may have sent the
		// message. Sending it again keeps the at-least-once promise; this and
		// a crash are the only ways a message can arrive twice.
		var live, old []store.Message
		for _, r := range b.rows {
			if now.Sub(r.CreatedAt) > s.cfg.MaxAge {
				old = append(old, r)
			} else {
				live = append(live, r)
			}
		}
		if len(old) > 0 {
			s.log.Error("message undeliverable for too long; dropped", "chat", m.ChatID, "ids", batch{rows: old}.ids(),
				"attempts", m.Attempts+1, "err", s.cfg.Redact(err.Error()))
			s.drop(ctx, old)
		}
		if len(live) > 0 {
			next := now.Add(retryDelay(m.Attempts))
			s.log.Warn("send failed, will retry", "chat", m.ChatID, "ids", batch{rows: live}.ids(), "attempts", m.Attempts+1,
				"next", next, "err", s.cfg.Redact(err.Error()))
			s.retry(ctx, batch{rows: live}, next, true)
		}
	}
}

// retry schedules b's rows for another attempt at next, counting it as a
// failed attempt when failure is set.
func (s *Sender) retry(ctx context.Context, b batch, next time.Time, failure bool) {
	for _, r := range b.rows {
		attempts := r.Attempts
		if failure {
			attempts++
		}
		if err := s.store.RetryMessage(ctx, r.ID, next, attempts); err != nil {
			s.log.Error("can't reschedule message", "id", r.ID, "err", err)
		}
	}
}

// drop removes rows Telegram will never accept.
func (s *Sender) drop(ctx context.Context, rows []store.Message) {
	for _, r := range rows {
		if err := s.store.DropMessage(ctx, r.ID); err != nil {
			s.log.Error("can't drop message", "id", r.ID, "err", err)
		}
	}
}

// retryDelay is the wait after a failed send: 2s doubling to 5 min, jittered.
func retryDelay(attempts int) time.Duration {
	d := 2 * time.Second
	for i := 0; i < attempts && d < 5*time.Minute; i++ {
		d *= 2
	}
	return jitter.Spread(min(d, 5*time.Minute))
}
