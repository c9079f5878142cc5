package smsapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestRequestCapKeepsEverySecondUnderTheCap(t *testing.T) {
	const rps = 100
	c := newRequestCap(rps)
	var mu sync.Mutex
	var starts []time.Time
	var order []int
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for range 30 {
				if err := c.wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				starts = append(starts, time.Now())
				order = append(order, g)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i := range starts {
		n := 0
		for j := i; j < len(starts) && starts[j].Sub(starts[i]) < time.Second; j++ {
			n++
		}
		if n > rps {
			t.Fatalf("%d requests started within one second", n)
		}
	}
	// Waiters take turns: once all wait, no goroutine starts three in a row.
	for i := 12; i < len(order)-12; i++ {
		if order[i] == order[i-1] && order[i] == order[i-2] {
			t.Fatalf("goroutine %d started three requests in a row: %v", order[i], order)
		}
	}
}

// queueUp starts n waiters on c with ctx.
func queueUp(c *requestCap, ctx context.Context, n int) {
	for range n {
		go func() { _ = c.wait(ctx) }()
	}
}

// lines returns how many waiters c holds in each line.
func lines(c *requestCap) (interactive, background int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue[0]), len(c.queue[1])
}

// waitQueued polls until c holds the given numbers of waiters.
func waitQueued(t *testing.T, c *requestCap, interactive, background int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		i, b := lines(c)
		if i == interactive && b == background {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lines hold %d and %d waiters, want %d and %d", i, b, interactive, background)
		}
		time.Sleep(time.Millisecond)
	}
}

// drain releases c, polls its lines until both are empty and calls check
// with how many waiters of each line have been granted so far, at every
// change seen. The lines are counted before the release: counted after, a
// grant made before the first poll would go unseen.
func drain(t *testing.T, c *requestCap, check func(interactive, background int)) {
	t.Helper()
	i0, b0 := lines(c)
	release(c)
	deadline := time.Now().Add(10 * time.Second)
	for {
		i, b := lines(c)
		check(i0-i, b0-b)
		if i+b == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d and %d waiters still in line", i, b)
		}
		time.Sleep(time.Millisecond)
	}
}

// hold makes c's next slot an hour away, so that waiters stay in line
// until release.
func hold(c *requestCap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next = time.Now().Add(time.Hour)
}

// release makes c's next slot due now and fires its timer.
func release(c *requestCap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next = time.Time{}
	c.timerSet = true
	c.timer.Reset(0)
}

func TestRequestCapServesInteractiveFirst(t *testing.T) {
	c := newRequestCap(100)
	hold(c)
	queueUp(c, Background(context.Background()), 19)
	waitQueued(t, c, 0, 19)
	queueUp(c, context.Background(), 1)
	waitQueued(t, c, 1, 19)

	// The command arrived behind 19 waiting checks and takes the next slot.
	drain(t, c, func(commands, checks int) {
		if checks > 0 && commands == 0 {
			t.Fatalf("%d checks started before the command", checks)
		}
	})
}

func TestRequestCapDoesNotStarveBackground(t *testing.T) {
	c := newRequestCap(200)
	hold(c)
	queueUp(c, context.Background(), 4*backgroundRun)
	waitQueued(t, c, 4*backgroundRun, 0)
	queueUp(c, Background(context.Background()), 2)
	waitQueued(t, c, 4*backgroundRun, 2)

	// With commands always waiting, every backgroundRun+1-th slot goes to
	// the watcher, and no more.
	drain(t, c, func(commands, checks int) {
		if lo, hi := min(2, max(0, commands-1)/backgroundRun), commands/backgroundRun; checks < lo || checks > hi {
			t.Fatalf("after %d commands %d checks started, want %d to %d", commands, checks, lo, hi)
		}
	})
}

func TestRequestCapCancelledWaiterLeavesTheLine(t *testing.T) {
	c := newRequestCap(20)
	hold(c)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.wait(ctx) }()
	waitQueued(t, c, 1, 0)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("wait with a cancelled context = %v", err)
	}
	waitQueued(t, c, 0, 0)
	// The next waiter is not held up by the one that left.
	release(c)
	if err := c.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestWithMaxRPSCapsTheClient(t *testing.T) {
	f := newFakeAPI(t, respond(http.StatusOK, `{"ok":true,"body":{"userId":"user_1","balance":500}}`))
	c := newTestClient(t, f.URL, WithMaxRPS(1))
	if _, err := c.Balance(context.Background(), testCred); err != nil {
		t.Fatal(err)
	}
	// The second request of this second waits for its slot; the caller
	// gives up first, and nothing reaches SMSOnline.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Balance(ctx, testCred)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second request: err = %v, want the context's deadline", err)
	}
	if n := f.requests.Load(); n != 1 {
		t.Errorf("%d requests reached SMSOnline, want 1", n)
	}
	if !isBackground(Background(context.Background())) || isBackground(context.Background()) {
		t.Error("Background does not mark its context")
	}
}
