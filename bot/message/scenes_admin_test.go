package message

import "time"

// adminScenes: /stats with numbers and on an idle bot, and /announce's
// usage, refusal, confirmation (with text that needs escaping) and
// answers (bot/admin.go).
func adminScenes(l *Lang, s *scenes) {
	s.add("Admin/Stats", l.Stats(Stats{
		Accounts: 1234, ActiveWatches: 87, PausedWatches: 3, Pushes24h: 412, Pushes7d: 2650,
		MedianPush: 4 * time.Second, MoneyDone: 301, MoneyFailed: 12, MoneyUnsettled: 1,
		APIRequests: 18400, APIErrors: 7, OutboxSize: 2, OutboxAge: 3 * time.Second,
		Version: "v1.4.0", Uptime: 26*time.Hour + 5*time.Minute,
	}), nil)
	s.add("Admin/StatsIdle", l.Stats(Stats{Version: "dev", Uptime: 40 * time.Second}), nil)
	s.add("Admin/InGroup", l.T(AdminInGroup), nil)
	s.add("Announce/Usage", l.T(AnnounceUsage), nil)
	s.add("Announce/TooLong", l.T(AnnounceTooLong), nil)
	html, _ := Announcement("Maintenance tonight <22:00 UTC> & a new price list.\nThanks!")
	text, kb := l.AnnounceConfirm(1234, html, sceneNonce)
	s.add("Announce/Confirm", text, kb)
	s.add("Announce/Sent", l.AnnounceSent(1234), nil)
	s.add("Announce/Cancelled", l.T(AnnounceCancelled), nil)
	s.add("Announce/Message", html, nil)
	s.plain("Toast/"+string(ToastAnnounceSettled), l.T(ToastAnnounceSettled))
}
