package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"
)

func TestAddWatchDedupes(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	first := Watch{TelegramUserID: 1, OrderID: "100", ChatID: 11, Service: "Discord", PhoneNumber: "1234567890",
		Status: "pending", ExpiresAt: t0.Add(20 * time.Minute), NextCheckAt: t0.Add(time.Minute)}
	if created, err := s.AddWatch(ctx, first, 5, time.Now()); err != nil || !created {
		t.Fatalf("first AddWatch = %v, %v", created, err)
	}
	if _, err := s.PauseWatches(ctx, 1, nil, time.Now()); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		w         Watch
		wantNext  time.Time
		wantChat  int64
		wantState WatchState
	}{
		// The chat never follows a later AddWatch: a watch's codes stay in
		// the chat it was created for (the owner's private chat).
		{"later check keeps the earlier", Watch{TelegramUserID: 1, OrderID: "100", ChatID: 12, NextCheckAt: t0.Add(time.Hour)},
			t0.Add(time.Minute), 11, WatchPaused},
		{"earlier check moves it", Watch{TelegramUserID: 1, OrderID: "100", ChatID: 13, Status: "waiting", NextCheckAt: t0},
			t0, 11, WatchPaused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created, err := s.AddWatch(ctx, tt.w, 1, time.Now())
			if err != nil || created {
				t.Fatalf("AddWatch = %v, %v; want an update", created, err)
			}
			w, err := s.Watch(ctx, 1, "100")
			if err != nil {
				t.Fatal(err)
			}
			if !w.NextCheckAt.Equal(tt.wantNext) || w.ChatID != tt.wantChat || w.State != tt.wantState {
				t.Errorf("watch = %+v", w)
			}
			if w.Service != "Discord" || w.PhoneNumber != "1234567890" || !w.ExpiresAt.Equal(first.ExpiresAt) {
				t.Errorf("empty snapshot fields overwrote known ones: %+v", w)
			}
		})
	}
	if w, _ := s.Watch(ctx, 1, "100"); w.Status != "waiting" {
		t.Errorf("status = %q, want the newer snapshot", w.Status)
	}
	if ws, _ := s.Watches(ctx, 1); len(ws) != 1 {
		t.Errorf("%d watches, want 1", len(ws))
	}
}

func TestAddWatchLimit(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	const limit = 2
	steps := []struct {
		user    int64
		order   string
		created bool
		err     error
	}{
		{1, "100", true, nil},
		{1, "101", true, nil},
		{1, "102", false, ErrWatchLimit},
		{1, "100", false, nil}, // re-adding a watched order at the cap is fine
		{2, "200", true, nil},  // the cap is per user
	}
	for _, st := range steps {
		created, err := s.AddWatch(ctx, Watch{TelegramUserID: st.user, OrderID: st.order, ChatID: st.user}, limit, time.Now())
		if created != st.created || !errors.Is(err, st.err) {
			t.Errorf("AddWatch(%d/%s) = %v, %v; want %v, %v", st.user, st.order, created, err, st.created, st.err)
		}
	}
	if ws, _ := s.Watches(ctx, 1); len(ws) != limit {
		t.Errorf("user 1 has %d watches, want %d", len(ws), limit)
	}
}

func TestAddWatchNeedsAccount(t *testing.T) {
	s, _ := openTest(t)
	_, err := s.AddWatch(context.Background(), Watch{TelegramUserID: 1, OrderID: "100", ChatID: 1}, 5, time.Now())
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("AddWatch without account = %v, want ErrNotFound", err)
	}
}

