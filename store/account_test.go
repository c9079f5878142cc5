package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSaveAccountReplacesOlderKey(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if _, err := s.SaveAccount(ctx, Account{TelegramUserID: 1, SMSUserID: "old", APIKey: "old-key"}, t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Hour)
	if _, err := s.SaveAccount(ctx, Account{TelegramUserID: 1, SMSUserID: "new", APIKey: "new-key"}, later); err != nil {
		t.Fatal(err)
	}
	a, err := s.Account(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := Account{TelegramUserID: 1, SMSUserID: "new", APIKey: "new-key", CreatedAt: t0, UpdatedAt: later}
	if a != want {
		t.Errorf("Account = %+v, want %+v", a, want)
	}
}

func TestAccountNotFound(t *testing.T) {
	s, _ := openTest(t)
	if _, err := s.Account(context.Background(), 404); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Account = %v, want ErrNotFound", err)
	}
}

func TestLogoutCascadesWatches(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100"})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "101"})
	addWatch(t, s, Watch{TelegramUserID: 2, OrderID: "200"})
	if _, err := s.Enqueue(ctx, Message{ChatID: 1, TelegramUserID: 1, Text: "bye"}, time.Now()); err != nil {
		t.Fatal(err)
	}

	out, err := s.LogoutAccount(ctx, 1, t0)
	if err != nil || !out.Existed || out.Watches != 2 {
		t.Fatalf("LogoutAccount = %+v, %v", out, err)
	}
	if ws, err := s.Watches(ctx, 1); err != nil || len(ws) != 0 {
		t.Errorf("watches of the deleted account: %d, %v", len(ws), err)
	}
	if _, err := s.Watch(ctx, 1, "100"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Watch = %v, want ErrNotFound", err)
	}
	if ws, err := s.Watches(ctx, 2); err != nil || len(ws) != 1 {
		t.Errorf("other user's watches: %d, %v", len(ws), err)
	}
	if n, err := s.PendingMessages(ctx); err != nil || n != 1 {
		t.Errorf("pending messages = %d, %v; the goodbye notice must stay", n, err)
	}
	if out, err := s.LogoutAccount(ctx, 1, t0); err != nil || out.Existed {
		t.Errorf("second LogoutAccount = %+v, %v", out, err)
	}
}

func TestPauseTellsOnceAndSaveAccountResumes(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", NextCheckAt: t0})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "101", NextCheckAt: t0})
	addWatch(t, s, Watch{TelegramUserID: 2, OrderID: "200", NextCheckAt: t0})
	if _, err := s.ClaimDueWatches(ctx, t0, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyOutcomes(ctx, []CheckOutcome{{TelegramUserID: 1, OrderID: "100", NextCheckAt: t0.Add(time.Hour), Failures: 3}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	notice := &Message{ChatID: 1, TelegramUserID: 1, Priority: PriorityNotice, Text: "your API key was rejected"}

	for i, want := range []int{2, 0} {
		paused, err := s.PauseWatches(ctx, 1, notice, time.Now())
		if err != nil || paused != want {
			t.Fatalf("PauseWatches #%d = %d, %v; want %d", i+1, paused, err, want)
		}
	}
	if n, _ := s.PendingMessages(ctx); n != 1 {
		t.Errorf("%d notices enqueued, want exactly 1", n)
	}
	if w, _ := s.Watch(ctx, 1, "100"); w.State != WatchPaused {
		t.Errorf("state = %q, want paused", w.State)
	}
	if w, _ := s.Watch(ctx, 2, "200"); w.State != WatchActive {
		t.Errorf("other user's watch state = %q", w.State)
	}

	resumeAt := t0.Add(10 * time.Minute)
	resumed, err := s.SaveAccount(ctx, Account{TelegramUserID: 1, SMSUserID: "u", APIKey: "fixed-key"}, resumeAt)
	if err != nil || resumed != 2 {
		t.Fatalf("SaveAccount resumed %d, %v; want 2", resumed, err)
	}
	due, err := s.ClaimDueWatches(ctx, resumeAt, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range due {
		if d.TelegramUserID == 1 {
			got = append(got, d.OrderID)
			if d.State != WatchActive || !d.NextCheckAt.Equal(resumeAt) || d.Failures != 0 || d.Account.APIKey != "fixed-key" {
				t.Errorf("resumed watch %+v", d)
			}
		}
	}
	if len(got) != 2 {
		t.Errorf("claimable after resume: %v, want both of user 1's watches", got)
	}
	if resumed, _ := s.SaveAccount(ctx, Account{TelegramUserID: 1, SMSUserID: "u", APIKey: "k"}, resumeAt); resumed != 0 {
		t.Errorf("SaveAccount with nothing paused resumed %d", resumed)
	}
}
