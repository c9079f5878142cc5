package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/internal/view"
	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// /settings, the rule's line on a waiting card, "📌 Keep this number" and
// the rule's "⏹ Stop".

var (
	ruleOff      = store.Rule{Kind: store.RuleOff}
	ruleRefund5  = store.Rule{Kind: store.RuleRefund, Minutes: 5}
	ruleRefund10 = store.Rule{Kind: store.RuleRefund, Minutes: 10}
	ruleRetry    = store.Rule{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 1_00}
)

// withManyCommands lets a test send many commands at once.
func withManyCommands() harnessOption { return func(c *Config) { c.CommandBurst = 100 } }

// rule is the user's stored rule.
func (h *harness) rule(user telegramtest.User) store.Rule {
	h.t.Helper()
	r, err := h.store.UserRule(context.Background(), user.ID)
	if err != nil {
		h.t.Fatalf("load rule: %v", err)
	}
	return r
}

// settingsShown is /settings' answer for rule r, in l.
func settingsShown(l *message.Lang, r store.Rule) string {
	return l.SettingsShow(view.Settings(r), view.SettingsLimits())
}

// ruleLabel is the start of a card's rule line, before the time: the
// rule's line whatever the time it says.
func ruleLabel(replaces bool) string {
	now := time.Now()
	card := en.Card(message.Order{ID: "1", RuleAt: now.Add(10 * time.Minute), RuleReplaces: replaces}, now)
	return textBefore(lastLine(card), en.Duration(10*time.Minute))
}

func TestSettingsCommand(t *testing.T) {
	h := newHarness(t, withManyCommands())
	// Off for a user who never set it; no account is needed.
	shown := h.say(alice, aliceChat, "/settings")
	if shown.Text != settingsShown(en, ruleOff) {
		t.Errorf("/settings = %q, want the rule off", shown.Text)
	}
	wantData := []string{"rule:off", "rule:refund:5", "rule:refund:10", "rule:retry:5:3:100"}
	if got := buttonData(shown.ReplyMarkup); !slices.Equal(got, wantData) {
		t.Errorf("/settings buttons %v, want %v", got, wantData)
	}
	for _, row := range shown.ReplyMarkup.InlineKeyboard {
		if len(row) != 1 {
			t.Errorf("a row of %d buttons: each choice has a row of its own", len(row))
		}
	}

	for _, tt := range []struct {
		text string
		want store.Rule
	}{
		{"/settings refund 5", ruleRefund5},
		{"/settings refund 19", store.Rule{Kind: store.RuleRefund, Minutes: 19}},
		{"/settings Refund 2", store.Rule{Kind: store.RuleRefund, Minutes: 2}},
		{"/settings retry 5 3 1.00", ruleRetry},
		{"/settings retry 2 10 $1.5", store.Rule{Kind: store.RuleRetry, Minutes: 2, MaxNumbers: 10, MaxSpend: 1_50}},
		{"/settings retry 19 2 100", store.Rule{Kind: store.RuleRetry, Minutes: 19, MaxNumbers: 2, MaxSpend: 100_00}},
		{"/settings retry 5 3 0.01", store.Rule{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 1}},
		{"/settings off", ruleOff},
	} {
		t.Run(tt.text, func(t *testing.T) {
			got := h.say(alice, aliceChat, tt.text)
			if want := en.SettingsSaved(view.Settings(tt.want)); got.Text != want {
				t.Errorf("answer %q, want %q", got.Text, want)
			}
			if r := h.rule(alice); r != tt.want {
				t.Errorf("stored %+v, want %+v", r, tt.want)
			}
		})
	}
}

func TestSettingsBadValuesChangeNothing(t *testing.T) {
	h := newHarness(t, withManyCommands())
	h.say(alice, aliceChat, "/settings refund 5")
	usage := en.SettingsUsage(view.SettingsLimits())
	for _, args := range []string{
		"refund 1", "refund 20", "refund 5.5", "refund -5", "refund +5", "refund", "refund 5 5", "refund five",
		"retry 5 1 1.00", "retry 5 11 1.00", "retry 5 3 0", "retry 5 3 100.01", "retry 5 3 1.005", "retry 5 3 -1",
		"retry 5 3 NaN", "retry 5 3 one", "retry 1 3 1.00", "retry 5 3", "retry 5 3 1.00 1",
		"off now", "bogus", "refund 0x5",
	} {
		t.Run(args, func(t *testing.T) {
			before := len(h.tg.SentTo(aliceChat.ID))
			got := h.say(alice, aliceChat, "/settings "+args)
			if got.Text != usage {
				t.Errorf("answer %q, want the usage", got.Text)
			}
			if n := len(h.tg.SentTo(aliceChat.ID)) - before; n != 1 {
				t.Errorf("%d answers, want one", n)
			}
			if r := h.rule(alice); r != ruleRefund5 {
				t.Errorf("stored %+v, want it unchanged", r)
			}
		})
	}
	for _, want := range []string{"2", "19", "10", "$100.00"} { // the limits it says
		assertContains(t, usage, want)
	}
}

