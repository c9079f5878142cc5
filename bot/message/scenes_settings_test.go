package message

import "time"

// sceneLimits are the rule's limits as the store sets them (store/rule.go).
var sceneLimits = SettingsLimits{MinMinutes: 2, MaxMinutes: 19, MinNumbers: 2, MaxNumbers: 10, MaxSpend: Cents(100_00)}

// sceneSettingsChoices are /settings' buttons (bot/settings.go).
var sceneSettingsChoices = []Settings{
	{Kind: SettingsOff},
	{Kind: SettingsRefund, Minutes: 5},
	{Kind: SettingsRefund, Minutes: 10},
	{Kind: SettingsRetry, Minutes: 5, Numbers: 3, Spend: Cents(100)},
}

// settingsScenes: /settings with each rule, its answers, and the rule as
// a waiting card shows it, with "Keep this number" and "Stop" (bot/settings.go,
// bot/keep.go).
func settingsScenes(l *Lang, s *scenes) {
	refund := Settings{Kind: SettingsRefund, Minutes: 5}
	retry := Settings{Kind: SettingsRetry, Minutes: 19, Numbers: 10, Spend: Cents(100_00)}
	kb := l.SettingsKeyboard(sceneSettingsChoices)
	s.add("Settings/Off", l.SettingsShow(Settings{Kind: SettingsOff}, sceneLimits), kb)
	s.add("Settings/Refund", l.SettingsShow(refund, sceneLimits), kb)
	s.add("Settings/Retry", l.SettingsShow(sceneSettingsChoices[3], sceneLimits), kb)
	s.add("Settings/Usage", l.SettingsUsage(sceneLimits), nil)
	s.add("Settings/SavedOff", l.SettingsSaved(Settings{Kind: SettingsOff}), nil)
	s.add("Settings/SavedRefund", l.SettingsSaved(refund), nil)
	s.add("Settings/SavedRetry", l.SettingsSaved(retry), nil)

	orders := sceneOrders()
	for _, c := range []struct {
		name     string
		in       time.Duration
		replaces bool
	}{
		{"Refund", 4*time.Minute + 20*time.Second, false},
		{"RefundSeconds", 45 * time.Second, false},
		{"RefundSoon", -3 * time.Second, false},
		{"New", 4*time.Minute + 20*time.Second, true},
		{"NewSoon", 0, true},
	} {
		o := orders["Waiting"]
		o.RuleAt, o.RuleReplaces = renderNow.Add(c.in), c.replaces
		s.add("Card/Rule"+c.name, l.Card(o, renderNow)+"\n\n"+l.WatchingFor(false, true), l.CardKeyboard(o, sceneOwner, o.ID, true, true))
	}
	bought := orders["WaitingCarrier"]
	bought.RuleAt = renderNow.Add(5 * time.Minute)
	s.add("Card/BoughtRule", l.Bought(bought, renderNow, false), l.CardKeyboard(bought, sceneOwner, bought.ID, true, true))
	kept := orders["Waiting"] // kept: the watch's RuleAt is zero
	s.add("Card/RuleKept", l.Card(kept, renderNow)+"\n\n"+l.WatchingFor(false, true), l.CardKeyboard(kept, sceneOwner, kept.ID, true, true))

	// The rule's own message carries Stop; its words are the rule engine's.
	stop := Row(CallbackButton(l.T(ButtonChainStop), Callback{Action: ActChainStop, Owner: sceneOwner, OrderID: sceneOrder}.Data()))
	s.add("Keep/StopButton", l.Card(orders["Waiting"], renderNow), stop)
	s.add("Keep/Stopped", l.StoppedReplacing(sceneOrder), nil)
	for _, id := range []Text{ToastSaved, ToastKept, ToastKeepNotWatched, ToastNothingToStop} {
		s.plain("Toast/"+string(id), l.T(id))
	}
}
