package bot

import (
	"slices"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// isTooManyTaps reports whether a button's toast is the "too many taps" one,
// whatever wait it names.
func isTooManyTaps(toast string) bool {
	for s := 1; s <= 60; s++ {
		if toast == en.ToastTooManyTaps(time.Duration(s)*time.Second) {
			return true
		}
	}
	return false
}

// TestFloodDoesNotStallOthers: one user pressing Refresh 200 times in two
// seconds while SMSOnline takes half a second to answer. Another user's
// /balance is answered as fast as SMSOnline allows; the flooder's presses
// reach SMSOnline only within their budget, every press is answered, those
// over budget at once, and one of them says "too many taps".
func TestFloodDoesNotStallOthers(t *testing.T) {
	const (
		presses = 200
		spacing = 10 * time.Millisecond
		latency = 500 * time.Millisecond
		prompt  = 2 * time.Second // for an answer that waits for SMSOnline once
	)
	// The watcher waits an hour between checks, so every SMSOnline request
	// of alice's account counted below comes from her presses.
	h := newHarness(t, withConfig(func(c *Config) { c.PollInterval = time.Hour }))
	h.login()
	h.loginBob()
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.sms.DeliverSMS(smsUser, "555", "123456") // nothing to watch
	card := h.say(alice, aliceChat, "/order 555")
	refresh := ownedButton("r", alice, "555")
	if !slices.Contains(buttonData(card.ReplyMarkup), refresh) {
		t.Fatalf("card buttons = %v, want %s", buttonData(card.ReplyMarkup), refresh)
	}
	h.waitHandled()
	h.sms.SetLatency(latency)
	before := len(h.sms.Log())

	pressedAt := make(map[string]time.Time, presses)
	var elapsed time.Duration // from the first press to the last
	flooded := make(chan struct{})
	go func() {
		defer close(flooded)
		begin := time.Now()
		defer func() { elapsed = time.Since(begin) }()
		tick := time.NewTicker(spacing)
		defer tick.Stop()
		for range presses {
			pressedAt[h.tg.PressButton(alice, aliceChat, card.MessageID, refresh)] = time.Now()
			<-tick.C
		}
	}()

	// Bob asks for his balance three times during the flood.
	bobChat := telegramtest.PrivateChat(bob)
	for range 3 {
		time.Sleep(presses * spacing / 4)
		n := len(h.tg.SentTo(bobChat.ID))
		sent := time.Now()
		h.tg.SendText(bob, bobChat, "/balance")
		h.tg.WaitFor(t, 30*time.Second, func() bool { return len(h.tg.SentTo(bobChat.ID)) > n })
		got := h.tg.SentTo(bobChat.ID)[n]
		assertContains(t, got.Text, en.Balance(balance(20), bobSMSUser))
		if wait := got.At.Sub(sent); wait > prompt {
			t.Errorf("bob's /balance was answered after %v during alice's flood, want within %v", wait.Round(time.Millisecond), prompt)
		}
	}
	<-flooded

	// Every press is answered, those over budget at once.
	h.tg.WaitFor(t, 20*time.Second, func() bool { return len(h.tg.Answered()) >= presses })
	h.waitHandled()
	updated, slowDowns, late := 0, 0, 0
	var slowest time.Duration
	for _, c := range h.tg.CallsTo("answerCallbackQuery") {
		at, ok := pressedAt[c.Params["callback_query_id"]]
		if !ok {
			continue
		}
		toast := c.Params["text"]
		switch {
		case toast == en.T(message.ToastUpdated):
			updated++
			continue
		case isTooManyTaps(toast):
			slowDowns++
		case toast != "":
			t.Errorf("a press was answered %q", toast)
		}
		if wait := c.At.Sub(at); wait > prompt {
			late++
			slowest = max(slowest, wait)
		}
	}
	if late > 0 {
		t.Errorf("%d presses over budget were answered after more than %v (the slowest after %v)", late, prompt, slowest.Round(time.Millisecond))
	}
	if slowDowns != 1 {
		t.Errorf("%d presses said too many taps, want 1", slowDowns)
	}

	// Only presses within the budget reach SMSOnline: the burst and what
	// refills while the flood lasts (and a second more, for the last updates'
	// way to the bot).
	cfg := h.bot.cfg
	budget := cfg.CommandBurst + int(cfg.CommandRate*(elapsed+time.Second).Seconds())
	requests := 0
	for _, rq := range h.sms.Log()[before:] {
		if rq.UserID == smsUser {
			requests++
		}
	}
	if requests > budget || updated != requests {
		t.Errorf("%d presses reached SMSOnline (%d updated the card), want at most %d (budget)", requests, updated, budget)
	}
	t.Logf("flood of %d presses in %v: %d reached SMSOnline (budget %d), %d slow-down toast", presses, elapsed.Round(time.Millisecond), requests, budget, slowDowns)
}
