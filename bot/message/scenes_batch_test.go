package message

// batchScenes: several numbers in one confirmation — the question with its
// quantities, and the message that lists the numbers as they come.
func batchScenes(l *Lang, s *scenes) {
	offer := l.Offer(sceneService, sceneCountry, "any")
	s.add("Batch/Ask", l.BuyAskMany(offer, 5, Cents(20)), l.BuyManyKeyboard(sceneOwner, sceneOrder, sceneNonce, 5))
	s.add("Batch/AskOne", l.BuyAsk(offer, sceneOrder, Cents(20)), l.BuyManyKeyboard(sceneOwner, sceneOrder, sceneNonce, 1))
	items := []BatchItem{
		{OrderID: "30000001", Phone: "15550000001", Price: Cents(16)},
		{OrderID: "30000002", Phone: "15550000002", Price: Cents(17)},
	}
	s.add("Batch/Buying", l.Batch(offer, 5, items, BatchBuying, 3, WhyNone), nil)
	s.add("Batch/All", l.Batch(offer, 2, items, BatchAll, 0, WhyNone), nil)
	s.add("Batch/Stopped", l.Batch(offer, 5, items, BatchStopped, 0, WhyStock), nil)
	s.add("Batch/Cut", l.Batch(offer, 5, append(items, BatchItem{Pending: true}), BatchCut, 0, WhyNone), nil)
}
