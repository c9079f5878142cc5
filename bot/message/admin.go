package message

import (
	"strings"
	"time"
)

// Texts of the admins' commands: /stats and /announce (bot/admin.go).

// The admins' messages without placeholders.
const (
	AdminInGroup         Text = "AdminInGroup"
	AnnounceUsage        Text = "AnnounceUsage"
	AnnounceTooLong      Text = "AnnounceTooLong"
	AnnounceCancelled    Text = "AnnounceCancelled"
	ButtonAnnounceSend   Text = "ButtonAnnounceSend"
	ToastAnnounceSettled Text = "ToastAnnounceSettled"
	StatsNone            Text = "StatsNone" // stands for a time there is nothing to measure
)

// Stats are the numbers /stats shows.
type Stats struct {
	Accounts       int
	ActiveWatches  int
	PausedWatches  int
	Pushes24h      int
	Pushes7d       int
	MedianPush     time.Duration // 0 when nothing was pushed in 24 h
	MoneyDone      int           // money actions of the last 24 h by outcome
	MoneyFailed    int
	MoneyUnsettled int // in flight or of unknown outcome
	APIRequests    int // SMSOnline, last hour
	APIErrors      int
	OutboxSize     int
	OutboxAge      time.Duration // of the oldest message; 0 when none
	Version        string
	Uptime         time.Duration
}

// Stats renders /stats.
func (l *Lang) Stats(s Stats) string {
	median, age := l.T(StatsNone), l.T(StatsNone)
	if s.Pushes24h > 0 {
		median = l.Duration(s.MedianPush)
	}
	if s.OutboxSize > 0 {
		age = l.Duration(s.OutboxAge)
	}
	return l.t("Stats", args{
		"Accounts": s.Accounts, "Active": s.ActiveWatches, "Paused": s.PausedWatches,
		"Pushes24h": s.Pushes24h, "Pushes7d": s.Pushes7d, "Median": median,
		"Done": s.MoneyDone, "Failed": s.MoneyFailed, "Unsettled": s.MoneyUnsettled,
		"Requests": s.APIRequests, "Errors": s.APIErrors,
		"Outbox": s.OutboxSize, "OutboxAge": age,
		"Version": Escape(s.Version), "Uptime": l.Duration(s.Uptime),
	})
}

// MaxAnnouncementUnits caps an announcement's HTML, in UTF-16 code units,
// so that it and its confirmation (a line above it) fit in Telegram's 4096.
const MaxAnnouncementUnits = 3800

// Announcement is the message every linked user gets: what the admin
// typed, escaped, so that it shows as typed. ok is false when it is too
// long for one message.
func Announcement(text string) (html string, ok bool) {
	html = Escape(strings.TrimSpace(text))
	return html, utf16Len(html) <= MaxAnnouncementUnits
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// AnnounceConfirm asks the admin to confirm an announcement to recipients
// users; its buttons carry only the stored announcement's nonce.
func (l *Lang) AnnounceConfirm(recipients int, html, nonce string) (string, *Keyboard) {
	text := l.t("AnnounceConfirm", args{"Count": recipients}) + "\n\n" + html
	return text, Row(
		CallbackButton(l.T(ButtonAnnounceSend), announcePrefix+nonce),
		CallbackButton(l.T(ButtonCancel), announceCancelPrefix+nonce),
	)
}

// AnnounceSent says the announcement is on its way to recipients users.
func (l *Lang) AnnounceSent(recipients int) string {
	return l.t("AnnounceSent", args{"Count": recipients})
}

// The data of an announcement's buttons: the prefix, then the nonce.
const (
	announcePrefix       = "ann:"
	announceCancelPrefix = "ann-no:"
)

// ParseAnnounceButton reads an announcement's button: the nonce it names
// and whether it sends (else it cancels); ok is false for other data.
func ParseAnnounceButton(data string) (nonce string, send, ok bool) {
	if nonce, found := strings.CutPrefix(data, announcePrefix); found {
		return nonce, true, validNonce(nonce)
	}
	if nonce, found := strings.CutPrefix(data, announceCancelPrefix); found {
		return nonce, false, validNonce(nonce)
	}
	return "", false, false
}