func TestSettingsButtons(t *testing.T) {
	h := newHarness(t, withManyCommands())
	h.say(alice, aliceChat, "/settings retry 5 3 1.00") // so that each press below changes the message
	shown := h.say(alice, aliceChat, "/settings")
	for i, want := range []store.Rule{ruleOff, ruleRefund5, ruleRefund10, ruleRetry} {
		data := buttonData(shown.ReplyMarkup)[i]
		if toast := h.tap(alice, aliceChat, shown.MessageID, data); toast != en.T(message.ToastSaved) {
			t.Errorf("%s: toast %q", data, toast)
		}
		if r := h.rule(alice); r != want {
			t.Errorf("%s stored %+v, want %+v", data, r, want)
		}
		// The message in the private chat shows the rule now set, with the buttons.
		edit := h.lastEdit(aliceChat, shown.MessageID)
		if edit.Text != settingsShown(en, want) || !slices.Equal(buttonData(edit.ReplyMarkup), buttonData(shown.ReplyMarkup)) {
			t.Errorf("%s: message edited to %q with %v", data, edit.Text, buttonData(edit.ReplyMarkup))
		}
	}

	// Data the bot never made changes nothing.
	edits := len(h.tg.Edits())
	for _, data := range []string{"rule:refund:99", "rule:refund:1", "rule:retry:5:3:10001", "rule:retry:5:11:100", "rule:refund:05", "rule:keep"} {
		if toast := h.tap(alice, aliceChat, shown.MessageID, data); toast != en.T(message.ButtonExpired) {
			t.Errorf("%s: toast %q", data, toast)
		}
		if r := h.rule(alice); r != ruleRetry {
			t.Errorf("%s changed the rule to %+v", data, r)
		}
	}
	if n := len(h.tg.Edits()) - edits; n != 0 {
		t.Errorf("forged presses edited %d messages", n)
	}
}

// In a group, a press sets the presser's own rule: Bob's press on Alice's
// /settings leaves hers and her message alone and is answered apart.
func TestSettingsButtonInGroupSetsThePressersRule(t *testing.T) {
	h := newHarness(t)
	h.say(alice, aliceChat, "/settings refund 5")
	shown := h.say(alice, group, "/settings@smsbot_test_bot")
	if shown.Text != settingsShown(en, ruleRefund5) {
		t.Fatalf("/settings in the group = %q", shown.Text)
	}
	h.waitHandled() // the bot recorded whom the message is for
	before := len(h.tg.SentTo(group.ID))
	if toast := h.tap(bob, group, shown.MessageID, "rule:refund:10"); toast != en.T(message.ToastSaved) {
		t.Errorf("toast %q", toast)
	}
	if r := h.rule(bob); r != ruleRefund10 {
		t.Errorf("bob's rule %+v, want %+v", r, ruleRefund10)
	}
	if r := h.rule(alice); r != ruleRefund5 {
		t.Errorf("alice's rule %+v, want it unchanged", r)
	}
	if n := len(h.tg.Edits()); n != 0 {
		t.Errorf("bob's press edited %d messages", n)
	}
	sent := h.tg.SentTo(group.ID)
	if len(sent) != before+1 || sent[before].Text != en.SettingsSaved(view.Settings(ruleRefund10)) {
		t.Errorf("group messages after bob's press: %d, want one saying his rule", len(sent)-before)
	}

	// Alice's press on her own group message edits it.
	h.tap(alice, group, shown.MessageID, "rule:off")
	if edit := h.lastEdit(group, shown.MessageID); edit.Text != settingsShown(en, ruleOff) || h.rule(alice) != ruleOff {
		t.Errorf("alice's press: message %q, rule %+v", edit.Text, h.rule(alice))
	}
}

func TestSettingsSurviveRestart(t *testing.T) {
	h := newHarness(t)
	h.say(alice, aliceChat, "/settings retry 5 3 1.00")
	h.stop()
	h.start()
	if r := h.rule(alice); r != ruleRetry {
		t.Errorf("after a restart the rule is %+v, want %+v", r, ruleRetry)
	}
	if got := h.say(alice, aliceChat, "/settings"); got.Text != settingsShown(en, ruleRetry) {
		t.Errorf("after a restart /settings = %q", got.Text)
	}
}

