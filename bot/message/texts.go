package message

import (
	"strings"
	"time"
)

// Text is the id of a message without placeholders, rendered with Lang.T.
type Text string

// The messages without placeholders; their words are in locales/.
const (
	Help            Text = "Help"
	Unknown         Text = "Unknown"
	NotAllowed      Text = "NotAllowed"
	NeedLogin       Text = "NeedLogin"
	LoginUsage      Text = "LoginUsage"
	LoginBadInput   Text = "LoginBadInput"
	LoginRefused    Text = "LoginRefused"
	LoginInGroup    Text = "LoginInGroup"
	LoginNotDeleted Text = "LoginNotDeleted"
	LoggedOut       Text = "LoggedOut"
	NotLoggedIn     Text = "NotLoggedIn"
	OrderUsage      Text = "OrderUsage"
	BadOrderID      Text = "BadOrderID"
	KeyRefused      Text = "KeyRefused"
	APIDown         Text = "APIDown"
	APIGarbled      Text = "APIGarbled"
	APIRejected     Text = "APIRejected"
	KeyUnreadable   Text = "KeyUnreadable"
	Internal        Text = "Internal"

	Watching              Text = "Watching"
	WatchingMore          Text = "WatchingMore"
	WatchingPrivately     Text = "WatchingPrivately"
	WatchingMorePrivately Text = "WatchingMorePrivately"
	SentPrivately         Text = "SentPrivately"
	NotYourCard           Text = "NotYourCard"
	ButtonExpired         Text = "ButtonExpired"
	WatchFailed           Text = "WatchFailed"
	StopUsage             Text = "StopUsage"
	NoWatches             Text = "NoWatches"
	WatchesPaused         Text = "WatchesPaused"

	ButtonRefresh      Text = "ButtonRefresh"
	ButtonStop         Text = "ButtonStop"
	ButtonSendCode     Text = "ButtonSendCode"
	ButtonCopyCode     Text = "ButtonCopyCode"
	ButtonAnotherSMS   Text = "ButtonAnotherSMS"
	ButtonBuyAgain     Text = "ButtonBuyAgain"
	ButtonYesRefund    Text = "ButtonYesRefund"
	ButtonNo           Text = "ButtonNo"
	ButtonBuy          Text = "ButtonBuy"
	ButtonCancel       Text = "ButtonCancel"
	ButtonTryAgain     Text = "ButtonTryAgain"
	ButtonNewNumber    Text = "ButtonNewNumber"
	ButtonYesNewNumber Text = "ButtonYesNewNumber"
	ButtonKeep         Text = "ButtonKeep"
	ButtonChainStop    Text = "ButtonChainStop"
	ButtonKeepTrying   Text = "ButtonKeepTrying"
	ButtonStopTrying   Text = "ButtonStopTrying"
	StockStopTooLate   Text = "StockStopTooLate"
	ButtonPayCrypto    Text = "ButtonPayCrypto"
	ButtonPayCard      Text = "ButtonPayCard"

	ButtonFavourite       Text = "ButtonFavourite"
	ButtonUnfavourite     Text = "ButtonUnfavourite"
	ButtonFavouriteRemove Text = "ButtonFavouriteRemove"
	ToastFavouriteAdded   Text = "ToastFavouriteAdded"
	ToastFavouriteRemoved Text = "ToastFavouriteRemoved"
	ToastFavouriteGone    Text = "ToastFavouriteGone"
	FavouritesFooter      Text = "FavouritesFooter"

	ToastUpdated         Text = "ToastUpdated"
	ToastWatching        Text = "ToastWatching"
	ToastWatchingPrivate Text = "ToastWatchingPrivate"
	ToastStopped         Text = "ToastStopped"
	ToastLinkFirst       Text = "ToastLinkFirst"
	ToastSomethingWrong  Text = "ToastSomethingWrong"
	ToastCancelled       Text = "ToastCancelled"
	ToastInProgress      Text = "ToastInProgress"
	ToastAsked           Text = "ToastAsked"
	ToastDone            Text = "ToastDone"
	ToastNotDone         Text = "ToastNotDone"
	ToastSaved           Text = "ToastSaved"
	ToastKept            Text = "ToastKept"
	ToastKeepNotWatched  Text = "ToastKeepNotWatched"
	ToastNothingToStop   Text = "ToastNothingToStop"

	BuyUnknownOffer Text = "BuyUnknownOffer"
	BuyUsage        Text = "BuyUsage"
	NothingBought   Text = "NothingBought"
	TopUpUsage      Text = "TopUpUsage"
	TopUpInGroup    Text = "TopUpInGroup"
	TopUpBadAmount  Text = "TopUpBadAmount"
	BadCoupon       Text = "BadCoupon"

	ConfirmationUsed   Text = "ConfirmationUsed"
	LogoutWaiting      Text = "LogoutWaiting"
	LoggedOutUnsettled Text = "LoggedOutUnsettled"
	LoggingOut         Text = "LoggingOut"

	HelpOrders     Text = "HelpOrders"
	HelpStop       Text = "HelpStop"
	HelpBuy        Text = "HelpBuy"
	HelpBalance    Text = "HelpBalance"
	HelpTopUp      Text = "HelpTopUp"
	HelpSettings   Text = "HelpSettings"
	HelpFavourites Text = "HelpFavourites"
	HelpLanguage   Text = "HelpLanguage"
	HelpLogout     Text = "HelpLogout"
	HelpHelp       Text = "HelpHelp"

	CommandOrder      Text = "CommandOrder"
	CommandOrders     Text = "CommandOrders"
	CommandStop       Text = "CommandStop"
	CommandBuy        Text = "CommandBuy"
	CommandBalance    Text = "CommandBalance"
	CommandTopUp      Text = "CommandTopUp"
	CommandSettings   Text = "CommandSettings"
	CommandFavourites Text = "CommandFavourites"
	CommandLanguage   Text = "CommandLanguage"
	CommandLogin      Text = "CommandLogin"
	CommandLogout     Text = "CommandLogout"
	CommandHelp       Text = "CommandHelp"

	LanguageAsk   Text = "LanguageAsk"
	LanguageSet   Text = "LanguageSet"
	LanguageUsage Text = "LanguageUsage"

	CommandHistory      Text = "CommandHistory"
	HelpHistory         Text = "HelpHistory"
	HistoryInGroup      Text = "HistoryInGroup"
	HistoryEmpty        Text = "HistoryEmpty"
	HistoryTitle        Text = "HistoryTitle"
	ButtonHistoryNewer  Text = "ButtonHistoryNewer"
	ButtonHistoryOlder  Text = "ButtonHistoryOlder"
	ButtonExportCSV     Text = "ButtonExportCSV"
	ToastExported       Text = "ToastExported"
	ToastHistoryPrivate Text = "ToastHistoryPrivate"
)

