package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func orderIDs(due []DueWatch) []string {
	var ids []string
	for _, d := range due {
		ids = append(ids, d.OrderID)
	}
	return ids
}

func TestClaimDueWatches(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "late", NextCheckAt: t0.Add(10 * time.Second)})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "second", NextCheckAt: t0.Add(-time.Second)})
	addWatch(t, s, Watch{TelegramUserID: 2, OrderID: "first", NextCheckAt: t0.Add(-2 * time.Second)})
	addWatch(t, s, Watch{TelegramUserID: 2, OrderID: "third", NextCheckAt: t0})
	addAccount(t, s, 3)
	addWatch(t, s, Watch{TelegramUserID: 3, OrderID: "paused", NextCheckAt: t0.Add(-time.Hour)})
	if _, err := s.PauseWatches(ctx, 3, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	const lease = 30 * time.Second

	steps := []struct {
		name    string
		release bool
		now     time.Time
		limit   int
		want    []string
	}{
		{"only due, oldest first, limit", false, t0, 2, []string{"first", "second"}},
		{"the rest of the due ones", false, t0, 10, []string{"third"}},
		{"not twice within the lease", false, t0.Add(lease - time.Millisecond), 10, []string{"late"}},
		{"again when the lease ran out", false, t0.Add(lease), 10, []string{"first", "second", "third"}},
		{"nothing left", false, t0.Add(lease), 10, nil},
		{"again after ReleaseClaims", true, t0.Add(lease), 10, []string{"first", "second", "third", "late"}},
	}
	for _, st := range steps {
		if st.release {
			if err := s.ReleaseClaims(ctx); err != nil {
				t.Fatal(err)
			}
		}
		due, err := s.ClaimDueWatches(ctx, st.now, lease, st.limit)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := orderIDs(due); !slices.Equal(got, st.want) {
			t.Errorf("%s: claimed %v, want %v", st.name, got, st.want)
		}
		for _, d := range due {
			if d.Account.TelegramUserID != d.TelegramUserID || d.Account.APIKey != "key-of-user" || d.KeyErr != nil {
				t.Errorf("%s: account %+v for watch %s", st.name, d.Account, d.OrderID)
			}
		}
	}
}

