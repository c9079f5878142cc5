package message

import (
	"strconv"
	"time"
)

// moneyScenes: refunds, another SMS, buying again and topping up, each
// confirmation with its buttons and each outcome as the bot words it
// (bot/confirm.go, bot/actions.go, bot/shop.go put them together so).
func moneyScenes(l *Lang, s *scenes) {
	orders := sceneOrders()
	down := l.T(APIDown)
	s.add("Refund/Ask", l.RefundAsk(sceneOrder, Cents(16)), l.RefundKeyboard(sceneOwner, sceneOrder, sceneNonce))
	offer := l.Offer(sceneService, "United States", "any")
	s.add("NewNumber/Ask", l.ReplaceAsk(offer, Cents(20), sceneOrder, Cents(16)), l.ReplaceKeyboard(sceneOwner, sceneOrder, sceneNonce))
	s.add("NewNumber/AskNoPrice", l.ReplaceAsk(offer, Cents(20), sceneOrder, Money{}), l.ReplaceKeyboard(sceneOwner, sceneOrder, sceneNonce))
	s.add("NewNumber/SMSArrived", l.ReplaceSMSArrived(sceneOrder), nil)
	s.add("NewNumber/RefundLater", l.BuyPending(offer)+"\n"+l.ReplaceRefundLater(sceneOrder), nil)
	s.add("NewNumber/Kept", l.ReplaceKept(sceneOrder), nil)
	s.add("NewNumber/RefundFailed", l.ReplaceRefundFailed(sceneOrder), nil)
	s.add("Refund/AskNoPrice", l.RefundAsk(sceneOrder, Money{}), l.RefundKeyboard(sceneOwner, sceneOrder, sceneNonce))
	s.add("Refund/Done", l.RefundDone(sceneOrder, Cents(16), Cents(1516)), nil)
	s.add("Refund/DoneNoPrice", l.RefundDone(sceneOrder, Money{}, Money{}), nil)
	s.add("Refund/DoneAgain", l.T(ConfirmationUsed)+"\n"+l.RefundDone(sceneOrder, Cents(16), Money{}), nil)
	s.add("Refund/AfterSMS", l.RefundAfterSMS(sceneOrder), nil)
	for _, status := range []string{"expired", "cancelled", "refunded"} {
		s.add("Refund/Closed/"+status, l.RefundClosed(sceneOrder, status), nil)
	}
	s.add("Refund/Pending", l.RefundPending(sceneOrder), nil)
	s.add("Refund/Failed", l.RefundFailed(sceneOrder, down), nil)
	s.add("Refund/FailedBare", l.RefundFailed(sceneOrder, ""), nil)
	s.add("Refund/NotDone", l.RefundNotDone(sceneOrder), nil)
	s.add("Refund/NotSent", l.RefundNotSent(sceneOrder, ""), nil)
	s.add("Refund/NotSentReason", l.RefundNotSent(sceneOrder, down), nil)
	s.add("Refund/Unconfirmed", l.RefundUnconfirmed(sceneOrder, Cents(1516)), nil)
	s.add("Refund/UnconfirmedNoBalance", l.RefundUnconfirmed(sceneOrder, Money{}), nil)

	s.add("AnotherSMS/NotYet", l.AnotherSMSNotYet(sceneOrder), nil)
	s.add("AnotherSMS/Closed", l.AnotherSMSClosed(sceneOrder), l.BuyAgainKeyboard(sceneOwner, sceneOrder))
	s.add("AnotherSMS/Failed", l.AnotherSMSFailed(sceneOrder, down), nil)

	offer, carrierOffer := l.OfferOf(orders["Waiting"]), l.OfferOf(orders["WaitingCarrier"])
	unnamed, long := l.Offer("", "", ""), l.OfferOf(orders["LongService"])
	list, listKB := l.BuyList(sceneOwner, []BuyEntry{
		{OrderID: sceneOrder, Service: sceneService, Country: sceneCountry, Carrier: "any", Price: Cents(16)},
		{OrderID: sceneOrder2, Service: sceneService2, Country: sceneCountry2, Carrier: sceneCarrier, Price: Cents(105)},
		{OrderID: sceneOrder3, Service: sceneLongName, Country: sceneCountry, Price: Cents(1516)},
		{OrderID: "20046878", Price: Cents(50)},
	})
	s.add("Buy/List", list, listKB)
	empty, _ := l.BuyList(sceneOwner, nil)
	s.add("Buy/ListEmpty", empty, nil)
	buyKB := l.BuyKeyboard(sceneOwner, sceneOrder, sceneNonce, ButtonBuy)
	s.add("Buy/Ask", l.BuyAsk(offer, sceneOrder, Cents(19)), buyKB)
	s.add("Buy/AskCarrier", l.BuyAsk(carrierOffer, sceneOrder, Cents(1000_00)), buyKB)
	s.add("Buy/AskUnnamed", l.BuyAsk(unnamed, sceneOrder, Cents(19)), buyKB)
	s.add("Buy/AskLowBalance", l.BuyAsk(long, sceneOrder, Cents(1516))+"\n\n"+l.LowBalance(Cents(5), Cents(1516)), buyKB)
	s.add("Buy/AskBalanceUnknown", l.BuyAsk(offer, sceneOrder, Cents(19))+"\n\n"+l.LowBalance(Money{}, Cents(16)), buyKB)
	s.add("Buy/PriceChanged", l.BuyPriceChanged(offer, Cents(23)), buyKB)
	s.add("Buy/PriceUnknown", l.BuyFailed(offer, l.BuyPriceUnknown(sceneOrder)), nil)
	tryKB := l.BuyKeyboard(sceneOwner, sceneOrder, sceneNonce, ButtonTryAgain)
	s.add("Buy/OutOfStock", l.BuyOutOfStock(offer), tryKB)
	s.add("Buy/OutOfStockUnnamed", l.BuyOutOfStock(unnamed), tryKB)
	s.add("Buy/LowBalance", l.BuyFailed(carrierOffer, l.LowBalance(Cents(5), Cents(1000_00))), tryKB)
	s.add("Buy/Pending", l.BuyPending(offer), nil)
	s.add("Buy/Failed", l.BuyFailed(offer, l.RateLimited(90*time.Second)), tryKB)
	s.add("Buy/FailedUnnamed", l.BuyFailed(unnamed, ""), nil)
	s.add("Buy/NotDone", l.BuyNotDone(offer), nil)
	s.add("Buy/NotSent", l.BuyNotSent(offer, ""), tryKB)
	s.add("Buy/NotSentReason", l.T(ConfirmationUsed)+"\n"+l.BuyNotSent(long, down), tryKB)
	s.add("Buy/NoPrice", l.BuyNoPrice(sceneOrder), nil)
	s.add("Buy/BadMaxPrice", l.BadMaxPrice(Cents(100_00)), nil)
	s.add("Buy/UnknownOffer", l.T(BuyUnknownOffer), nil)

	coupons := []Coupon{{Code: "SAVE10", Percentage: 10, TargetPay: "crypto"}, {Code: "CARD15", Percentage: 15, TargetPay: "card"}, {Code: "WELCOME5", Percentage: 5}}
	s.add("TopUp/Coupons", l.TopUp(Cents(500), time.Hour, "", true, coupons), payKeyboard(l))
	s.add("TopUp/WithCoupon", l.TopUp(Cents(1516), time.Hour, "SAVE10", true, nil), payKeyboard(l))
	s.add("TopUp/NotWatching", l.TopUp(Cents(1000_00), 14*time.Minute, "", false, nil), payKeyboard(l))
	s.add("TopUp/Failed", l.TopUpFailed(down), nil)
}

