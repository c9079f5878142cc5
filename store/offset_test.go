package store

import (
	"context"
	"testing"
	"time"
)

func TestClaimUpdate(t *testing.T) {
	st, _ := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	claim := func(id int64, at time.Time, want bool) {
		t.Helper()
		got, err := st.ClaimUpdate(ctx, id, at)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("ClaimUpdate(%d) = %v, want %v", id, got, want)
		}
	}
	claim(7, t0, true)
	claim(5, t0, true) // lower and later: a webhook delivers out of order
	claim(7, t0, false)
	if err := st.ReleaseUpdate(ctx, 7); err != nil {
		t.Fatal(err)
	}
	claim(7, t0.Add(time.Hour), true)
	n, err := st.PruneUpdates(ctx, t0.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("PruneUpdates = %d, %v; want 1 (update 5)", n, err)
	}
	claim(7, t0, false)
}
