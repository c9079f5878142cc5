package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

func enqueueAll(t *testing.T, s *Store, msgs ...Message) []int64 {
	t.Helper()
	var ids []int64
	for _, m := range msgs {
		id, err := s.Enqueue(context.Background(), m, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func dueTexts(t *testing.T, s *Store, now time.Time) []string {
	t.Helper()
	msgs, err := s.DueMessages(context.Background(), now, 100)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.Text)
	}
	return texts
}

func TestOutboxOrder(t *testing.T) {
	s, _ := openTest(t)
	enqueueAll(t, s,
		Message{ChatID: 1, Priority: PriorityNotice, Text: "old notice", NextAttemptAt: t0.Add(-time.Hour)},
		Message{ChatID: 1, Priority: PriorityPush, Text: "push -1s", NextAttemptAt: t0.Add(-time.Second)},
		Message{ChatID: 2, Priority: PriorityPush, Text: "push -5s a", NextAttemptAt: t0.Add(-5 * time.Second)},
		Message{ChatID: 3, Priority: PriorityPush, Text: "push -5s b", NextAttemptAt: t0.Add(-5 * time.Second)},
		Message{ChatID: 1, Priority: PriorityPush, Text: "push later", NextAttemptAt: t0.Add(time.Second)},
		Message{ChatID: 1, Priority: PriorityNotice, Text: "notice now"}, // zero: at once
		Message{ChatID: 1, Priority: PriorityPush, Text: "push now"},
	)
	want := []string{"push now", "push -5s a", "push -5s b", "push -1s", "notice now", "old notice"}
	if got := dueTexts(t, s, t0); !slices.Equal(got, want) {
		t.Errorf("DueMessages = %v\nwant %v", got, want)
	}
	msgs, err := s.DueMessages(context.Background(), t0, 2)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("limit 2: %d, %v", len(msgs), err)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if _, ok, err := s.NextMessageDue(ctx); err != nil || ok {
		t.Fatalf("empty outbox: ok %v, %v", ok, err)
	}
	in := Message{ChatID: 5, TelegramUserID: 7, OrderID: "100", Priority: PriorityPush, Text: "<b>123456</b>",
		Markup: `{"inline_keyboard":[]}`, NextAttemptAt: t0, CreatedAt: t0.Add(-time.Second)}
	ids := enqueueAll(t, s, in, Message{ChatID: 6, Text: "b", NextAttemptAt: t0.Add(time.Minute)})

	msgs, err := s.DueMessages(ctx, t0, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("DueMessages = %d, %v", len(msgs), err)
	}
	in.ID = ids[0]
	if msgs[0] != in {
		t.Errorf("round trip:\n got %+v\nwant %+v", msgs[0], in)
	}
	if at, ok, err := s.NextMessageDue(ctx); err != nil || !ok || !at.Equal(t0) {
		t.Errorf("NextMessageDue = %v, %v, %v", at, ok, err)
	}

	retryAt := t0.Add(30 * time.Second)
	if err := s.RetryMessage(ctx, ids[0], retryAt, 1); err != nil {
		t.Fatal(err)
	}
	if got := dueTexts(t, s, t0); len(got) != 0 {
		t.Errorf("due after retry was scheduled: %v", got)
	}
	if at, _, _ := s.NextMessageDue(ctx); !at.Equal(retryAt) {
		t.Errorf("NextMessageDue = %v, want %v", at, retryAt)
	}
	msgs, _ = s.DueMessages(ctx, retryAt, 10)
	if len(msgs) != 1 || msgs[0].Attempts != 1 || !msgs[0].NextAttemptAt.Equal(retryAt) {
		t.Errorf("retried message %+v", msgs)
	}

	if err := s.MarkSent(ctx, retryAt, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, retryAt, ids[0]); err != nil {
		t.Errorf("MarkSent of a gone message: %v", err)
	}
	if n, _ := s.PendingMessages(ctx); n != 1 {
		t.Errorf("pending = %d, want 1", n)
	}
	if err := s.DropMessage(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PendingMessages(ctx); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
	// Ids are never reused, so a late MarkSent cannot delete a newer message.
	if id := enqueueAll(t, s, Message{ChatID: 1, Text: "new"})[0]; id <= ids[1] {
		t.Errorf("new id %d reuses an old one (<= %d)", id, ids[1])
	}
}

func TestDropChat(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", ChatID: 10})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "101", ChatID: 10})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "102", ChatID: 20})
	enqueueAll(t, s, Message{ChatID: 10, Text: "a"}, Message{ChatID: 20, Text: "b"})

	ended, dropped, err := s.DropChat(ctx, 10)
	if err != nil || ended != 2 || dropped != 1 {
		t.Fatalf("DropChat = %d, %d, %v; want 2, 1", ended, dropped, err)
	}
	ws, _ := s.Watches(ctx, 1)
	if len(ws) != 1 || ws[0].ChatID != 20 {
		t.Errorf("watches left %+v", ws)
	}
	if got := dueTexts(t, s, t0); !slices.Equal(got, []string{"b"}) {
		t.Errorf("messages left %v", got)
	}
}

func TestMigrateChat(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", ChatID: -10})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "101", ChatID: 1})
	enqueueAll(t, s, Message{ChatID: -10, Text: "a"}, Message{ChatID: 1, Text: "b"})

	if err := s.MigrateChat(ctx, -10, -1000010); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.Watch(ctx, 1, "100"); w.ChatID != -1000010 {
		t.Errorf("watch chat = %d", w.ChatID)
	}
	if w, _ := s.Watch(ctx, 1, "101"); w.ChatID != 1 {
		t.Errorf("other watch moved to %d", w.ChatID)
	}
	msgs, _ := s.DueMessages(ctx, t0, 10)
	chats := map[string]int64{}
	for _, m := range msgs {
		chats[m.Text] = m.ChatID
	}
	if chats["a"] != -1000010 || chats["b"] != 1 {
		t.Errorf("message chats %v", chats)
	}
}
