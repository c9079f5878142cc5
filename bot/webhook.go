package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Webhook mode: Telegram POSTs each update to the bot. go-telegram/bot's own
// WebhookHandler answers 200 to everything (a wrong secret and an update it
// could not queue included) before the update is taken, so the bot serves
// the HTTP side itself and uses the library for setWebhook, getWebhookInfo
// and deleteWebhook. An update goes through the same take (budget, the
// user's line) and track (timeout, panics, the saved offset) as a polled one.

// Webhook makes the bot take updates from Telegram's webhook instead of long
// polling.
type Webhook struct {
	URL      string       // the public HTTPS URL Telegram calls; its path is served
	Secret   string       // X-Telegram-Bot-Api-Secret-Token, 1–256 of A-Z a-z 0-9 _ -
	Listener net.Listener // plain HTTP for the reverse proxy in front; the bot closes it
}

// secretHeader carries the secret token Telegram sends with every update.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdateBody bounds one webhook request. An update the bot handles is a
// few kilobytes (a 4096-character text with its entities stays far below).
const maxUpdateBody = 1 << 20

// updateMemory is how long a webhook update id is remembered: Telegram gives
// up on an update after 24 hours, so it never comes again later than that.
const updateMemory = 48 * time.Hour

// maxWebhookConnections is Telegram's ceiling for max_connections.
const maxWebhookConnections = 100

// setWebhook asks Telegram to deliver updates to the webhook URL, with the
// secret, the update types the bot handles, and as many connections at once
// as the bot has handler slots: more would only wait for a slot.
func (b *Bot) setWebhook(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err := b.tg.SetWebhook(ctx, &tgbot.SetWebhookParams{
		URL:            b.cfg.Webhook.URL,
		SecretToken:    b.cfg.Webhook.Secret,
		AllowedUpdates: handledUpdates,
		MaxConnections: min(max(b.cfg.Workers, 1), maxWebhookConnections),
	})
	if err != nil {
		return fmt.Errorf("set webhook: %s", b.errText(err))
	}
	return nil
}

// serveWebhook serves the webhook until ctx ends, then stops taking updates
// (a request still waiting for a handler slot is answered 503, so Telegram
// sends it again to the next run) and returns once every request was answered.
func (b *Bot) serveWebhook(ctx, handlerCtx context.Context) {
	srv := &http.Server{
		Handler:           b.webhookHandler(ctx, handlerCtx),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
	}
	stop := context.AfterFunc(ctx, func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			srv.Close()
		}
	})
	defer stop()
	b.hook.listening(true)
	err := srv.Serve(b.cfg.Webhook.Listener)
	b.hook.listening(false)
	if !errors.Is(err, http.ErrServerClosed) {
		b.log.Error("webhook listener stopped", "err", err)
	}
	<-ctx.Done() // Serve fails alone only when the listener breaks: the bot stops with ctx as ever
}

// webhookHandler answers Telegram's POSTs on the webhook URL's path.
func (b *Bot) webhookHandler(ctx, handlerCtx context.Context) http.Handler {
	next := b.track(handlerCtx)(b.dispatch)
	path := "/"
	if u, err := url.Parse(b.cfg.Webhook.URL); err == nil && u.Path != "" {
		path = u.Path
	}
	secret := []byte(b.cfg.Webhook.Secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(secretHeader)), secret) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		u, status := readUpdate(w, r)
		if u != nil {
			status = b.receive(ctx, r.Context(), u, next)
		}
		w.WriteHeader(status)
	})
}

// readUpdate reads one update from a request body, or says with which
// status to refuse it.
func readUpdate(w http.ResponseWriter, r *http.Request) (*models.Update, int) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge
	case err != nil:
		return nil, http.StatusBadRequest
	}
	var u models.Update
	if err := json.Unmarshal(body, &u); err != nil || u.ID <= 0 {
		return nil, http.StatusBadRequest
	}
	return &u, 0
}

// receive takes an update once: an id claimed before (Telegram sent it again)
// is answered 200 and not handled. The claim is made before the update is
// taken, so a copy arriving while the first waits in its user's line is
// refused too; an update the bot could not take because it is stopping is
// released and answered 503, so Telegram's next attempt is handled.
func (b *Bot) receive(runCtx, reqCtx context.Context, u *models.Update, next tgbot.HandlerFunc) int {
	if runCtx.Err() != nil {
		return http.StatusServiceUnavailable
	}
	fresh, err := b.store.ClaimUpdate(reqCtx, u.ID, b.cfg.Now())
	if err != nil {
		b.log.Warn("can't record webhook update", "update", u.ID, "err", err)
		return http.StatusInternalServerError // Telegram sends it again
	}
	if !fresh {
		b.log.Debug("webhook update sent again; handled already", "update", u.ID)
		return http.StatusOK
	}
	ctx, cancel := context.WithCancel(reqCtx)
	defer cancel()
	defer context.AfterFunc(runCtx, cancel)()
	if b.take(ctx, b.tg, u, next) {
		return http.StatusOK
	}
	releaseCtx, cancelRelease := context.WithTimeout(context.WithoutCancel(reqCtx), 5*time.Second)
	defer cancelRelease()
	if err := b.store.ReleaseUpdate(releaseCtx, u.ID); err != nil {
		b.log.Warn("can't release webhook update; it is lost", "update", u.ID, "err", err)
	}
	return http.StatusServiceUnavailable
}

// pruneUpdates forgets webhook update ids Telegram no longer sends.
func (b *Bot) pruneUpdates(ctx context.Context) {
	n, err := b.store.PruneUpdates(ctx, b.cfg.Now().Add(-updateMemory))
	if err != nil && ctx.Err() == nil {
		b.log.Warn("can't prune webhook update ids", "err", err)
	} else if n > 0 {
		b.log.Debug("pruned webhook update ids", "count", n)
	}
}
