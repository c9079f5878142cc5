package store

import (
	"context"
	"testing"
	"time"
)

func TestUserLanguageSurvivesRestartAndLogout(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	now := time.Now()
	if ul, err := s.UserLanguage(ctx, 7); err != nil || ul != (UserLanguage{}) {
		t.Fatalf("unknown user: %+v, %v", ul, err)
	}
	if err := s.SeeLanguageCode(ctx, 7, "ru-RU", now); err != nil {
		t.Fatal(err)
	}
	if err := s.ChooseLanguage(ctx, 7, "zh", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SeeLanguageCode(ctx, 7, "de", now); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path, testKey(1))
	if ul, err := s.UserLanguage(ctx, 7); err != nil || ul != (UserLanguage{Chosen: "zh", Seen: "de"}) {
		t.Errorf("after restart: %+v, %v; want zh chosen, de seen", ul, err)
	}
	addAccount(t, s, 7)
	if _, err := s.LogoutAccount(ctx, 7, t0); err != nil {
		t.Fatal(err)
	}
	if ul, _ := s.UserLanguage(ctx, 7); ul.Chosen != "zh" {
		t.Errorf("after logout the choice is %q", ul.Chosen)
	}
}

// TestDueRowsCarryTheLanguage: every row the bot tells its user about comes
// with what is known of the user's language, and with nothing for a user
// never seen.
func TestDueRowsCarryTheLanguage(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	want := UserLanguage{Chosen: "zh", Seen: "ru-RU"}
	for _, user := range []int64{1, 2} {
		addAccount(t, s, user)
		addWatch(t, s, Watch{TelegramUserID: user, OrderID: "100", NextCheckAt: t0})
		if err := s.WatchBalance(ctx, BalanceWatch{TelegramUserID: user, ChatID: user, Until: t0.Add(time.Hour), NextCheckAt: t0}, t0); err != nil {
			t.Fatal(err)
		}
		a := begin(t, s, buyAction(user, "n"+string(rune('0'+user))))
		_ = s.MarkActionSent(ctx, a.ID, t0)
		_ = s.MarkActionUnknown(ctx, a.ID, t0, t0)
		if _, err := s.LogoutAccount(ctx, user, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SeeLanguageCode(ctx, 1, want.Seen, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.ChooseLanguage(ctx, 1, want.Chosen, t0); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[int64]UserLanguage{"watch": {}, "action": {}, "balance": {}, "logout": {}}
	watches, err := s.ClaimDueWatches(ctx, t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range watches {
		got["watch"][d.TelegramUserID] = d.Language
	}
	actions, err := s.DueActions(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range actions {
		got["action"][d.TelegramUserID] = d.Language
	}
	balances, err := s.DueBalanceWatches(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range balances {
		got["balance"][d.TelegramUserID] = d.Language
	}
	logouts, err := s.DueLogouts(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range logouts {
		got["logout"][d.TelegramUserID] = d.Language
	}
	for kind, by := range got {
		if len(by) != 2 || by[1] != want || by[2] != (UserLanguage{}) {
			t.Errorf("due %s rows: languages %+v; want user 1 %+v, user 2 none", kind, by, want)
		}
	}
}
