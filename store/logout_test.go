package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLogoutWithNothingUnsettledIsImmediate: the account, its watches and
// its unpressed confirmations go at once; what was pressed stays.
func TestLogoutWithNothingUnsettledIsImmediate(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", ChatID: 1})
	done := begin(t, s, buyAction(1, "pressed"))
	_ = s.MarkActionSent(ctx, done.ID, t0)
	if err := s.SettleAction(ctx, done, Settlement{OrderID: "300", Price: 16}, t0); err != nil {
		t.Fatal(err)
	}
	unpressed := offer(t, s, buyAction(1, "unpressed"))
	out, err := s.LogoutAccount(ctx, 1, t0)
	if err != nil || !out.Existed || out.Unsettled != 0 || out.Watches != 1 {
		t.Fatalf("LogoutAccount = %+v, %v", out, err)
	}
	if _, err := s.Account(ctx, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("account after logout: %v", err)
	}
	if _, err := s.Watch(ctx, 1, "100"); !errors.Is(err, ErrNotFound) {
		t.Errorf("watch after logout: %v", err)
	}
	if _, err := s.Action(ctx, unpressed.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("unpressed confirmation after logout: %v", err)
	}
	// The used confirmation stays used, across a new login too.
	addAccount(t, s, 1)
	if a, begun, err := s.BeginAction(ctx, done.ID, t0); err != nil || begun || a.State != ActionDone || a.OrderID != "300" {
		t.Errorf("used confirmation after logout and login = %+v, %v, %v", a, begun, err)
	}
	if bought, _ := s.BoughtOrders(ctx, 1); !bought["300"] {
		t.Errorf("bought orders forgotten: %v", bought)
	}
	if out, err := s.LogoutAccount(ctx, 2, t0); err != nil || out.Existed {
		t.Errorf("logout of nobody = %+v, %v", out, err)
	}
}

// TestLogoutWaitsForUnsettledActions: /logout keeps the key while a money
// action is unsettled; it is finished once the action is settled (the
// notice enqueued with it), or given up after the wait, and a /login in
// between calls it off.
func TestLogoutWaitsForUnsettledActions(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	addAccount(t, s, 1)
	addWatch(t, s, Watch{TelegramUserID: 1, OrderID: "100", ChatID: 1})
	a := begin(t, s, buyAction(1, "n1"))
	_ = s.MarkActionSent(ctx, a.ID, t0)
	_ = s.MarkActionUnknown(ctx, a.ID, t0, t0)

	out, err := s.LogoutAccount(ctx, 1, t0)
	if err != nil || !out.Existed || out.Unsettled != 1 || !out.Since.Equal(t0) {
		t.Fatalf("LogoutAccount = %+v, %v", out, err)
	}
	acct, err := s.Account(ctx, 1)
	if err != nil || !acct.LogoutAt.Equal(t0) {
		t.Fatalf("account while logging out = %+v, %v", acct, err)
	}
	if again, _ := s.LogoutAccount(ctx, 1, t0.Add(time.Minute)); !again.Since.Equal(t0) {
		t.Errorf("a second /logout moved the start: %+v", again)
	}
	giveUp := t0.Add(-30 * time.Minute)
	if due, err := s.DueLogouts(ctx, giveUp, 10); err != nil || len(due) != 0 {
		t.Fatalf("due while unsettled = %+v, %v", due, err)
	}
	if done, err := s.FinishLogout(ctx, 1, giveUp, nil, t0); err != nil || done {
		t.Fatalf("FinishLogout while unsettled = %v, %v", done, err)
	}
	// The reconciler can still read with the key.
	if due, _ := s.DueActions(ctx, t0, 10); len(due) != 1 || due[0].KeyErr != nil || due[0].Account.APIKey == "" {
		t.Fatalf("DueActions while logging out = %+v", due)
	}
	w := Watch{TelegramUserID: 1, OrderID: "300", ChatID: 1}
	if err := s.SettleAction(ctx, a, Settlement{OrderID: "300", Price: 16, Watch: &w,
		Notice: &Message{ChatID: 1, TelegramUserID: 1, Priority: PriorityNotice, Text: "bought"}}, t0); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueLogouts(ctx, giveUp, 10)
	if err != nil || len(due) != 1 || due[0].TelegramUserID != 1 || due[0].Unsettled != 0 || due[0].Watches != 2 {
		t.Fatalf("DueLogouts after settling = %+v, %v", due, err)
	}
	notice := &Message{ChatID: 1, TelegramUserID: 1, Priority: PriorityNotice, Text: "logged out"}
	for i, want := range []bool{true, false} {
		if done, err := s.FinishLogout(ctx, 1, giveUp, notice, t0); err != nil || done != want {
			t.Errorf("FinishLogout #%d = %v, %v; want %v", i+1, done, err, want)
		}
	}
	if texts := dueTexts(t, s, t0); len(texts) != 2 || texts[0] != "bought" || texts[1] != "logged out" {
		t.Errorf("notices = %q; want the outcome, then the logout", texts)
	}
	if _, err := s.Account(ctx, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("account after the logout finished: %v", err)
	}

	// A /login calls a waiting logout off.
	addAccount(t, s, 2)
	b := begin(t, s, buyAction(2, "n2"))
	_ = s.MarkActionSent(ctx, b.ID, t0)
	if out, _ := s.LogoutAccount(ctx, 2, t0); out.Unsettled != 1 {
		t.Fatalf("logout of 2 = %+v", out)
	}
	addAccount(t, s, 2)
	if acct, _ := s.Account(ctx, 2); !acct.LogoutAt.IsZero() {
		t.Errorf("login kept the logout: %+v", acct)
	}
	// Given up after the wait: the account goes, the action stays unknown
	// and waits for the next login.
	_ = s.MarkActionUnknown(ctx, b.ID, t0, t0)
	_, _ = s.LogoutAccount(ctx, 2, t0)
	late := t0.Add(time.Minute)
	due, err = s.DueLogouts(ctx, late, 10)
	if err != nil || len(due) != 1 || due[0].Unsettled != 1 {
		t.Fatalf("DueLogouts after the wait = %+v, %v", due, err)
	}
	if done, err := s.FinishLogout(ctx, 2, late, nil, late); err != nil || !done {
		t.Fatalf("FinishLogout after the wait = %v, %v", done, err)
	}
	if got, _ := s.Action(ctx, b.ID); got.State != ActionUnknown {
		t.Errorf("action after a given-up logout = %+v", got)
	}
	dueActs, err := s.DueActions(ctx, t0, 10)
	if err != nil || len(dueActs) != 1 || !errors.Is(dueActs[0].KeyErr, ErrNotFound) {
		t.Fatalf("DueActions without an account = %+v, %v", dueActs, err)
	}
}

