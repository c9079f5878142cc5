package bot

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// within fails t unless ch is closed within d.
func within(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("%s: not within %v", what, d)
	}
}

func TestUserQueueKeepsEachUsersOrder(t *testing.T) {
	q := newUserQueue(4, maxWaiting, slog.New(slog.DiscardHandler))
	const users, each = 5, 50
	var (
		mu      sync.Mutex
		ran     = map[int64][]int{}
		running [users]atomic.Int32
		overlap atomic.Bool
	)
	for i := range each {
		for u := range int64(users) {
			q.add(context.Background(), u, func() {
				if running[u].Add(1) > 1 {
					overlap.Store(true)
				}
				mu.Lock()
				ran[u] = append(ran[u], i)
				mu.Unlock()
				running[u].Add(-1)
			})
		}
	}
	q.wait()
	if overlap.Load() {
		t.Error("two handlers of one user ran at once")
	}
	for u := range int64(users) {
		if len(ran[u]) != each {
			t.Fatalf("user %d: %d handlers ran, want %d", u, len(ran[u]), each)
		}
		for i, got := range ran[u] {
			if got != i {
				t.Fatalf("user %d ran %v, want arrival order", u, ran[u])
			}
		}
	}
	if !q.idle() {
		t.Error("queue not idle after every handler ran")
	}
}

func TestUserQueueBusyUserBlocksNobody(t *testing.T) {
	q := newUserQueue(2, maxWaiting, slog.New(slog.DiscardHandler))
	defer q.wait()
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	q.add(context.Background(), 1, func() { close(started); <-release })
	within(t, started, time.Second, "the busy user's first handler")

	// The busy user's backlog is taken at once and holds no slot ...
	added := make(chan struct{})
	go func() {
		defer close(added)
		for range maxWaiting {
			q.add(context.Background(), 1, func() {})
		}
	}()
	within(t, added, time.Second, "queueing the busy user's backlog")
	// ... so another user's update runs while it waits.
	ran := make(chan struct{})
	q.add(context.Background(), 2, func() { close(ran) })
	within(t, ran, time.Second, "another user's handler")
	// A quick answer runs beside the busy user's line, too.
	aside := make(chan struct{})
	q.runAside(context.Background(), func() { close(aside) })
	within(t, aside, time.Second, "a handler run aside")
}

func TestUserQueueWaitsOnlyWhenSlotsRunOtherUsers(t *testing.T) {
	q := newUserQueue(2, maxWaiting, slog.New(slog.DiscardHandler))
	releaseA, releaseB := make(chan struct{}), make(chan struct{})
	q.add(context.Background(), 1, func() { <-releaseA })
	q.add(context.Background(), 2, func() { <-releaseB })

	// Both slots run other users: a third user's update waits for one, and
	// is given up when the bot stops first.
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan struct{})
	go func() {
		defer close(gaveUp)
		q.add(ctx, 3, func() { t.Error("a handler given up ran") })
	}()
	cancel()
	within(t, gaveUp, time.Second, "giving up on a stop")

	ran := make(chan struct{})
	added := make(chan struct{})
	go func() {
		defer close(added)
		q.add(context.Background(), 3, func() { close(ran) })
	}()
	select {
	case <-added:
		t.Fatal("an update was taken while every slot ran another user")
	case <-time.After(50 * time.Millisecond):
	}
	close(releaseA)
	within(t, ran, time.Second, "the third user's handler once a slot was free")
	<-added
	close(releaseB)
	q.wait()
}

func TestUserQueueDropsOverTheCap(t *testing.T) {
	var logs syncBuffer
	q := newUserQueue(2, 3, slog.New(slog.NewTextHandler(&logs, nil)))
	release := make(chan struct{})
	started := make(chan struct{})
	var ran atomic.Int32
	q.add(context.Background(), 1, func() { close(started); <-release; ran.Add(1) })
	within(t, started, time.Second, "the first handler")
	for range 3 + 5 {
		q.add(context.Background(), 1, func() { ran.Add(1) })
	}
	close(release)
	q.wait()
	if got := ran.Load(); got != 1+3 {
		t.Errorf("%d handlers ran, want 4 (the running one and the 3 the cap lets wait)", got)
	}
	if !strings.Contains(logs.String(), "dropped=5") {
		t.Errorf("the drops were not counted in the log:\n%s", logs.String())
	}
}