// LoginOK confirms a linked account.
func (l *Lang) LoginOK(b Balance, userID string) string {
	return l.t("LoginOK", args{"Account": Field(userID), "Balance": l.Money(b.Amount)})
}

// Balance shows the linked account's balance, its discount and, when the
// account's top-ups are known, how much more earns the next discount.
func (l *Lang) Balance(b Balance, userID string) string {
	lines := []string{l.t("BalanceLine", args{"Balance": l.Money(b.Amount), "Account": Field(userID)})}
	if rate := strings.TrimSpace(b.DiscountRate); rate != "" {
		lines = append(lines, l.t("DiscountLine", args{"Discount": Field(rate)}))
	}
	if next, ok := nextDiscount(b); ok {
		lines = append(lines, l.t("NextDiscountLine", args{
			"Amount": l.amount(Cents(next.From.Cents - b.TotalCharges.Cents)), "Discount": Field(next.Label),
		}))
	}
	return strings.Join(lines, "\n")
}

// nextDiscount is the tier with the lowest threshold above the account's
// total top-ups, if SMSOnline told both.
func nextDiscount(b Balance) (DiscountTier, bool) {
	var next DiscountTier
	found := false
	for _, t := range b.Discounts {
		if !t.From.Valid || !b.TotalCharges.Valid || t.From.Cents <= b.TotalCharges.Cents || strings.TrimSpace(t.Label) == "" {
			continue
		}
		if !found || t.From.Cents < next.From.Cents {
			next, found = t, true
		}
	}
	return next, found
}

// Money shows an amount as dollars, "$5.00", its thousands grouped as l
// groups them ("$1,000.00"; in Russian "$1 000.00", where a comma would read
// as a decimal mark); one SMSOnline sent unreadably is "unknown" rather than
// a guess.
func (l *Lang) Money(m Money) string {
	if !m.Valid {
		return l.t("MoneyUnknown", nil)
	}
	return l.amount(m)
}

// amount is Money for an amount known to be valid; "" when it is not.
func (l *Lang) amount(m Money) string { return m.format(l.thousands) }

// RateLimited asks the user to wait, naming the delay when SMSOnline gave one.
func (l *Lang) RateLimited(retryAfter time.Duration) string {
	if retryAfter <= 0 {
		return l.t("RateLimited", nil)
	}
	return l.t("RateLimitedFor", args{"Wait": l.Wait(retryAfter)})
}

// OrderNotFound says the order is not on the user's account.
func (l *Lang) OrderNotFound(orderID string) string {
	return l.t("OrderNotFound", args{"Order": Escape(orderID)})
}

// WatchingFor is the card's line about a watch: codes go to the private
// chat whether or not the card is there.
func (l *Lang) WatchingFor(hasSMS, private bool) string {
	switch {
	case hasSMS && private:
		return l.T(WatchingMore)
	case hasSMS:
		return l.T(WatchingMorePrivately)
	case private:
		return l.T(Watching)
	}
	return l.T(WatchingPrivately)
}

// PushPrivatelyFailed says a group card's SMS could not be sent on.
func (l *Lang) PushPrivatelyFailed(orderID string) string {
	return l.t("PushPrivatelyFailed", args{"Order": Escape(orderID)})
}

// WatchLimit says the per-user cap on watches is reached.
func (l *Lang) WatchLimit(max int) string { return l.n("WatchLimit", max, nil) }