func TestNextWatchDue(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if _, ok, err := s.NextWatchDue(ctx); err != nil || ok {
		t.Fatalf("empty store: ok %v, %v", ok, err)
	}
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "a", NextCheckAt: t0})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "b", NextCheckAt: t0.Add(time.Minute)})

	want := func(step string, at time.Time) {
		t.Helper()
		got, ok, err := s.NextWatchDue(ctx)
		if err != nil || !ok || !got.Equal(at) {
			t.Errorf("%s: NextWatchDue = %v, %v, %v; want %v", step, got, ok, err, at)
		}
	}
	want("two watches", t0)
	if _, err := s.ClaimDueWatches(ctx, t0, 10*time.Second, 10); err != nil {
		t.Fatal(err)
	}
	want("a claimed: its lease ends first", t0.Add(10*time.Second))
	if _, err := s.ClaimDueWatches(ctx, t0.Add(time.Minute), 5*time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	want("both claimed", t0.Add(6*time.Minute))
	if _, err := s.ApplyOutcomes(ctx, []CheckOutcome{{TelegramUserID: 1, OrderID: "b", NextCheckAt: t0.Add(2 * time.Minute)}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	want("b checked", t0.Add(2*time.Minute))
	if _, err := s.PauseWatches(ctx, 1, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.NextWatchDue(ctx); err != nil || ok {
		t.Errorf("only paused watches: ok %v, %v", ok, err)
	}
}

func pushOutcome(user int64, order, sms string) CheckOutcome {
	return CheckOutcome{
		TelegramUserID: user, OrderID: order,
		NextCheckAt: t0.Add(3 * time.Second), LastCheckedAt: t0, Status: "completed",
		SMS:  sms,
		Push: &Message{ChatID: user, Priority: PriorityPush, Text: "code: " + sms},
	}
}

func TestApplyOutcomesPushesEachSMSOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addAccount(t, s, 2)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100"})
	addWatch(t, s, Watch{TelegramUserID: 2, OrderID: "100"})

	steps := []struct {
		name       string
		outcome    CheckOutcome
		wantPushed int
	}{
		{"new SMS", pushOutcome(1, "100", "123456"), 1},
		{"same SMS again", pushOutcome(1, "100", "123456"), 0},
		{"a second, different SMS", pushOutcome(1, "100", "654321"), 1},
		{"the first SMS once more", pushOutcome(1, "100", "123456"), 0},
		{"same text for another user", pushOutcome(2, "100", "123456"), 1},
		{"no SMS", CheckOutcome{TelegramUserID: 1, OrderID: "100", NextCheckAt: t0}, 0},
	}
	total := 0
	for _, st := range steps {
		pushed, err := s.ApplyOutcomes(ctx, []CheckOutcome{st.outcome}, time.Now())
		if err != nil || pushed != st.wantPushed {
			t.Errorf("%s: pushed %d, %v; want %d", st.name, pushed, err, st.wantPushed)
		}
		total += st.wantPushed
		if n, _ := s.PendingMessages(ctx); n != total {
			t.Errorf("%s: %d messages in the outbox, want %d", st.name, n, total)
		}
	}
	msgs, err := s.DueMessages(ctx, t0.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range msgs {
		texts = append(texts, fmt.Sprintf("%d/%s %s", m.TelegramUserID, m.OrderID, m.Text))
		if m.Priority != PriorityPush {
			t.Errorf("push priority %d", m.Priority)
		}
	}
	want := []string{"1/100 code: 123456", "1/100 code: 654321", "2/100 code: 123456"}
	if !slices.Equal(texts, want) {
		t.Errorf("pushes %v, want %v", texts, want)
	}
}

// An SMS ends the rule for numbers that get no SMS for its order; a check
// that found none leaves it due at its time.
func TestApplyOutcomesEndsTheRuleOnSMS(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	if err := s.SetRule(ctx, 1, Rule{Kind: RuleRefund, Minutes: 5}, t0); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"100", "101"} {
		addWatch(t, s, Watch{TelegramUserID: 1, OrderID: id, CreatedAt: t0, OrderedAt: t0, NextCheckAt: t0})
	}
	outcomes := []CheckOutcome{
		pushOutcome(1, "100", "123456"),
		{TelegramUserID: 1, OrderID: "101", NextCheckAt: t0.Add(3 * time.Second), Status: "pending"},
	}
	if _, err := s.ApplyOutcomes(ctx, outcomes, t0); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueRules(ctx, t0.Add(5*time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Watch.OrderID != "101" {
		t.Errorf("due rule steps %+v, want 101's alone", due)
	}
}

func TestApplyOutcomesUpdatesWatch(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	expires := t0.Add(20 * time.Minute)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", Service: "Discord", PhoneNumber: "1234567890",
		Status: "pending", ExpiresAt: expires, NextCheckAt: t0})
	if _, err := s.ClaimDueWatches(ctx, t0, time.Minute, 1); err != nil {
		t.Fatal(err)
	}

	_, err := s.ApplyOutcomes(ctx, []CheckOutcome{{
		TelegramUserID: 1, OrderID: "100",
		NextCheckAt: t0.Add(8 * time.Second), Failures: 2, LastCheckedAt: t0.Add(time.Second),
		Status: "waiting", // other snapshot fields empty: keep
	}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Watch(ctx, 1, "100")
	if err != nil {
		t.Fatal(err)
	}
	want := Watch{TelegramUserID: 1, OrderID: "100", ChatID: 1, State: WatchActive, Service: "Discord",
		PhoneNumber: "1234567890", Status: "waiting", ExpiresAt: expires, NextCheckAt: t0.Add(8 * time.Second),
		LastCheckedAt: t0.Add(time.Second), CreatedAt: w.CreatedAt, Failures: 2, OrderedAt: w.CreatedAt}
	if w != want {
		t.Errorf("watch = %+v\nwant    %+v", w, want)
	}
	// The claim was cleared: the watch is due again at its new time.
	if due, _ := s.ClaimDueWatches(ctx, t0.Add(8*time.Second), time.Minute, 1); len(due) != 1 {
		t.Errorf("watch not claimable at its next check")
	}
}

func TestApplyOutcomesEnd(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100"})
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "101"})

	completed := pushOutcome(1, "100", "123456")
	completed.End = true
	expired := CheckOutcome{TelegramUserID: 1, OrderID: "101", End: true, Status: "expired",
		Notice: &Message{ChatID: 1, Priority: PriorityNotice, Text: "order 101 expired"}}
	pushed, err := s.ApplyOutcomes(ctx, []CheckOutcome{completed, expired}, time.Now())
	if err != nil || pushed != 1 {
		t.Fatalf("ApplyOutcomes = %d, %v", pushed, err)
	}
	if ws, _ := s.Watches(ctx, 1); len(ws) != 0 {
		t.Errorf("%d watches left, want 0", len(ws))
	}
	if n, _ := s.PendingMessages(ctx); n != 2 {
		t.Errorf("%d messages, want the push and the notice", n)
	}
}

// TestApplyOutcomesLosesToStop: a /stop, /logout or pause that happened
// while the check ran wins; nothing of the outcome is written.
func TestApplyOutcomesLosesToStop(t *testing.T) {
	tests := []struct {
		name string
		stop func(*Store) error
	}{
		{"watch deleted", func(s *Store) error { _, err := s.DeleteWatch(context.Background(), 1, "100"); return err }},
		{"account deleted", func(s *Store) error { _, err := s.LogoutAccount(context.Background(), 1, time.Now()); return err }},
		{"watches paused", func(s *Store) error { _, err := s.PauseWatches(context.Background(), 1, nil, time.Now()); return err }},
		{"chat blocked", func(s *Store) error { _, _, err := s.DropChat(context.Background(), 1); return err }},
	}
	for _, tt := range tests {
		for _, end := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/end=%v", tt.name, end), func(t *testing.T) {
				ctx := context.Background()
				s, _ := openTest(t)
				addAccount(t, s, 1)
				addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", Status: "pending", NextCheckAt: t0})
				if due, err := s.ClaimDueWatches(ctx, t0, time.Minute, 1); err != nil || len(due) != 1 {
					t.Fatalf("claim: %d, %v", len(due), err)
				}
				if err := tt.stop(s); err != nil {
					t.Fatal(err)
				}

				o := pushOutcome(1, "100", "123456")
				o.End = end
				o.Notice = &Message{ChatID: 1, Priority: PriorityNotice, Text: "done"}
				pushed, err := s.ApplyOutcomes(ctx, []CheckOutcome{o}, time.Now())
				if err != nil || pushed != 0 {
					t.Fatalf("ApplyOutcomes = %d, %v; want 0", pushed, err)
				}
				if n, _ := s.PendingMessages(ctx); n != 0 {
					t.Errorf("%d messages enqueued, want 0", n)
				}
				if w, err := s.Watch(ctx, 1, "100"); err == nil && (w.Status != "pending" || w.State != WatchPaused) {
					t.Errorf("watch was written: %+v", w)
				}
				// The SMS was not recorded as delivered either.
				if isNew, err := s.MarkDelivered(ctx, 1, "100", "123456", time.Now()); err != nil || !isNew {
					t.Errorf("MarkDelivered = %v, %v; the skipped outcome marked the SMS", isNew, err)
				}
			})
		}
	}
}

