package message

import "time"

// ruleScenes: what the rule for numbers that get no SMS tells, by
// bot/money/rule.go: a refund, each way a chain stops buying, a chain's
// step with each outcome of the old number's refund, a refund given up.
func ruleScenes(l *Lang, s *scenes) {
	const newPhone = "+1 555 010 0199"
	five := 5 * time.Minute
	s.add("Rule/Refunded", l.RuleRefunded(scenePhone, five, Cents(16), ChainEnd{}), nil)
	s.add("Rule/RefundedNoPrice", l.RuleRefunded(scenePhone, five, Money{}, ChainEnd{}), nil)
	s.add("Rule/RefundWaits", l.RuleRefundWaits(scenePhone, five, ChainEnd{}), nil)
	s.add("Rule/GaveUp", l.RuleGaveUp(scenePhone), nil)
	ends := []struct {
		name string
		end  ChainEnd
	}{
		{"Numbers", ChainEnd{Why: WhyNumbers, N: 3, Max: 3}},
		{"Spend", ChainEnd{Why: WhySpend, Limit: Cents(50), Spent: Cents(34)}},
		{"Stock", ChainEnd{Why: WhyStock}},
		{"Price", ChainEnd{Why: WhyPrice}},
		{"Balance", ChainEnd{Why: WhyBalance}},
		{"Refused", ChainEnd{Why: WhyRefused}},
	}
	for _, e := range ends {
		s.add("Rule/ChainEnd/"+e.name, l.RuleRefunded(scenePhone, five, Cents(17), e.end), nil)
	}
	s.add("Rule/ChainEnd/Waits", l.RuleRefundWaits(scenePhone, five, ChainEnd{Why: WhyNumbers, N: 3, Max: 3}), nil)
	offer := l.Offer(sceneService, sceneCountry, "any")
	kb := l.ChainKeyboard(sceneOwner, "20046876")
	for _, st := range []struct {
		name     string
		old      OldRefund
		refunded Money
	}{
		{"Refunded", OldRefunded, Cents(16)}, {"RefundedNoPrice", OldRefunded, Money{}},
		{"Retry", OldRetry, Money{}}, {"Pending", OldPending, Money{}}, {"Kept", OldKept, Money{}},
	} {
		s.add("Rule/ChainStep/"+st.name, l.ChainStep(scenePhone, five, newPhone, offer, Cents(17), 2, 3, st.old, st.refunded), kb)
	}

	s.add("KeepTrying/Offered", l.BuyOutOfStock(offer), l.KeepTryingRow(l.BuyKeyboard(sceneOwner, sceneOrder, sceneNonce, ButtonTryAgain), sceneNonce))
	s.add("KeepTrying/Progress", l.StockTrying(offer, Cents(20), 30*time.Second, 8*time.Minute+30*time.Second, 3), l.StockTryingKeyboard(sceneOwner, 7))
	s.add("KeepTrying/GaveUp", l.StockGaveUp(offer, 10*time.Minute, 20), l.BuyAgainKeyboard(sceneOwner, sceneOrder))
	s.add("KeepTrying/Stopped", l.StockStopped(offer, 3), l.BuyAgainKeyboard(sceneOwner, sceneOrder))
	s.add("KeepTrying/StopTooLate", l.T(StockStopTooLate), nil)
}
