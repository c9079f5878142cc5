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

// queued returns how many waiters c holds in each line.
func queued(c *requestCap) [lineCount]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n [lineCount]int
	for l, q := range c.queue {
		n[l] = len(q)
	}
	return n
}

// waitQueued polls until c holds want waiters in each line.
func waitQueued(t *testing.T, c *requestCap, want [lineCount]int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := queued(c)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lines hold %v waiters, want %v", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// drain releases c, polls its lines until all are empty and calls check
// with how many waiters of each line have been granted so far, at every
// change seen. The lines are counted before the release: counted after, a
// grant made before the first poll would go unseen.
func drain(t *testing.T, c *requestCap, check func(granted [lineCount]int)) {
	t.Helper()
	before := queued(c)
	release(c)
	deadline := time.Now().Add(10 * time.Second)
	for {
		now := queued(c)
		var granted [lineCount]int
		left := 0
		for l := range now {
			granted[l] = before[l] - now[l]
			left += now[l]
		}
		check(granted)
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v waiters still in line", now)
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

// lineCtx is a context whose requests wait in line l.
func lineCtx(l int) context.Context {
	switch l {
	case lineUrgent:
		return Urgent(context.Background())
	case lineBackground:
		return Background(context.Background())
	}
	return context.Background()
}

func TestRequestCapServesTheHigherLineFirst(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, behind int
	}{
		{"a command before checks", lineInteractive, lineBackground},
		{"a command before refunds", lineInteractive, lineUrgent},
		{"a refund before checks", lineUrgent, lineBackground},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newRequestCap(100)
			hold(c)
			var want [lineCount]int
			queueUp(c, lineCtx(tc.behind), 19)
			want[tc.behind] = 19
			waitQueued(t, c, want)
			queueUp(c, lineCtx(tc.first), 1)
			want[tc.first] = 1
			waitQueued(t, c, want)

			// It arrived behind 19 waiters of the lower line and takes the next slot.
			drain(t, c, func(granted [lineCount]int) {
				if granted[tc.behind] > 0 && granted[tc.first] == 0 {
					t.Fatalf("%d of the lower line started before the higher one", granted[tc.behind])
				}
			})
		})
	}
}

func TestRequestCapDoesNotStarveALowerLine(t *testing.T) {
	for _, tc := range []struct {
		name          string
		higher, lower int
		run           int
	}{
		{"checks under commands", lineInteractive, lineBackground, backgroundRun},
		{"refunds under commands", lineInteractive, lineUrgent, backgroundRun},
		{"checks under refunds", lineUrgent, lineBackground, urgentRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newRequestCap(200)
			hold(c)
			var want [lineCount]int
			queueUp(c, lineCtx(tc.higher), 4*tc.run)
			want[tc.higher] = 4 * tc.run
			waitQueued(t, c, want)
			queueUp(c, lineCtx(tc.lower), 2)
			want[tc.lower] = 2
			waitQueued(t, c, want)

			// With the higher line always waiting, every run+1-th slot goes
			// to the lower one, and no more.
			drain(t, c, func(granted [lineCount]int) {
				higher, lower := granted[tc.higher], granted[tc.lower]
				if lo, hi := min(2, max(0, higher-1)/tc.run), higher/tc.run; lower < lo || lower > hi {
					t.Fatalf("after %d of the higher line %d of the lower started, want %d to %d", higher, lower, lo, hi)
				}
			})
		})
	}
}

func TestRequestCapCancelledWaiterLeavesTheLine(t *testing.T) {
	c := newRequestCap(20)
	hold(c)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.wait(ctx) }()
	waitQueued(t, c, [lineCount]int{1, 0, 0})
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("wait with a cancelled context = %v", err)
	}
	waitQueued(t, c, [lineCount]int{})
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
	if lineOf(Background(context.Background())) != lineBackground || lineOf(Urgent(context.Background())) != lineUrgent ||
		lineOf(context.Background()) != lineInteractive {
		t.Error("Background and Urgent do not mark their contexts")
	}
}