func TestMarkDeliveredSuppressesPush(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100"})
	for i, want := range []bool{true, false} {
		if isNew, err := s.MarkDelivered(ctx, 1, "100", "123456", time.Now()); err != nil || isNew != want {
			t.Fatalf("MarkDelivered #%d = %v, %v; want %v", i+1, isNew, err, want)
		}
	}
	if pushed, err := s.ApplyOutcomes(ctx, []CheckOutcome{pushOutcome(1, "100", "123456")}, time.Now()); err != nil || pushed != 0 {
		t.Fatalf("push of an SMS the order card showed: %d, %v", pushed, err)
	}
	if n, err := s.PruneDelivered(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("PruneDelivered = %d, %v", n, err)
	}
}

func TestPushOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100"})
	push := Message{ChatID: 1, TelegramUserID: 1, OrderID: "100", Priority: PriorityPush, Text: "code 123456"}
	for i, want := range []bool{true, false} {
		if isNew, err := s.PushOnce(ctx, push, "123456", time.Now()); err != nil || isNew != want {
			t.Fatalf("PushOnce #%d = %v, %v; want %v", i+1, isNew, err, want)
		}
	}
	if n, err := s.PendingMessages(ctx); err != nil || n != 1 {
		t.Fatalf("%d messages pending (%v), want the one push", n, err)
	}
	// The watcher seeing the same SMS does not push it again.
	if pushed, err := s.ApplyOutcomes(ctx, []CheckOutcome{pushOutcome(1, "100", "123456")}, time.Now()); err != nil || pushed != 0 {
		t.Fatalf("watcher push of an SMS pushed by PushOnce: %d, %v", pushed, err)
	}
	// Nor does PushOnce push what the watcher pushed.
	if pushed, err := s.ApplyOutcomes(ctx, []CheckOutcome{pushOutcome(1, "100", "654321")}, time.Now()); err != nil || pushed != 1 {
		t.Fatalf("watcher push of a new SMS: %d, %v", pushed, err)
	}
	if isNew, err := s.PushOnce(ctx, push, "654321", time.Now()); err != nil || isNew {
		t.Fatalf("PushOnce of an SMS the watcher pushed = %v, %v", isNew, err)
	}
	if n, err := s.PendingMessages(ctx); err != nil || n != 2 {
		t.Fatalf("%d messages pending (%v), want 2", n, err)
	}
}

