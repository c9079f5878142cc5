package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	for u := int64(1); u <= 4; u++ {
		addAccount(t, s, u)
	}
	done := make(chan error)
	workers := 0
	for u := int64(1); u <= 4; u++ {
		workers++
		go func() {
			for i := range 50 {
				order := fmt.Sprint(i)
				if _, err := s.AddWatch(ctx, Watch{TelegramUserID: u, OrderID: order, ChatID: u, NextCheckAt: t0}, 0, time.Now()); err != nil {
					done <- err
					return
				}
				if _, err := s.Watches(ctx, u); err != nil {
					done <- err
					return
				}
				if _, err := s.Enqueue(ctx, Message{ChatID: u, Text: order}, time.Now()); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	workers++
	go func() {
		for range 100 {
			due, err := s.ClaimDueWatches(ctx, t0, time.Minute, 20)
			if err != nil {
				done <- err
				return
			}
			var outs []CheckOutcome
			for _, d := range due {
				outs = append(outs, pushOutcome(d.TelegramUserID, d.OrderID, "x"))
			}
			if _, err := s.ApplyOutcomes(ctx, outs, time.Now()); err != nil {
				done <- err
				return
			}
			if _, _, err := s.NextWatchDue(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range workers {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkApplyOutcomes measures the watcher's write path with batches of
// 200 outcomes: "waiting" is the common case (no SMS yet); in "pushes" a
// quarter of the outcomes carry a new SMS, far more than real traffic,
// where an order gets about one SMS in a few hundred checks. In
// "waiting-rule" every watch is under a rule for numbers that get no SMS,
// not due yet: it must cost what "waiting" does.
func BenchmarkApplyOutcomes(b *testing.B) {
	for _, bc := range []struct {
		name      string
		pushEvery int
		rule      bool
	}{
		{"waiting", 0, false},
		{"waiting-rule", 0, true},
		{"pushes", 4, false},
	} {
		b.Run(bc.name, func(b *testing.B) { benchmarkApplyOutcomes(b, bc.pushEvery, bc.rule) })
	}
}

func benchmarkApplyOutcomes(b *testing.B, pushEvery int, rule bool) {
	ctx := context.Background()
	s, _ := openTest(b)
	const batch, users, watches = 200, 500, 10000
	for u := int64(1); u <= users; u++ {
		addAccount(b, s, u)
	}
	var ruleAt int64
	if rule {
		ruleAt = millis(t0.Add(MaxRuleMinutes * time.Minute))
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range watches {
			if _, err := tx.ExecContext(ctx, insertWatchQuery, int64(i%users+1), fmt.Sprint(100000+i), 1, "", "", "", 0,
				millis(t0), 0, 0, millis(t0), 0, millis(t0), ruleAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// Each round checks the next 200 watches and moves them to the back of
	// the queue, as the watcher cycling through 10,000 watches would.
	outcomes := make([]CheckOutcome, batch)
	b.ReportAllocs()
	round := 0
	for b.Loop() {
		for i := range outcomes {
			n := (round*batch + i) % watches
			o := CheckOutcome{
				TelegramUserID: int64(n%users + 1), OrderID: fmt.Sprint(100000 + n),
				NextCheckAt: t0.Add(time.Duration(round*batch+i) * time.Millisecond), LastCheckedAt: t0, Status: "pending",
			}
			if pushEvery > 0 && i%pushEvery == 0 {
				o.SMS = fmt.Sprintf("code %d-%d", round, i)
				o.Push = &Message{ChatID: o.TelegramUserID, Text: o.SMS}
			}
			outcomes[i] = o
		}
		round++
		if _, err := s.ApplyOutcomes(ctx, outcomes, time.Now()); err != nil {
			b.Fatal(err)
		}
		// The sender drains the outbox as fast as Telegram allows; without
		// this the benchmark would measure an ever-growing outbox.
		b.StopTimer()
		if _, err := s.write.ExecContext(ctx, `DELETE FROM outbox`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(round*batch), "ns/outcome")
}

// BenchmarkClaimDueWatches measures claiming batches of 200 from 20,000 due
// watches. Between rounds (untimed) the claimed ones get their outcome,
// which moves them behind the others, as the watcher would.
func BenchmarkClaimDueWatches(b *testing.B) {
	ctx := context.Background()
	s, _ := openTest(b)
	const batch, users, watches = 200, 500, 20000
	for u := int64(1); u <= users; u++ {
		addAccount(b, s, u)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range watches {
			if _, err := tx.ExecContext(ctx, insertWatchQuery, int64(i%users+1), fmt.Sprint(i), 1, "", "", "", 0,
				millis(t0.Add(time.Duration(i)*time.Millisecond)), 0, 0, millis(t0), 0, millis(t0), 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	now := t0.Add(1000 * time.Hour)
	next := t0.Add(time.Hour)
	outcomes := make([]CheckOutcome, 0, batch)
	b.ReportAllocs()
	rounds := 0
	for b.Loop() {
		rounds++
		due, err := s.ClaimDueWatches(ctx, now, time.Minute, batch)
		if err != nil || len(due) != batch {
			b.Fatalf("claimed %d, %v", len(due), err)
		}
		b.StopTimer()
		outcomes = outcomes[:0]
		for _, d := range due {
			next = next.Add(time.Millisecond)
			outcomes = append(outcomes, CheckOutcome{TelegramUserID: d.TelegramUserID, OrderID: d.OrderID, NextCheckAt: next})
		}
		if _, err := s.ApplyOutcomes(ctx, outcomes, time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rounds*batch), "ns/watch")
}
