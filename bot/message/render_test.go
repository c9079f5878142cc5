package message

import (
	"strings"
	"testing"
	"time"
)

// TestEveryTextRendersInEveryLanguage renders each text the bot sends, in
// each language, with hostile values where SMSOnline's or a user's words
// go: each must be HTML Telegram takes, within its length limit, and found
// in the catalogue.
func TestEveryTextRendersInEveryLanguage(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	hostile := `<b>Disc&ord</b> "x"`
	order := Order{
		ID: "20046875", Service: hostile, Country: "United <States>", Carrier: "any", PhoneNumber: "1234567890",
		Price: Cents(16), Status: "pending", ExpiresAt: now.Add(14 * time.Minute),
	}
	got := order
	got.Status, got.State, got.SMS = "completed", StateReceived, "Your code is 123456 <don't share>"
	ended := order
	ended.Status, ended.State = "refunded", StateFinal
	bal := Balance{Amount: Cents(1234), DiscountRate: "5%", TotalCharges: Cents(2000),
		Discounts: []DiscountTier{{From: Cents(5000), Label: "-15%"}}}
	w := Watch{Owner: 7, OrderID: "20046875", Service: hostile, ExpiresAt: now.Add(time.Hour)}
	watches := []Watch{w, {OrderID: "2", Paused: true}, {OrderID: "3", Status: "expired", ExpiresAt: now.Add(-time.Minute)}}
	coupons := []Coupon{{Code: "SAVE10", Percentage: 10, TargetPay: "crypto"}}
	offer := English.Offer(hostile, "US", "tmobile")
	apiErr := APIFailure{Kind: ErrorRateLimited, RetryAfter: 90 * time.Second}

	for _, l := range languages {
		texts := map[string]string{}
		for _, id := range []Text{Help, Unknown, NotAllowed, NeedLogin, LoginUsage, LoginBadInput, LoginRefused, LoginInGroup,
			LoginNotDeleted, LoggedOut, NotLoggedIn, OrderUsage, BadOrderID, KeyRefused, APIDown, APIGarbled, APIRejected,
			KeyUnreadable, Internal, Watching, WatchingMore, WatchingPrivately, WatchingMorePrivately, SentPrivately,
			WatchFailed, StopUsage, NoWatches, WatchesPaused, BuyUnknownOffer, BuyUsage, NothingBought, TopUpUsage,
			TopUpInGroup, TopUpBadAmount, BadCoupon, LanguageAsk, LanguageSet, LanguageUsage, ConfirmationUsed,
			LogoutWaiting, LoggedOutUnsettled, LoggingOut} {
			texts[string(id)] = l.T(id)
		}
		push, _ := l.Push(w, got, now)
		list, _ := l.BuyList(7, []BuyEntry{{OrderID: "1", Service: hostile, Country: "US", Price: Cents(16)}})
		checkErr, _ := l.APIError(apiErr, "1")
		for name, text := range map[string]string{
			"LoginOK": l.LoginOK(bal, "u<1>"), "Balance": l.Balance(bal, "u1"), "RateLimited": l.RateLimited(0),
			"RateLimitedFor": checkErr, "OrderNotFound": l.OrderNotFound("1"), "PushPrivatelyFailed": l.PushPrivatelyFailed("1"),
			"WatchLimit": l.WatchLimit(50), "SlowDown": l.SlowDown(3 * time.Second), "NotWatching": l.NotWatching("1"),
			"StoppedWatching": l.StoppedWatching("1"), "Resumed": l.Resumed(3), "LoggedOutEnded": l.LoggedOutEnded(2),
			"CheckKeyFailed": l.CheckKeyFailed(APIFailure{}), "Card": l.Card(order, now), "CardSMS": l.Card(got, now),
			"CardEnded": l.Card(ended, now), "WatchList": l.WatchList(watches, now), "Push": push,
			"OrderExpired": l.OrderExpired("1", hostile), "OrderEnded": l.OrderEnded("1", hostile, "cancelled"),
			"WatchedOrderGone": l.WatchedOrderGone("1"), "WatchGaveUp": l.WatchGaveUp("1"),
			"RefundAsk": l.RefundAsk("1", Cents(16)), "RefundAskNoPrice": l.RefundAsk("1", Money{}),
			"RefundDone": l.RefundDone("1", Cents(16), Cents(1516)), "RefundDoneNoPrice": l.RefundDone("1", Money{}, Money{}),
			"RefundAfterSMS": l.RefundAfterSMS("1"), "RefundClosed": l.RefundClosed("1", "expired"), "RefundPending": l.RefundPending("1"),
			"RefundFailed": l.RefundFailed("1", l.T(APIDown)), "RefundNotDone": l.RefundNotDone("1"),
			"AnotherSMSAsked": l.AnotherSMSAsked("1", true), "AnotherSMSAskedPrivately": l.AnotherSMSAsked("1", false),
			"AnotherSMSNotYet": l.AnotherSMSNotYet("1"), "AnotherSMSClosed": l.AnotherSMSClosed("1"),
			"AnotherSMSFailed": l.AnotherSMSFailed("1", l.T(APIDown)), "BuyAsk": l.BuyAsk(offer, "1", Cents(20)),
			"BuyPriceChanged": l.BuyPriceChanged(offer, Cents(30)), "BuyOutOfStock": l.BuyOutOfStock(offer),
			"LowBalance": l.LowBalance(Money{}, Cents(16)), "LowBalanceKnown": l.LowBalance(Cents(5), Cents(16)),
			"BuyPending": l.BuyPending(offer), "BuyFailed": l.BuyFailed(offer, l.T(APIDown)), "BuyNotDone": l.BuyNotDone(offer),
			"BuyNoPrice": l.BuyNoPrice("1"), "BuyPriceUnknown": l.BuyPriceUnknown("1"), "Bought": l.Bought(order, now, true), "BoughtInGroup": l.Bought(order, now, false),
			"BadMaxPrice": l.BadMaxPrice(Cents(100_00)), "BuyList": list, "TopUp": l.TopUp(Cents(500), time.Hour, "", true, coupons),
			"TopUpCoupon": l.TopUp(Cents(1250), time.Hour, "SAVE10", false, nil), "TopUpFailed": l.TopUpFailed(l.T(APIDown)),
			"BalanceArrived": l.BalanceArrived(Cents(500), Cents(1734)),
			"BuyNotSent":     l.BuyNotSent(offer, l.T(APIDown)), "BuyNotSentBare": l.BuyNotSent(offer, ""),
			"RefundNotSent": l.RefundNotSent("1", ""), "RefundUnconfirmed": l.RefundUnconfirmed("1", Cents(1516)),
			"RefundUnconfirmedNoBalance": l.RefundUnconfirmed("1", Money{}), "AnotherSMSAlready": l.AnotherSMSAlready("1"),
			"RefundFailedBare": l.RefundFailed("1", ""), "BuyFailedBare": l.BuyFailed(offer, ""),
		} {
			texts[name] = text
		}
		for name, text := range texts {
			if strings.Contains(text, "⚠️ "+name) || strings.Contains(text, "{{") {
				t.Errorf("%s %s did not render: %q", l.Tag, name, text)
			}
			checkMessage(t, l.Tag+" "+name, text, true, true)
		}
		for _, label := range []string{l.T(ButtonRefresh), l.ButtonRefund(Cents(16)), l.ToastTooManyTaps(time.Second)} {
			if strings.TrimSpace(label) == "" || strings.Contains(label, "⚠️") {
				t.Errorf("%s: label %q", l.Tag, label)
			}
		}
		cmds := []Command{{Name: "order", Menu: CommandOrder}, {Name: "stop", Args: "<orderId>", Menu: CommandStop, Help: HelpStop},
			{Name: "help", Menu: CommandHelp, Help: HelpHelp}}
		texts["HelpList"] = l.Help(cmds)
		checkMessage(t, l.Tag+" HelpList", texts["HelpList"], true, true)
		for _, c := range l.Commands(cmds) {
			if c.Description == "" || len([]rune(c.Description)) > 256 {
				t.Errorf("%s: /%s description %q", l.Tag, c.Command, c.Description)
			}
		}
		if l.Tag != "en" && texts["Help"] == English.T(Help) {
			t.Errorf("%s: help is the English one", l.Tag)
		}
	}
}
