package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// webhookInfoEvery is how often the bot asks Telegram how its webhook fares.
const webhookInfoEvery = time.Minute

// hookTracker follows webhook mode for the health check: whether the
// listener serves, and what getWebhookInfo said last.
type hookTracker struct {
	mu      sync.Mutex
	serving bool
	state   hookState
}

// hookState is what the health check decides on.
type hookState struct {
	serving  bool
	answered time.Time          // the last getWebhookInfo that answered
	info     models.WebhookInfo // its answer
	failing  string             // why the last getWebhookInfo failed; "" when it answered
}

func (h *hookTracker) listening(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.serving = on
}

func (h *hookTracker) record(info *models.WebhookInfo, failing string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.state.failing = failing
	if info != nil {
		h.state.info, h.state.answered = *info, now
	}
}

func (h *hookTracker) snapshot() hookState {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.state
	s.serving = h.serving
	return s
}

// problem says why webhook mode is unhealthy at now, or "": the listener
// serves, getWebhookInfo answered within three rounds, the webhook is ours,
// and Telegram did not fail to deliver within two rounds while updates wait.
func (s hookState) problem(url string, now time.Time) string {
	switch {
	case !s.serving:
		return "webhook listener is not serving"
	case s.answered.IsZero() && s.failing != "":
		return s.failing
	case s.answered.IsZero():
		return "no getWebhookInfo yet"
	case now.Sub(s.answered) > 3*webhookInfoEvery:
		return fmt.Sprintf("last getWebhookInfo answered %s ago (%s)", now.Sub(s.answered).Round(time.Second), s.failing)
	case s.info.URL != url:
		return "the webhook is not set to WEBHOOK_URL (another deployment changed it?)"
	}
	lastError := time.Unix(int64(s.info.LastErrorDate), 0)
	if s.info.LastErrorDate > 0 && s.answered.Sub(lastError) <= 2*webhookInfoEvery && s.info.PendingUpdateCount > 0 {
		return fmt.Sprintf("Telegram can't deliver updates (%d waiting): %s", s.info.PendingUpdateCount, s.info.LastErrorMessage)
	}
	return ""
}

// watchWebhook asks getWebhookInfo now and once a minute until ctx ends.
func (b *Bot) watchWebhook(ctx context.Context) {
	t := time.NewTicker(webhookInfoEvery)
	defer t.Stop()
	for {
		callCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		info, err := b.tg.GetWebhookInfo(callCtx)
		cancel()
		switch {
		case err == nil:
			b.hook.record(info, "", time.Now())
		case ctx.Err() == nil:
			b.hook.record(nil, "getWebhookInfo failed: "+b.errText(err), time.Now())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