func TestCardSaysWhenTheRuleActs(t *testing.T) {
	h := newHarness(t, withManyCommands())
	h.login()
	for _, id := range []string{"555", "556"} {
		h.sms.AddOrder(smsUser, smsapitest.NewOrder(id))
	}
	keep := ownedButton("k", alice, "555")

	off := h.say(alice, aliceChat, "/order 555")
	if strings.Contains(off.Text, ruleLabel(false)) || slices.Contains(buttonData(off.ReplyMarkup), keep) {
		t.Errorf("with the rule off the card says it or offers Keep:\n%s\n%v", off.Text, buttonData(off.ReplyMarkup))
	}

	h.say(alice, aliceChat, "/settings refund 5") // times the number already watched too
	on := h.say(alice, aliceChat, "/order 555")
	assertContains(t, on.Text, cardTitle(en, "555"), ruleLabel(false))
	if !slices.Contains(buttonData(on.ReplyMarkup), keep) {
		t.Errorf("card buttons %v lack %s", buttonData(on.ReplyMarkup), keep)
	}

	h.say(alice, aliceChat, "/settings retry 5 3 1.00")
	assertContains(t, h.say(alice, aliceChat, "/order 556").Text, ruleLabel(true))

	// Once the SMS came, the card says nothing of the rule.
	h.sms.DeliverSMS(smsUser, "556", "Your code is 313131")
	got := h.say(alice, aliceChat, "/order 556")
	if strings.Contains(got.Text, ruleLabel(true)) || slices.Contains(buttonData(got.ReplyMarkup), ownedButton("k", alice, "556")) {
		t.Errorf("a card with its SMS says the rule or offers Keep:\n%s", got.Text)
	}
}

func TestBoughtCardSaysWhenTheRuleActs(t *testing.T) {
	h := newBuyHarness(t)
	h.say(alice, aliceChat, "/settings refund 5")
	ask := h.say(alice, aliceChat, "/buy 555")
	h.tap(alice, aliceChat, ask.MessageID, buttonWith(t, ask.ReplyMarkup, "B:"))
	bought := h.lastEdit(aliceChat, ask.MessageID)
	assertContains(t, bought.Text, boughtTitle(), ruleLabel(false))
	buttonWith(t, bought.ReplyMarkup, "k:1001:30000001")
	if w, err := h.store.Watch(context.Background(), alice.ID, "30000001"); err != nil || w.RuleAt.IsZero() {
		t.Errorf("the number bought is not under the rule: %+v, %v", w, err)
	}
}

func TestKeepThisNumber(t *testing.T) {
	h := newHarness(t, withManyCommands())
	h.login()
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.say(alice, aliceChat, "/settings refund 5")
	card := h.say(alice, aliceChat, "/order 555")

	if toast := h.tap(alice, aliceChat, card.MessageID, buttonWith(t, card.ReplyMarkup, "k:")); toast != en.T(message.ToastKept) {
		t.Errorf("toast %q", toast)
	}
	edit := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, edit.Text, cardTitle(en, "555"), en.T(message.Watching))
	if strings.Contains(edit.Text, ruleLabel(false)) || slices.Contains(buttonData(edit.ReplyMarkup), ownedButton("k", alice, "555")) {
		t.Errorf("the kept card still says the rule or offers Keep:\n%s\n%v", edit.Text, buttonData(edit.ReplyMarkup))
	}
	w, err := h.store.Watch(context.Background(), alice.ID, "555")
	if err != nil || !w.Kept || !w.RuleAt.IsZero() {
		t.Errorf("watch after Keep: %+v, %v; want it kept", w, err)
	}
	if again := h.say(alice, aliceChat, "/order 555"); strings.Contains(again.Text, ruleLabel(false)) {
		t.Errorf("the kept number's card says the rule again:\n%s", again.Text)
	}
	// A new rule leaves a kept number kept.
	h.say(alice, aliceChat, "/settings refund 7")
	if w, _ := h.store.Watch(context.Background(), alice.ID, "555"); !w.Kept || !w.RuleAt.IsZero() {
		t.Errorf("a new rule took the number back: %+v", w)
	}

	// Keep on a number no longer watched says so.
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("556"))
	other := h.say(alice, aliceChat, "/order 556")
	keep := buttonWith(t, other.ReplyMarkup, "k:")
	h.say(alice, aliceChat, "/stop 556")
	if toast := h.tap(alice, aliceChat, other.MessageID, keep); toast != en.T(message.ToastKeepNotWatched) {
		t.Errorf("Keep on a number not watched: toast %q", toast)
	}
	if _, err := h.store.Watch(context.Background(), alice.ID, "556"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Keep started a watch: %v", err)
	}
}

