package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// WebhookParams is a webhook as setWebhook set it.
type WebhookParams struct {
	URL            string
	SecretToken    string
	MaxConnections int      // 40 when setWebhook gave none, as Telegram's default
	AllowedUpdates []string // nil when setWebhook gave none
}

// SecretHeader is the header Telegram sends a webhook's secret token in.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// webhookTimeout is how long Telegram waits for a webhook's answer.
const webhookTimeout = 60 * time.Second

// PostWebhook sends one raw request to the webhook set with setWebhook, with
// secret in SecretHeader ("" for none), and returns the answer's status: for
// tests of what a webhook refuses (a wrong secret or method, a huge body).
func (s *Server) PostWebhook(ctx context.Context, method, secret string, body []byte) (int, error) {
	url := s.Webhook()
	if url == "" {
		return 0, errors.New("telegramtest: no webhook set")
	}
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("telegramtest: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set(SecretHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("telegramtest: post to webhook: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// PostUpdate posts u to the webhook as Telegram delivers it (POST, JSON,
// the webhook's secret) and returns the answer's status. u is not queued and
// nothing is recorded: a test sends an update again with it.
func (s *Server) PostUpdate(ctx context.Context, u *models.Update) (int, error) {
	body, err := json.Marshal(u)
	if err != nil {
		return 0, fmt.Errorf("telegramtest: encode update: %w", err)
	}
	return s.PostWebhook(ctx, http.MethodPost, s.WebhookParams().SecretToken, body)
}

// Queued returns the updates queued and not yet delivered or confirmed,
// oldest first.
func (s *Server) Queued() []*models.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queue)
}

// DeliverWebhook delivers the queued updates to the webhook as Telegram does:
// each user's updates one at a time and in order, up to max_connections
// requests at once across users. An update answered 200 leaves the queue; at
// any other answer (or none) the user's remaining updates wait, the failure
// shows in getWebhookInfo, and a later call tries again. It returns how many
// updates are still queued.
func (s *Server) DeliverWebhook(ctx context.Context) (int, error) {
	hook := s.WebhookParams()
	if hook.URL == "" {
		return 0, errors.New("telegramtest: no webhook set")
	}
	var lines [][]*models.Update
	index := map[int64]int{}
	for _, u := range s.Queued() {
		user := updateSender(u)
		i, ok := index[user]
		if !ok {
			i = len(lines)
			index[user] = i
			lines = append(lines, nil)
		}
		lines[i] = append(lines[i], u)
	}
	conns := make(chan struct{}, max(hook.MaxConnections, 1))
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		delivered = map[int64]bool{}
	)
	for _, line := range lines {
		wg.Go(func() {
			for _, u := range line {
				conns <- struct{}{}
				status, err := s.PostUpdate(ctx, u)
				<-conns
				if err != nil || status != http.StatusOK {
					s.recordHookError(status, err)
					return
				}
				mu.Lock()
				delivered[u.ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = slices.DeleteFunc(s.queue, func(u *models.Update) bool { return delivered[u.ID] })
	s.notifyLocked()
	return len(s.queue), nil
}

// recordHookError shows a failed delivery in getWebhookInfo.
func (s *Server) recordHookError(status int, err error) {
	msg := fmt.Sprintf("Wrong response from the webhook: %d %s", status, http.StatusText(status))
	if err != nil {
		msg = "Connection refused"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookError.date = int(time.Now().Unix())
	s.hookError.message = msg
	s.notifyLocked()
}

// updateSender is the user an update comes from, whose updates Telegram
// delivers one at a time.
func updateSender(u *models.Update) int64 {
	switch {
	case u.Message != nil && u.Message.From != nil:
		return u.Message.From.ID
	case u.CallbackQuery != nil:
		return u.CallbackQuery.From.ID
	}
	return 0
}
