package watch

import (
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// TestRender: a verdict reaches the user as the catalogue renders it, in
// the user's language, and the snapshot of the order is recorded.
func TestRender(t *testing.T) {
	w := New(Config{PollInterval: 3 * time.Second, Fallback: message.ByTag("zh")}, nil, nil, nil)
	expires := checkNow.Add(10 * time.Minute)
	o := smsapi.Order{ID: "555", Service: "Discord", PhoneNumber: "1234567890", Status: "cancelled", SMS: "Code 123456", ExpiresAt: expires}
	ru := store.UserLanguage{Chosen: "ru"}
	for _, tt := range []struct {
		name   string
		lang   store.UserLanguage
		o      *smsapi.Order
		v      verdict
		want   *message.Lang
		notice func(l *message.Lang) string // nil: none
	}{
		{"push in the chosen language", ru, &o, verdict{sms: true, next: expires}, message.ByTag("ru"), nil},
		{"ended, in the language Telegram sends", store.UserLanguage{Seen: "en-US"}, &o, verdict{end: true, notice: noticeEnded}, message.English,
			func(l *message.Lang) string { return l.OrderEnded("555", "Discord", "cancelled") }},
		{"expired, in the default language", store.UserLanguage{Seen: "de"}, &o, verdict{end: true, notice: noticeExpired}, message.ByTag("zh"),
			func(l *message.Lang) string { return l.OrderExpired("555", "Discord") }},
		{"gone", ru, nil, verdict{end: true, notice: noticeGone, failures: 1}, message.ByTag("ru"),
			func(l *message.Lang) string { return l.WatchedOrderGone("555") }},
		{"gave up", ru, nil, verdict{end: true, notice: noticeGaveUp, failures: 4}, message.ByTag("ru"),
			func(l *message.Lang) string { return l.WatchGaveUp("555") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dw := dueWatch(expires, 0)
			dw.Language = tt.lang
			r := w.render(dw, tt.o, tt.v, checkNow)
			out := r.outcome
			if r.pause != nil || out.End != tt.v.end || !out.NextCheckAt.Equal(tt.v.next) || out.Failures != tt.v.failures {
				t.Errorf("outcome %+v does not follow verdict %+v", out, tt.v)
			}
			if (tt.o != nil) != !out.LastCheckedAt.IsZero() || tt.o != nil && (out.Status != o.Status || out.PhoneNumber != o.PhoneNumber) {
				t.Errorf("snapshot %+v of order %+v", out, tt.o)
			}
			if tt.v.sms {
				if want := PushMessage(tt.want, dw.Watch, o, checkNow); out.Push == nil || out.Push.Text != want.Text || out.Push.Markup != want.Markup || out.SMS != o.SMS {
					t.Errorf("push %+v, want %+v", out.Push, want)
				}
			} else if out.Push != nil {
				t.Errorf("unexpected push %q", out.Push.Text)
			}
			switch {
			case tt.notice == nil && out.Notice != nil:
				t.Errorf("unexpected notice %q", out.Notice.Text)
			case tt.notice != nil && (out.Notice == nil || out.Notice.Text != tt.notice(tt.want) || out.Notice.Priority != store.PriorityNotice):
				t.Errorf("notice %+v, want %q", out.Notice, tt.notice(tt.want))
			}
		})
	}
	for _, tt := range []struct {
		v    verdict
		text message.Text
	}{
		{verdict{pause: true, notice: noticePaused, failures: 1}, message.WatchesPaused},
		{unreadableKey(), message.KeyUnreadable},
	} {
		dw := dueWatch(expires, 0)
		dw.Language = ru
		r := w.render(dw, nil, tt.v, checkNow)
		if want := message.ByTag("ru").T(tt.text); r.pause == nil || r.pause.Text != want || r.outcome.TelegramUserID != 1 {
			t.Errorf("%v: pause %+v, want one saying %q", tt.text, r.pause, want)
		}
	}
}
