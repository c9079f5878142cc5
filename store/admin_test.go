package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// seedStats fills a store with what /stats counts, as of t0: two linked
// accounts, a watch, pushes 1 h, 2 days and 8 days old (waits of 2, 4 and
// 30 s), money actions of today and last week, SMSOnline calls in the last
// hour and before it, and one message left in the outbox.
func seedStats(t *testing.T, s *Store, path string) {
	t.Helper()
	ctx := context.Background()
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "500"})
	for _, p := range []struct {
		seen time.Time
		wait time.Duration
	}{
		{t0.Add(-time.Hour), 2 * time.Second},
		{t0.Add(-2 * time.Hour), 4 * time.Second},
		{t0.Add(-48 * time.Hour), 30 * time.Second},
		{t0.Add(-8 * 24 * time.Hour), time.Second},
	} {
		id, err := s.Enqueue(ctx, Message{ChatID: 1, TelegramUserID: 1, OrderID: "500", Priority: PriorityPush, Text: "code", CreatedAt: p.seen}, p.seen)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSent(ctx, p.seen.Add(p.wait), id); err != nil {
			t.Fatal(err)
		}
	}
	notice, _ := s.Enqueue(ctx, Message{ChatID: 1, Priority: PriorityNotice, Text: "notice"}, t0.Add(-time.Minute))
	if err := s.MarkSent(ctx, t0, notice); err != nil { // not a push: not counted
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, Message{ChatID: 2, Priority: PriorityNotice, Text: "waiting"}, t0.Add(-90*time.Second)); err != nil {
		t.Fatal(err)
	}
	day := t0.Add(-time.Hour).UnixMilli()
	if _, err := rawDB(t, path).Exec(`INSERT INTO money_actions (telegram_user_id, kind, key, state, created_at, updated_at) VALUES
		(1, 'buy', 'a', 'done', ?1, ?1), (1, 'buy', 'b', 'done', ?1, ?1), (1, 'refund', 'c', 'failed', ?1, ?1),
		(1, 'buy', 'd', 'unknown', ?1, ?1), (1, 'buy', 'e', 'offered', ?1, ?1), (1, 'buy', 'f', 'done', ?2, ?2)`,
		day, t0.Add(-3*24*time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAPICalls(ctx, []APICalls{
		{Minute: t0.Add(-10 * time.Minute), Requests: 100, Errors: 3},
		{Minute: t0.Add(-2 * time.Hour), Requests: 50, Errors: 50},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAPICalls(ctx, []APICalls{{Minute: t0.Add(-10 * time.Minute), Requests: 5, Errors: 1}}); err != nil {
		t.Fatal(err)
	}
}

func TestAdminStatsSurviveRestart(t *testing.T) {
	s, path := openTest(t)
	seedStats(t, s, path)
	want := AdminStats{
		Accounts: 2, ActiveWatches: 1, Pushes24h: 2, Pushes7d: 3, MedianPush24h: 4 * time.Second,
		Money24h:      map[ActionState]int{ActionDone: 2, ActionFailed: 1, ActionUnknown: 1},
		APIRequests1h: 105, APIErrors1h: 4, OutboxSize: 1, OutboxOldestAt: t0.Add(-90 * time.Second),
	}
	check := func(s *Store) {
		t.Helper()
		got, err := s.AdminStats(context.Background(), t0)
		if err != nil {
			t.Fatal(err)
		}
		if got.Accounts != want.Accounts || got.ActiveWatches != want.ActiveWatches || got.Pushes24h != want.Pushes24h ||
			got.Pushes7d != want.Pushes7d || got.MedianPush24h != want.MedianPush24h ||
			got.APIRequests1h != want.APIRequests1h || got.APIErrors1h != want.APIErrors1h ||
			got.OutboxSize != want.OutboxSize || !got.OutboxOldestAt.Equal(want.OutboxOldestAt) {
			t.Errorf("AdminStats = %+v\nwant %+v", got, want)
		}
		if len(got.Money24h) != len(want.Money24h) {
			t.Errorf("money outcomes = %v, want %v", got.Money24h, want.Money24h)
		}
		for state, n := range want.Money24h {
			if got.Money24h[state] != n {
				t.Errorf("money %s = %d, want %d", state, got.Money24h[state], n)
			}
		}
	}
	check(s)
	s.Close()
	check(openAt(t, path, testKey(1)))
}

func TestPruneKeepsAWeekOfStats(t *testing.T) {
	s, path := openTest(t)
	seedStats(t, s, path)
	if _, err := s.PruneDelivered(context.Background(), t0.Add(-7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var pushes, minutes int
	db := rawDB(t, path)
	if err := db.QueryRow(`SELECT COUNT(*) FROM push_events`).Scan(&pushes); err != nil || pushes != 3 {
		t.Errorf("push events after prune = %d, %v; want the 3 of the last week", pushes, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM api_calls`).Scan(&minutes); err != nil || minutes != 2 {
		t.Errorf("api minutes after prune = %d, %v; want 2", minutes, err)
	}
}

func TestAnnouncementSentOnceToEachAccount(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	for _, id := range []int64{1, 2, 3} {
		addAccount(t, s, id)
	}
	n, err := s.AddAnnouncement(ctx, "nonce-aaaaaa", 1, "hi", t0)
	if err != nil || n != 3 {
		t.Fatalf("AddAnnouncement = %d, %v; want 3 recipients", n, err)
	}
	if n, err := s.SendAnnouncement(ctx, "nonce-aaaaaa", "hi", t0); err != nil || n != 3 {
		t.Fatalf("SendAnnouncement = %d, %v; want 3", n, err)
	}
	s.Close() // a restart right after the tap: the rows are all there
	s = openAt(t, path, testKey(1))
	if _, err := s.SendAnnouncement(ctx, "nonce-aaaaaa", "hi", t0); !errors.Is(err, ErrAnnouncementSettled) {
		t.Errorf("second SendAnnouncement: %v, want ErrAnnouncementSettled", err)
	}
	if err := s.CancelAnnouncement(ctx, "nonce-aaaaaa", t0); !errors.Is(err, ErrAnnouncementSettled) {
		t.Errorf("cancel after send: %v, want ErrAnnouncementSettled", err)
	}
	msgs, err := s.DueMessages(ctx, t0, 100)
	if err != nil {
		t.Fatal(err)
	}
	chats := map[int64]int{}
	for _, m := range msgs {
		if m.Priority != PriorityBulk || m.Text != "hi" {
			t.Errorf("announcement row %+v", m)
		}
		chats[m.ChatID]++
	}
	if len(chats) != 3 || chats[1] != 1 || chats[2] != 1 || chats[3] != 1 {
		t.Errorf("announcement rows per chat = %v, want one for each of 1, 2, 3", chats)
	}
	a, err := s.Announcement(ctx, "nonce-aaaaaa")
	if err != nil || a.State != AnnouncementSent || a.Recipients != 3 || a.AdminID != 1 {
		t.Errorf("Announcement = %+v, %v", a, err)
	}
	if _, err := s.Announcement(ctx, "nonce-bbbbbb"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown nonce: %v, want ErrNotFound", err)
	}
}
