package bot

import (
	"testing"
	"time"
)

func TestUserLimiterWarnsOncePerSlowDown(t *testing.T) {
	l := newUserLimiter(0.5, 10) // the defaults: a token every 2 s
	start := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	flood := func(from time.Time, d time.Duration) (allowed, warned int) {
		for at := from; at.Before(from.Add(d)); at = at.Add(25 * time.Millisecond) {
			ok, warn, _ := l.allow(1, at)
			if ok {
				allowed++
			}
			if warn {
				warned++
			}
		}
		return allowed, warned
	}

	// 40 presses a second for 10 s: the burst and a token every 2 s get
	// through, and the flood is told once, not once per refill.
	allowed, warned := flood(start, 10*time.Second)
	if allowed != 10+4 || warned != 1 {
		t.Errorf("first flood: %d allowed, %d warnings; want 14 and 1", allowed, warned)
	}
	// A pause of a refill and a second ends the slow-down: a new flood is
	// told again.
	_, warned = flood(start.Add(10*time.Second+3100*time.Millisecond), 5*time.Second)
	if warned != 1 {
		t.Errorf("second flood after a pause: %d warnings, want 1", warned)
	}
	// Another user's budget is their own.
	if ok, _, _ := l.allow(2, start.Add(11*time.Second)); !ok {
		t.Error("another user was refused during the flood")
	}
}