func TestKeepOnlyForOwner(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.say(alice, aliceChat, "/settings refund 5")
	card := h.say(alice, group, "/order@smsbot_test_bot 555")
	keep := buttonWith(t, card.ReplyMarkup, "k:")

	if toast := h.tap(bob, group, card.MessageID, keep); toast != en.T(message.NotYourCard) {
		t.Errorf("bob pressing Keep: toast %q", toast)
	}
	if w, err := h.store.Watch(context.Background(), alice.ID, "555"); err != nil || w.Kept || w.RuleAt.IsZero() {
		t.Errorf("bob's press changed alice's watch: %+v, %v", w, err)
	}
	if n := len(h.tg.Edits()); n != 0 {
		t.Errorf("bob's press edited %d messages", n)
	}

	if toast := h.tap(alice, group, card.MessageID, keep); toast != en.T(message.ToastKept) {
		t.Errorf("alice pressing Keep on her group card: toast %q", toast)
	}
	if strings.Contains(h.lastEdit(group, card.MessageID).Text, ruleLabel(false)) {
		t.Error("alice's group card still says the rule")
	}
}

// startChain starts a chain of replacements from alice's order, as the
// rule's engine would.
func (h *harness) startChain(orderID string) store.Chain {
	h.t.Helper()
	c, err := h.store.StartChain(context.Background(), store.Chain{TelegramUserID: alice.ID, FirstOrder: orderID, FirstPrice: 16,
		Minutes: ruleRetry.Minutes, MaxNumbers: ruleRetry.MaxNumbers, MaxSpend: ruleRetry.MaxSpend}, time.Now())
	if err != nil || c.State != store.ChainRunning {
		h.t.Fatalf("start chain: %+v, %v", c, err)
	}
	return c
}

// chainState is the state of the chain alice's order is in.
func (h *harness) chainState(orderID string) store.ChainState {
	h.t.Helper()
	c, _, err := h.store.ChainOf(context.Background(), alice.ID, orderID)
	if err != nil {
		h.t.Fatalf("chain of %s: %v", orderID, err)
	}
	return c.State
}

func TestStopChain(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.say(alice, aliceChat, "/settings retry 5 3 1.00")
	card := h.say(alice, aliceChat, "/order 555") // stands in for the rule's message with Stop
	h.startChain("555")
	stop := ownedButton("z", alice, "555")

	if toast := h.tap(bob, aliceChat, card.MessageID, stop); toast != en.T(message.NotYourCard) || h.chainState("555") != store.ChainRunning {
		t.Errorf("bob pressing Stop: toast %q, chain %s", toast, h.chainState("555"))
	}
	if toast := h.tap(alice, aliceChat, card.MessageID, stop); toast != en.T(message.ToastDone) {
		t.Errorf("toast %q", toast)
	}
	h.waitMessage(aliceChat.ID, en.StoppedReplacing("555"))
	if n := len(h.tg.Edits()); n != 0 {
		t.Errorf("Stop edited %d messages: the rule's message stays as it is", n)
	}
	if s := h.chainState("555"); s != store.ChainStopped {
		t.Errorf("chain %s, want stopped", s)
	}
	if w, err := h.store.Watch(context.Background(), alice.ID, "555"); err != nil || !w.Kept {
		t.Errorf("the chain's number after Stop: %+v, %v; want it watched and kept", w, err)
	}
	if toast := h.tap(alice, aliceChat, card.MessageID, stop); toast != en.T(message.ToastNothingToStop) {
		t.Errorf("Stop again: toast %q", toast)
	}
}

func TestNewNumberStopsTheChain(t *testing.T) {
	h := newHarness(t, withFastMoney())
	h.login()
	h.sms.SetOffer(discord)
	h.sms.AddOrder(smsUser, smsapitest.NewOrder("555"))
	h.say(alice, aliceChat, "/settings retry 5 3 1.00")
	card := h.say(alice, aliceChat, "/order 555")
	h.startChain("555")

	h.tap(alice, aliceChat, card.MessageID, h.newNumberConfirmation(card.MessageID, "555"))
	done := h.lastEdit(aliceChat, card.MessageID)
	assertContains(t, done.Text, cardTitle(en, "30000001"), ruleLabel(true))
	buttonWith(t, done.ReplyMarkup, "k:1001:30000001")
	if s := h.chainState("555"); s != store.ChainStopped {
		t.Errorf("the chain of the number replaced by hand is %s, want stopped", s)
	}
}