// TestAnotherSMSOncePerSMS: another SMS is asked once for the SMS shown; a
// new SMS may be asked about again, and a refused ask is forgotten.
func TestAnotherSMSOncePerSMS(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	for i, tc := range []struct {
		order, sms string
		want       bool
	}{{"1", "code 111", true}, {"1", "code 111", false}, {"1", "code 222", true}, {"2", "code 111", true}} {
		if first, err := s.AskAnotherSMS(ctx, 7, tc.order, tc.sms, t0); err != nil || first != tc.want {
			t.Errorf("#%d AskAnotherSMS(%s, %s) = %v, %v; want %v", i+1, tc.order, tc.sms, first, err, tc.want)
		}
	}
	if err := s.ForgetAnotherSMS(ctx, 7, "1", "code 111"); err != nil {
		t.Fatal(err)
	}
	if first, _ := s.AskAnotherSMS(ctx, 7, "1", "code 111", t0); !first {
		t.Error("a forgotten ask is still there")
	}
	// It is not an SMS shown: the watcher still pushes it.
	if isNew, _ := s.MarkDelivered(ctx, 7, "1", "code 111", t0); !isNew {
		t.Error("asking for another SMS marked the SMS delivered")
	}
}

// TestCardOwner: a group message keeps the owner it was first made for;
// old cards and old unpressed confirmations are pruned, money actions not.
func TestCardOwner(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if _, err := s.CardOwner(ctx, -100, 5); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown card = %v", err)
	}
	_ = s.SaveCard(ctx, -100, 5, 1, t0)
	_ = s.SaveCard(ctx, -100, 5, 2, t0)
	addAccount(t, s, 1)
	offered := offer(t, s, buyAction(1, "old"))
	pressed := begin(t, s, buyAction(1, "pressed"))
	if owner, err := s.CardOwner(ctx, -100, 5); err != nil || owner != 1 {
		t.Errorf("CardOwner = %d, %v; want 1", owner, err)
	}
	if _, err := s.PruneDelivered(ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CardOwner(ctx, -100, 5); !errors.Is(err, ErrNotFound) {
		t.Errorf("card after pruning = %v", err)
	}
	if _, err := s.Action(ctx, offered.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("an old unpressed confirmation survived pruning: %v", err)
	}
	if _, err := s.Action(ctx, pressed.ID); err != nil {
		t.Errorf("a pressed action was pruned: %v", err)
	}
}
