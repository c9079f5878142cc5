package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// Tests of the store side of the watcher at scale: claiming an account's
// watches together, the cheap next-due lookup, joined pushes, bulk adds.

func TestClaimDueWatchesAhead(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	for u := int64(1); u <= 3; u++ {
		addAccount(t, s, u)
	}
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "1-due", NextCheckAt: t0})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "1-due-first", NextCheckAt: t0.Add(-500 * time.Millisecond)})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "1-soon", NextCheckAt: t0.Add(2 * time.Second)})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "1-later", NextCheckAt: t0.Add(time.Minute)})
	addWatch(t, s, Watch{TelegramUserID: 2, OrderID: "2-soon", NextCheckAt: t0.Add(time.Second)})
	addWatch(t, s, Watch{TelegramUserID: 3, OrderID: "3-due", NextCheckAt: t0.Add(-time.Second)})
	addWatch(t, s, Watch{TelegramUserID: 3, OrderID: "3-soon-a", NextCheckAt: t0.Add(time.Second)})
	addWatch(t, s, Watch{TelegramUserID: 3, OrderID: "3-soon", NextCheckAt: t0.Add(time.Second)})
	if _, err := s.PauseWatches(ctx, 2, nil, time.Now()); err != nil { // user 2 has no due watch anyway
		t.Fatal(err)
	}

	// Only users with a due watch bring their other watches due soon, each
	// user's together in next-check order.
	due, err := s.ClaimDueWatchesAhead(ctx, t0, 5*time.Second, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"3-due", "3-soon-a", "3-soon", "1-due-first", "1-due", "1-soon"}
	if got := orderIDs(due); !slices.Equal(got, want) {
		t.Fatalf("claimed %v, want %v", got, want)
	}
	for _, d := range due {
		if d.Account.APIKey != "key-of-user" {
			t.Errorf("%s: account %+v", d.OrderID, d.Account)
		}
	}
	// Siblings are claimed too: not taken again, even once due.
	again, err := s.ClaimDueWatchesAhead(ctx, t0.Add(3*time.Second), 5*time.Second, time.Minute, 10)
	if err != nil || len(again) != 0 {
		t.Fatalf("second claim = %v, %v; want nothing", orderIDs(again), err)
	}

	// The limit picks users by their due watches but never splits a user's.
	for _, tt := range []struct {
		limit int
		want  []string
	}{
		{1, []string{"3-due", "3-soon-a", "3-soon"}},
		{2, []string{"3-due", "3-soon-a", "3-soon", "1-due-first", "1-due", "1-soon"}},
	} {
		if err := s.ReleaseClaims(ctx); err != nil {
			t.Fatal(err)
		}
		due, err = s.ClaimDueWatchesAhead(ctx, t0, 5*time.Second, time.Minute, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := orderIDs(due); !slices.Equal(got, tt.want) {
			t.Errorf("claimed with limit %d: %v, want %v", tt.limit, got, tt.want)
		}
	}

	// Without ahead it is ClaimDueWatches.
	if err := s.ReleaseClaims(ctx); err != nil {
		t.Fatal(err)
	}
	due, err = s.ClaimDueWatchesAhead(ctx, t0, 0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := orderIDs(due), []string{"3-due", "1-due-first", "1-due"}; !slices.Equal(got, want) {
		t.Fatalf("claimed without ahead: %v, want %v", got, want)
	}
}

func TestNextWatchDueAfter(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if _, ok, err := s.NextWatchDueAfter(ctx, t0); err != nil || ok {
		t.Fatalf("empty store: ok %v, %v", ok, err)
	}
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "a", NextCheckAt: t0})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "b", NextCheckAt: t0.Add(time.Minute)})
	for _, tt := range []struct {
		after time.Time
		want  time.Time
		ok    bool
	}{
		{t0.Add(-time.Second), t0, true},
		{t0, t0.Add(time.Minute), true},
		{t0.Add(time.Minute), time.Time{}, false},
	} {
		got, ok, err := s.NextWatchDueAfter(ctx, tt.after)
		if err != nil || ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("NextWatchDueAfter(%v) = %v, %v, %v; want %v, %v", tt.after, got, ok, err, tt.want, tt.ok)
		}
	}
	if _, err := s.PauseWatches(ctx, 1, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.NextWatchDueAfter(ctx, t0.Add(-time.Hour)); err != nil || ok {
		t.Errorf("only paused watches: ok %v, %v", ok, err)
	}
}

func TestApplyOutcomesPushesEachFreshSMS(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	for _, id := range []string{"a", "b", "c"} {
		addWatch(t, s, Watch{TelegramUserID: 1, OrderID: id, ChatID: 1})
	}
	addWatch(t, s, Watch{TelegramUserID: 2, OrderID: "d", ChatID: 2})
	if _, err := s.MarkDelivered(ctx, 1, "c", "333", time.Now()); err != nil { // the card showed it
		t.Fatal(err)
	}
	pushed, err := s.ApplyOutcomes(ctx, []CheckOutcome{
		pushOutcome(1, "a", "111"), pushOutcome(2, "d", "444"), pushOutcome(1, "b", "222"), pushOutcome(1, "c", "333"),
	}, time.Now())
	if err != nil || pushed != 3 {
		t.Fatalf("ApplyOutcomes = %d, %v; want 3 pushes", pushed, err)
	}
	// One row per fresh push, in outcome order; the SMS already shown stays out.
	msgs, err := s.DueMessages(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, fmt.Sprintf("%d:%s", m.ChatID, m.Text))
	}
	if want := []string{"1:code: 111", "2:code: 444", "1:code: 222"}; !slices.Equal(got, want) {
		t.Errorf("outbox %v, want %v", got, want)
	}
}

func TestAddWatches(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "old", ChatID: 1})
	ws := []Watch{{TelegramUserID: 1, OrderID: "old", ChatID: 5}}
	for i := range 60 { // beyond any per-user cap: bulk adds have none
		ws = append(ws, Watch{TelegramUserID: 1, OrderID: fmt.Sprint(i), ChatID: 1})
	}
	created, err := s.AddWatches(ctx, ws, time.Now())
	if err != nil || created != 60 {
		t.Fatalf("AddWatches = %d, %v; want 60 created", created, err)
	}
	if w, err := s.Watch(ctx, 1, "old"); err != nil || w.ChatID != 1 {
		t.Errorf("existing watch = %+v, %v; want it kept in chat 1", w, err)
	}
	// All or nothing: a watch for a user without an account undoes the batch.
	_, err = s.AddWatches(ctx, []Watch{{TelegramUserID: 1, OrderID: "new"}, {TelegramUserID: 9, OrderID: "x"}}, time.Now())
	if err == nil {
		t.Fatal("AddWatches for an unknown user succeeded")
	}
	if _, err := s.Watch(ctx, 1, "new"); err == nil {
		t.Error("a failed AddWatches left a watch behind")
	}
}
