package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestReplacementRefundBegunOnce: the refund that follows a "New number"
// purchase is begun once, whoever asks, and waits until the purchase is
// done; a kept number is never refunded.
func TestReplacementRefundBegunOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	buy := buyAction(1, "n1")
	buy.ReplaceOrder = "555"
	a := begin(t, s, buy)
	if a.ReplaceOrder != "555" || a.ReplaceState != ReplacePending {
		t.Fatalf("replacing purchase = %+v", a)
	}
	refund := Action{ServiceName: "Discord", Price: 16}
	if _, _, err := s.BeginReplacementRefund(ctx, a, refund, t0); !errors.Is(err, ErrActionState) {
		t.Fatalf("refund before the purchase is done: %v, want ErrActionState", err)
	}
	_ = s.MarkActionSent(ctx, a.ID, t0)
	if err := s.SettleAction(ctx, a, Settlement{OrderID: "300", Price: 16}, t0); err != nil {
		t.Fatal(err)
	}
	if due, err := s.DueReplacements(ctx, t0, 10); err != nil || len(due) != 1 || due[0].ID != a.ID || due[0].Account.APIKey == "" {
		t.Fatalf("DueReplacements = %+v, %v", due, err)
	}
	r, begun, err := s.BeginReplacementRefund(ctx, a, refund, t0)
	if err != nil || !begun || r.State != ActionIntent || r.OrderID != "555" || r.Key != ReplacementKey(a.ID) || r.Price != 16 {
		t.Fatalf("first BeginReplacementRefund = %+v, %v, %v", r, begun, err)
	}
	again, begun, err := s.BeginReplacementRefund(ctx, a, refund, t0.Add(time.Second))
	if err != nil || begun || again.ID != r.ID {
		t.Fatalf("second BeginReplacementRefund = %+v, %v, %v; want the first, not begun", again, begun, err)
	}
	if due, _ := s.DueReplacements(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("still due after the refund began: %+v", due)
	}

	// A kept number: never refunded.
	b := buyAction(1, "n2")
	b.ReplaceOrder = "556"
	bb := begin(t, s, b)
	_ = s.MarkActionSent(ctx, bb.ID, t0)
	_ = s.SettleAction(ctx, bb, Settlement{OrderID: "301"}, t0)
	if kept, err := s.KeepReplaced(ctx, bb.ID, t0); err != nil || !kept {
		t.Fatalf("KeepReplaced = %v, %v", kept, err)
	}
	if _, _, err := s.BeginReplacementRefund(ctx, bb, refund, t0); !errors.Is(err, ErrReplacementKept) {
		t.Errorf("refund of a kept number: %v, want ErrReplacementKept", err)
	}
}

// TestReplacementRefundAfterItsOwnRefund: the old number refunded from its
// own card meanwhile is not refunded a second time.
func TestReplacementRefundAfterItsOwnRefund(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	own := begin(t, s, refundAction(1, "k1", "555"))
	_ = s.MarkActionSent(ctx, own.ID, t0)
	buy := buyAction(1, "n1")
	buy.ReplaceOrder = "555"
	a := begin(t, s, buy)
	_ = s.MarkActionSent(ctx, a.ID, t0)
	_ = s.SettleAction(ctx, a, Settlement{OrderID: "300"}, t0)
	got, begun, err := s.BeginReplacementRefund(ctx, a, Action{Price: 16}, t0)
	if err != nil || begun || got.ID != own.ID {
		t.Fatalf("BeginReplacementRefund = %+v, %v, %v; want the own refund, not begun", got, begun, err)
	}
	if due, _ := s.DueReplacements(ctx, t0.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("still due: %+v", due)
	}
}

// TestRecoverChainStep: at start-up a chain's purchase left as an intent
// is offered again under its key (the rule makes the step), and a chain's
// step whose old number's refund was begun or sent is found, so its
// message is written with the recovery, once; a "New number" is not a
// chain's step.
func TestRecoverChainStep(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	addAccount(t, s, 1)
	// replacing buys a number replacing old under key and begins old's
	// refund; sent sends it too.
	replacing := func(key, old, bought string, sent bool) Action {
		b := buyAction(1, key)
		b.ReplaceOrder = old
		a := begin(t, s, b)
		_ = s.MarkActionSent(ctx, a.ID, t0)
		if err := s.SettleAction(ctx, a, Settlement{OrderID: bought, Price: 16}, t0); err != nil {
			t.Fatal(err)
		}
		r, begun, err := s.BeginReplacementRefund(ctx, a, Action{Price: 16}, t0)
		if err != nil || !begun {
			t.Fatalf("BeginReplacementRefund = %v, %v", begun, err)
		}
		if sent {
			_ = s.MarkActionSent(ctx, r.ID, t0)
		}
		return a
	}
	begunStep := replacing(ChainKey(1, 2), "555", "300", false)
	sentStep := replacing(ChainKey(2, 2), "556", "301", true)
	replacing("newnumber", "557", "302", false)
	cutBuy := begin(t, s, buyAction(1, ChainKey(1, 3)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, testKey(1))
	cut, err := s.CutChainSteps(ctx)
	if err != nil || len(cut) != 2 || cut[0].ID != begunStep.ID || cut[1].ID != sentStep.ID || cut[0].Account.APIKey == "" {
		t.Fatalf("CutChainSteps = %+v, %v; want the two chains' steps", cut, err)
	}
	notice := Message{ChatID: 1, TelegramUserID: 1, OrderID: "300", Priority: PriorityNotice, Text: "step"}
	notSent, unknown, err := s.RecoverActions(ctx, t0.Add(time.Minute), notice)
	if err != nil || notSent != 3 || unknown != 1 {
		t.Fatalf("RecoverActions = %d, %d, %v; want 3 not sent (a purchase, two refunds), 1 unknown", notSent, unknown, err)
	}
	if a, _ := s.Action(ctx, cutBuy.ID); a.State != ActionOffered || a.Failure != "" {
		t.Errorf("chain's purchase cut before sending = %+v, want offered again", a)
	}
	if n, err := s.PendingMessages(ctx); err != nil || n != 1 {
		t.Errorf("%d messages waiting (%v), want the step's", n, err)
	}
	if cut, err := s.CutChainSteps(ctx); err != nil || len(cut) != 0 {
		t.Errorf("CutChainSteps after the recovery = %+v, %v; want none", cut, err)
	}
}