func TestWatchesOldestFirstAndDelete(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	for i, order := range []string{"300", "100", "200"} {
		addWatch(t, s, Watch{TelegramUserID: 1, OrderID: order, CreatedAt: t0.Add(time.Duration(i) * time.Second)})
	}
	ws, err := s.Watches(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range ws {
		got = append(got, w.OrderID)
		if w.State != WatchActive || w.ChatID != 1 || !w.LastCheckedAt.IsZero() {
			t.Errorf("new watch %+v", w)
		}
	}
	if want := []string{"300", "100", "200"}; !slices.Equal(got, want) {
		t.Errorf("Watches = %v, want %v", got, want)
	}

	if existed, err := s.DeleteWatch(ctx, 1, "100"); err != nil || !existed {
		t.Fatalf("DeleteWatch = %v, %v", existed, err)
	}
	if existed, err := s.DeleteWatch(ctx, 1, "100"); err != nil || existed {
		t.Fatalf("second DeleteWatch = %v, %v", existed, err)
	}
	if _, err := s.Watch(ctx, 1, "100"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Watch after delete = %v", err)
	}
}

// TestMigrationMovesWatchesToPrivateChat opens a version 1 file whose
// watches followed a group /order: the codes must go to each owner's
// private chat from then on, pending ones too.
func TestMigrationMovesWatchesToPrivateChat(t *testing.T) {
	ctx := context.Background()
	const group = -1009876
	s, path := openTest(t)
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", ChatID: group})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "101", ChatID: 1})
	addWatch(t, s, Watch{TelegramUserID: 2, OrderID: "200", ChatID: group})
	enqueueAll(t, s,
		Message{ChatID: group, TelegramUserID: 1, OrderID: "100", Priority: PriorityPush, Text: "code of 1"},
		Message{ChatID: group, TelegramUserID: 2, OrderID: "200", Priority: PriorityNotice, Text: "200 expired"},
		Message{ChatID: group, Priority: PriorityPush, Text: "codes of 1 and 2, joined"},
		Message{ChatID: 2, TelegramUserID: 2, Priority: PriorityPush, Text: "code of 2"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to version 1: undo what versions 3 to 5 added, then the number.
	if _, err := rawDB(t, path).Exec(undoVersion10 + undoVersion9 + undoVersion8 + undoVersion7 + `DROP TABLE cards; DROP TABLE sms_requests; DROP INDEX accounts_logout; ALTER TABLE accounts DROP COLUMN logout_at;
		DROP TABLE users; DROP TABLE money_actions; DROP TABLE balance_watches;
		ALTER TABLE watches DROP COLUMN fast_until;
		UPDATE schema_version SET version = 1`); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, testKey(1))
	if v := schemaVersion(t, path); v != latestSchemaVersion {
		t.Fatalf("schema version = %d, want %d", v, latestSchemaVersion)
	}
	for _, id := range []struct {
		user  int64
		order string
	}{{1, "100"}, {1, "101"}, {2, "200"}} {
		if w, err := s.Watch(ctx, id.user, id.order); err != nil || w.ChatID != id.user {
			t.Errorf("watch %d/%s = %+v, %v; want it in chat %d", id.user, id.order, w, err, id.user)
		}
	}
	msgs, err := s.DueMessages(ctx, time.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	chats := map[string]int64{}
	for _, m := range msgs {
		chats[m.Text] = m.ChatID
	}
	want := map[string]int64{"code of 1": 1, "200 expired": 2, "code of 2": 2}
	if !maps.Equal(chats, want) {
		t.Errorf("pending messages by chat = %v, want %v (nothing left for the group)", chats, want)
	}
}

// A card made before its watch is written (a purchase the reconciler
// found) says when the rule acts: FirstRuleAt must be what AddWatch records.
func TestFirstRuleAtIsWhatAddWatchRecords(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	now := t0.Add(time.Hour)
	refund := Rule{Kind: RuleRefund, Minutes: 5}
	tests := []struct {
		name    string
		rule    Rule
		ordered time.Time
		want    time.Time
	}{
		{"ordered before", refund, now.Add(-time.Minute), now.Add(4 * time.Minute)},
		{"ordered unknown", refund, time.Time{}, now.Add(5 * time.Minute)},
		{"ordered after: a skewed clock", refund, now.Add(time.Hour), now.Add(5 * time.Minute)},
		{"rule off", Rule{Kind: RuleOff}, now.Add(-time.Minute), time.Time{}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.SetRule(ctx, 1, tt.rule, now); err != nil {
				t.Fatal(err)
			}
			w := Watch{TelegramUserID: 1, OrderID: string(rune('a' + i)), ChatID: 1, OrderedAt: tt.ordered}
			if got := w.FirstRuleAt(tt.rule, now); !got.Equal(tt.want) {
				t.Errorf("FirstRuleAt = %v, want %v", got, tt.want)
			}
			if _, err := s.AddWatch(ctx, w, 0, now); err != nil {
				t.Fatal(err)
			}
			got, err := s.Watch(ctx, 1, w.OrderID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.RuleAt.Equal(tt.want) {
				t.Errorf("AddWatch recorded RuleAt %v, want %v", got.RuleAt, tt.want)
			}
		})
	}
}
