package money

import (
	"testing"
	"time"

	"github.com/smsbot/smsbot/store"
)

func dueStep(user int64, order string) store.DueRule {
	return store.DueRule{Watch: store.Watch{TelegramUserID: user, OrderID: order}}
}

// takeReady returns the users handed to the workers so far.
func takeReady(p *rulePool) []int64 {
	var out []int64
	for {
		select {
		case u := <-p.ready:
			out = append(out, u)
		default:
			return out
		}
	}
}

func TestRulePoolHandsEachUserToOneWorkerInOrder(t *testing.T) {
	p := newRulePool()
	p.start(dueStep(1, "a"))
	p.start(dueStep(2, "x"))
	p.start(dueStep(1, "b"))
	if got := takeReady(p); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("handed out %v, want users 1 and 2 once each", got)
	}
	if busy := p.underWay(); len(busy) != 3 || !busy[ruleStepKey{1, "b"}] {
		t.Fatalf("under way %v, want the three steps", busy)
	}

	// User 1's worker takes their steps in order, one read later included:
	// the user is not handed to a second worker meanwhile.
	d, ok := p.next(1)
	if !ok || d.Watch.OrderID != "a" {
		t.Fatalf("first step %q %v, want a", d.Watch.OrderID, ok)
	}
	p.start(dueStep(1, "c"))
	if got := takeReady(p); len(got) != 0 {
		t.Fatalf("user 1 handed out again while a worker has them: %v", got)
	}
	p.end(d)
	for _, want := range []string{"b", "c"} {
		d, ok := p.next(1)
		if !ok || d.Watch.OrderID != want {
			t.Fatalf("step %q %v, want %s", d.Watch.OrderID, ok, want)
		}
		p.end(d)
	}
	if _, ok := p.next(1); ok {
		t.Fatal("a step left for user 1")
	}

	// Let go, user 1 goes to the next free worker with their next step.
	p.start(dueStep(1, "d"))
	if got := takeReady(p); len(got) != 1 || got[0] != 1 {
		t.Fatalf("handed out %v, want user 1", got)
	}
	if busy := p.underWay(); len(busy) != 2 || busy[ruleStepKey{1, "a"}] {
		t.Fatalf("under way %v, want x and d", busy)
	}
}

func TestRulePoolSaysWhenHalfTheRoomIsFree(t *testing.T) {
	p := newRulePool()
	var steps []store.DueRule
	for i := range ruleBatch {
		d := dueStep(int64(i), "o")
		steps = append(steps, d)
		p.start(d)
	}
	takeReady(p)
	for i, d := range steps[:ruleBatch/2] {
		select {
		case <-p.ended:
			t.Fatalf("told after %d of %d steps ended", i, ruleBatch)
		default:
		}
		p.end(d)
	}
	select {
	case <-p.ended:
	default:
		t.Fatalf("not told after half of %d steps ended", ruleBatch)
	}
}

// TestRulePoolHoldsOffUntimedSteps: a step whose new rule time the store
// did not take (a full disk) is not handed out again before its hold ends,
// so it is not read and carried out again at once.
func TestRulePoolHoldsOffUntimedSteps(t *testing.T) {
	p := newRulePool()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	p.holdOff(dueStep(1, "a"), now.Add(10*time.Second))
	if held := p.heldOff(now.Add(9 * time.Second)); !held[stepOf(dueStep(1, "a"))] || held[stepOf(dueStep(1, "b"))] {
		t.Errorf("held off before its time: %v", held)
	}
	if held := p.heldOff(now.Add(10 * time.Second)); len(held) != 0 {
		t.Errorf("still held off when its time came: %v", held)
	}
	if len(p.off) != 0 {
		t.Errorf("a hold that ended is kept: %v", p.off)
	}
}