// payKeyboard is /topup's row of payment buttons (bot/shop.go).
func payKeyboard(l *Lang) *Keyboard {
	return Row(URLButton(l.T(ButtonPayCrypto), scenePayURL), URLButton(l.T(ButtonPayCard), scenePayURL))
}

// accountScenes: linking, the balance, logging out, the language.
func accountScenes(l *Lang, s *scenes) {
	bal := Balance{Amount: Cents(1516), TotalCharges: Cents(5000), DiscountRate: "-10%",
		Discounts: []DiscountTier{{From: Cents(0), Label: "0%"}, {From: Cents(4000), Label: "-10%"}, {From: Cents(6000), Label: "-15%"}}}
	s.add("Account/LoginOK", l.LoginOK(bal, sceneAccount), nil)
	s.add("Account/LoginOKResumed", l.LoginOK(Balance{Amount: Cents(16)}, sceneAccount)+l.Resumed(2), nil)
	s.add("Account/Balance", l.Balance(bal, sceneAccount), nil)
	s.add("Account/BalanceLarge", l.Balance(Balance{Amount: Cents(1000_00), DiscountRate: "-20%"}, sceneAccount), nil)
	s.add("Account/BalanceUnknown", l.Balance(Balance{}, sceneAccount), nil)
	s.add("Account/CheckKeyFailed", l.CheckKeyFailed(APIFailure{Kind: ErrorTransient}), nil)
	s.add("Account/LoggedOut", l.LoggedOutEnded(0), nil)
	for _, n := range scenePlurals {
		s.add("Account/LoggedOutEnded/"+strconv.Itoa(n), l.LoggedOutEnded(n), nil)
	}
	for _, n := range scenePlurals {
		s.add("Account/Resumed/"+strconv.Itoa(n), l.Resumed(n)[2:], nil)
	}
	for _, n := range scenePlurals {
		s.add("Account/WatchLimit/"+strconv.Itoa(n), l.WatchLimit(n), nil)
	}
	s.add("Account/LanguageAsk", l.T(LanguageAsk), LanguageKeyboard())
}