func TestApplyOutcomesBatch(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	const users, perUser = 10, 20
	for u := int64(1); u <= users; u++ {
		addAccount(t, s, u)
		for o := range perUser {
			addWatch(t, s, Watch{TelegramUserID: u, OrderID: fmt.Sprint(1000 + o), NextCheckAt: t0})
		}
	}
	due, err := s.ClaimDueWatches(ctx, t0, time.Minute, users*perUser)
	if err != nil || len(due) != users*perUser {
		t.Fatalf("claim: %d, %v", len(due), err)
	}
	var outcomes []CheckOutcome
	wantPushed := 0
	for i, d := range due {
		o := CheckOutcome{TelegramUserID: d.TelegramUserID, OrderID: d.OrderID, NextCheckAt: t0.Add(3 * time.Second), LastCheckedAt: t0}
		switch i % 4 {
		case 0:
			o = pushOutcome(d.TelegramUserID, d.OrderID, "code-"+d.OrderID)
			wantPushed++
		case 1:
			o.End = true
		}
		outcomes = append(outcomes, o)
	}
	pushed, err := s.ApplyOutcomes(ctx, outcomes, time.Now())
	if err != nil || pushed != wantPushed {
		t.Fatalf("ApplyOutcomes = %d, %v; want %d", pushed, err, wantPushed)
	}
	left := 0
	for u := int64(1); u <= users; u++ {
		ws, _ := s.Watches(ctx, u)
		left += len(ws)
		for _, w := range ws {
			if !w.NextCheckAt.Equal(t0.Add(3 * time.Second)) {
				t.Errorf("watch %d/%s next check %v", w.TelegramUserID, w.OrderID, w.NextCheckAt)
			}
		}
	}
	if want := users * perUser * 3 / 4; left != want {
		t.Errorf("%d watches left, want %d", left, want)
	}
}
