package money

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// unwritten is what SMSOnline answered to a money request, to be recorded:
// a settlement (done), a refusal (failure set) or neither (unknown).
type unwritten struct {
	action   store.Action
	settle   *store.Settlement
	failure  store.Failure
	detail   string
	newPrice smsapi.Money
	since    time.Time // when the first write failed
}

// write records w. A purchase done is settled with its watch; the user
// heard the outcome from the tap's answer, so no notice goes with it.
func (s *Service) write(ctx context.Context, w unwritten) error {
	now := s.cfg.Now()
	var err error
	switch {
	case w.settle != nil:
		if err = s.store.SettleAction(ctx, w.action, *w.settle, now); err == nil && w.settle.Watch != nil {
			s.cfg.OnChange()
		}
	case w.failure != "":
		err = s.store.FailAction(ctx, w.action.ID, w.failure, w.detail, w.newPrice.Cents, now)
	default:
		if err = s.store.MarkActionUnknown(ctx, w.action.ID, now.Add(s.firstRead()), now); err == nil {
			s.Wake()
		}
	}
	if errors.Is(err, store.ErrActionState) {
		return nil // moved on already: the reconciler settled it
	}
	return err
}

// keep holds an outcome the store could not record, to be written again
// every round: the request was sent, and what SMSOnline said must not wait
// for a restart. Until it is written, Unwritten counts it (the health check
// reports it).
func (s *Service) keep(w unwritten, err error) {
	s.log.Error("can't record money action's outcome; retrying every round", "action", w.action.ID, "kind", w.action.Kind, "err", err)
	w.since = s.cfg.Now()
	s.mu.Lock()
	s.unwritten[w.action.ID] = w
	s.mu.Unlock()
	s.Wake()
}

// writeKept writes the outcomes kept by keep, oldest action first.
func (s *Service) writeKept(ctx context.Context) {
	s.mu.Lock()
	kept := make([]unwritten, 0, len(s.unwritten))
	for _, w := range s.unwritten {
		kept = append(kept, w)
	}
	s.mu.Unlock()
	slices.SortFunc(kept, func(a, b unwritten) int { return cmp.Compare(a.action.ID, b.action.ID) })
	for _, w := range kept {
		if err := s.write(ctx, w); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("still can't record money action's outcome", "action", w.action.ID, "since", w.since, "err", err)
			}
			return // the store is still failing: try again next round
		}
		s.log.Info("recorded money action's outcome", "action", w.action.ID, "kind", w.action.Kind)
		s.mu.Lock()
		delete(s.unwritten, w.action.ID)
		s.mu.Unlock()
	}
}

// Unwritten reports how many money outcomes wait to be recorded, and since
// when the oldest has.
func (s *Service) Unwritten() (n int, since time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.unwritten {
		if since.IsZero() || w.since.Before(since) {
			since = w.since
		}
	}
	return len(s.unwritten), since
}

// nonceBytes is the size of a confirmation's nonce: 72 random bits, 12
// characters of base64url in a button.
const nonceBytes = 9

// NewNonce returns a fresh confirmation nonce: the key of the money action
// a confirmation offers, and all its button carries.
func NewNonce() string {
	var b [nonceBytes]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