// replyScenes: /help and the command menu, the errors of each SMSOnline
// failure, the answers without values, toasts and durations.
func replyScenes(l *Lang, s *scenes) {
	s.add("Help", l.Help(sceneCommands), nil)
	menu := ""
	for _, c := range l.Commands(sceneCommands) {
		menu += "/" + c.Command + " — " + c.Description + "\n"
	}
	s.plain("Menu", menu[:len(menu)-1])

	for _, e := range []struct {
		name string
		f    APIFailure
	}{
		{"Unknown", APIFailure{Kind: ErrorUnknown}}, {"OrderNotFound", APIFailure{Kind: ErrorOrderNotFound}},
		{"BadCredentials", APIFailure{Kind: ErrorBadCredentials}}, {"RateLimited", APIFailure{Kind: ErrorRateLimited}},
		{"RateLimited3s", APIFailure{Kind: ErrorRateLimited, RetryAfter: 3 * time.Second}},
		{"RateLimited90s", APIFailure{Kind: ErrorRateLimited, RetryAfter: 90 * time.Second}},
		{"RateLimited1h5min", APIFailure{Kind: ErrorRateLimited, RetryAfter: time.Hour + 5*time.Minute}},
		{"Transient", APIFailure{Kind: ErrorTransient}}, {"Malformed", APIFailure{Kind: ErrorMalformed}},
		{"Rejected", APIFailure{Kind: ErrorRejected}}, {"InvalidInput", APIFailure{Kind: ErrorInvalidInput}},
	} {
		text, _ := l.APIError(e.f, sceneOrder)
		s.add("Error/"+e.name, text, nil)
	}
	s.add("Error/SlowDown", l.SlowDown(3*time.Second), nil)
	s.add("Error/SlowDown90s", l.SlowDown(90*time.Second), nil)
	s.add("Error/KeyUnreadable", l.T(KeyUnreadable), nil)

	s.add("Orders/NotWatching", l.NotWatching(sceneOrder), nil)
	s.add("Orders/Stopped", l.StoppedWatching(sceneOrder), nil)
	for _, id := range []Text{Unknown, NotAllowed, NeedLogin, LoginUsage, LoginBadInput, LoginRefused, LoginInGroup,
		LoginNotDeleted, NotLoggedIn, OrderUsage, StopUsage, BuyUsage, TopUpUsage, TopUpInGroup,
		TopUpBadAmount, BadCoupon, LanguageSet, LanguageUsage, LogoutWaiting, LoggedOutUnsettled, LoggingOut} {
		s.add("Reply/"+string(id), l.T(id), nil)
	}

	for _, id := range []Text{ToastUpdated, ToastWatching, ToastWatchingPrivate, ToastStopped, ToastLinkFirst,
		ToastSomethingWrong, ToastCancelled, ToastInProgress, ToastAsked, ToastDone, ToastNotDone, NotYourCard, ButtonExpired} {
		s.plain("Toast/"+string(id), l.T(id))
	}
	for _, d := range sceneDurations {
		s.plain("Toast/ToastTooManyTaps/"+d.name, l.ToastTooManyTaps(d.d))
	}
	for _, d := range sceneDurations {
		s.plain("Duration/"+d.name, l.Duration(d.d))
	}
}

// sceneDurations are the waits and times left the texts show.
var sceneDurations = []struct {
	name string
	d    time.Duration
}{
	{"3s", 3 * time.Second}, {"90s", 90 * time.Second}, {"14min", 14 * time.Minute},
	{"1h", time.Hour}, {"1h5min", time.Hour + 5*time.Minute},
}
