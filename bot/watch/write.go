package watch

import (
	"context"
	"errors"
	"time"

	"github.com/smsbot/smsbot/store"
)

// write records finished checks in batches: one transaction for all the
// outcomes that finished within flushEvery of each other.
func (w *Watcher) write(ctx context.Context, results <-chan []checkResult) {
	var batch []checkResult
	ticker := time.NewTicker(flushEvery)
	defer ticker.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		w.flush(context.WithoutCancel(ctx), batch)
		clear(batch) // drop the references to messages and watches
		batch = batch[:0]
	}
	for {
		select {
		case rs, ok := <-results:
			if !ok {
				flush()
				return
			}
			batch = append(batch, rs...)
			if len(batch) >= flushSize {
				flush()
			}
		case <-ticker.C:
			flush()
		}
	}
}

// checked counts the outcomes of a successful look at an order (not the
// released claims).
func checked(outcomes []store.CheckOutcome) int {
	n := 0
	for i := range outcomes {
		if !outcomes[i].LastCheckedAt.IsZero() {
			n++
		}
	}
	return n
}

// flush writes one batch of outcomes and the pauses it calls for.
func (w *Watcher) flush(ctx context.Context, batch []checkResult) {
	outcomes := make([]store.CheckOutcome, 0, len(batch))
	released := false
	for _, r := range batch {
		if !r.skip && r.pause == nil {
			outcomes = append(outcomes, r.outcome)
		}
		released = released || r.release
	}
	if released {
		// A released watch may be due already; the scheduler, which only
		// looks for watches due after its last claim, must look again.
		defer w.Wake()
	}
	notify := false
	if len(outcomes) > 0 {
		pushed, err := w.store.ApplyOutcomes(ctx, outcomes, w.cfg.Now())
		for tries := 1; errors.Is(err, store.ErrLocked) && tries < lockedWriteTries; tries++ {
			// Another process holds the database (a backup, a shell). Each try
			// waits out the busy timeout; without retrying, these checks would
			// stall until their claims lapse.
			w.log.Warn("database locked, retrying the write", "count", len(outcomes), "try", tries+1)
			pushed, err = w.store.ApplyOutcomes(ctx, outcomes, w.cfg.Now())
		}
		if err != nil {
			// The claims lapse after claimLease and the checks run again: nothing is lost.
			w.log.Error("can't record checks", "count", len(outcomes), "err", err)
		} else if w.cfg.OnChecked != nil {
			w.cfg.OnChecked(checked(outcomes))
		}
		notify = pushed > 0 || hasNotice(outcomes)
	}
	for _, r := range batch {
		if r.pause == nil {
			continue
		}
		paused, err := w.store.PauseWatches(ctx, r.outcome.TelegramUserID, r.pause, w.cfg.Now())
		if err != nil {
			w.log.Error("can't pause watches", "user", r.outcome.TelegramUserID, "err", err)
			continue
		}
		if paused > 0 {
			w.log.Info("api key refused: watches paused", "user", r.outcome.TelegramUserID, "watches", paused)
			notify = true
		}
	}
	if notify {
		w.onPush()
	}
}

func hasNotice(outcomes []store.CheckOutcome) bool {
	for _, o := range outcomes {
		if o.Notice != nil {
			return true
		}
	}
	return false
}
