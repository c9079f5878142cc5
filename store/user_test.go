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
