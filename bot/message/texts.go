package message

import (
	"fmt"
	"strings"
	"time"

	"github.com/smsbot/smsbot/smsapi"
)

const (
	Help = `👋 <b>Your SMS codes, straight to this chat.</b>

Rent a number on SMSOnline, send me the order id, and I show its status and send you the code the moment the SMS arrives. No more refreshing the page.

<b>1. Link your account</b> (in this private chat)
<code>/login &lt;userId&gt; &lt;apiKey&gt;</code>
Both values are on the SMSOnline website, in your account's API settings. I delete the message with your key right away and keep the key encrypted.

<b>2. Ask about an order</b>
<code>/order &lt;orderId&gt;</code>
I show the order and send you the code here the moment it arrives, even if that takes a while.

The buttons under an order do the rest: refund a number that got no SMS, ask for another SMS, or buy the same number again.

<b>More</b>
/orders – orders I'm watching
/stop &lt;orderId&gt; – stop watching an order
/buy – buy a number you rented before again
/balance – your SMSOnline balance
/topup &lt;dollars&gt; – top up your balance
/logout – unlink your account
/help – this message`

	Unknown         = "I didn't get that. Send /help to see what I can do."
	NotAllowed      = "Sorry, this bot is private."
	NeedLogin       = "First link your SMSOnline account: send <code>/login &lt;userId&gt; &lt;apiKey&gt;</code> to me in a private chat."
	LoginUsage      = "Send your SMSOnline user id and API key like this:\n<code>/login &lt;userId&gt; &lt;apiKey&gt;</code>\nBoth are on the SMSOnline website, in your account's API settings."
	LoginBadInput   = "That doesn't look like a user id and an API key. Send them like this:\n<code>/login &lt;userId&gt; &lt;apiKey&gt;</code>"
	LoginRefused    = "❌ SMSOnline refused this user id and API key, so I didn't save them. Check both and try again."
	LoginInGroup    = "🔒 Never post your API key in a group: everyone here could read it. I tried to delete the message; please <b>create a new API key</b> on SMSOnline now, then link it in a private chat with me."
	LoginNotDeleted = "⚠️ I couldn't delete your message with the key. Please delete it yourself."
	LoggedOut       = "👋 Your SMSOnline account is unlinked and I've forgotten your key."
	NotLoggedIn     = "No SMSOnline account is linked. Send /help to see how to link one."
	OrderUsage      = "Send the order id like this: <code>/order 20046875</code>"
	BadOrderID      = "That doesn't look like an order id. Order ids are letters and digits, like <code>20046875</code>."
	KeyRefused      = "🔑 SMSOnline refused your API key; it may have been changed or revoked. Link your account again with <code>/login &lt;userId&gt; &lt;apiKey&gt;</code>."
	APIDown         = "⚠️ SMSOnline isn't answering right now. Please try again in a minute."
	APIGarbled      = "⚠️ SMSOnline sent an answer I couldn't read. Please try again in a minute."
	APIRejected     = "⚠️ SMSOnline turned the request down. Please check the id and try again."
	KeyUnreadable   = "🔑 I can't read your saved API key any more (the bot's encryption key was changed). Please link your account again with /login."
	Internal        = "😕 Something went wrong on my side. Please try again in a minute."
)

// LoginOK confirms a linked account.
func LoginOK(b smsapi.Balance, userID string) string {
	return fmt.Sprintf("✅ Linked to SMSOnline account <code>%s</code>.\nBalance: <b>%s</b>\n\nNow send <code>/order &lt;orderId&gt;</code> to follow an order.",
		Field(userID), Money(b.Amount))
}

// Balance shows the linked account's balance, its discount and, when the
// account's top-ups are known, how much more earns the next discount.
func Balance(b smsapi.Balance, userID string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "💰 Balance: <b>%s</b>\nAccount <code>%s</code>", Money(b.Amount), Field(userID))
	if rate := strings.TrimSpace(b.DiscountRate); rate != "" {
		fmt.Fprintf(&sb, "\nDiscount: <b>%s</b>", Field(rate))
	}
	if next, ok := nextDiscount(b); ok {
		fmt.Fprintf(&sb, "\nTop up %s more for %s.", smsapi.Cents(next.From.Cents-b.TotalCharges.Cents), Field(next.Label))
	}
	return sb.String()
}

// nextDiscount is the tier with the lowest threshold above the account's
// total top-ups, if SMSOnline told both.
func nextDiscount(b smsapi.Balance) (smsapi.DiscountTier, bool) {
	var next smsapi.DiscountTier
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

// Money shows an amount as dollars, "$5.00"; one SMSOnline sent unreadably
// is "unknown" rather than a guess.
func Money(m smsapi.Money) string {
	if !m.Valid {
		return "unknown"
	}
	return m.String()
}

// RateLimited asks the user to wait, naming the delay when SMSOnline gave one.
func RateLimited(retryAfter time.Duration) string {
	if retryAfter <= 0 {
		return "⏳ SMSOnline asks us to slow down. Please try again in a minute."
	}
	return fmt.Sprintf("⏳ SMSOnline asks us to slow down. Please try again in %s.", Duration(retryAfter))
}

// OrderNotFound says the order is not on the user's account.
func OrderNotFound(orderID string) string {
	return fmt.Sprintf("🔍 I couldn't find order <code>%s</code> on your SMSOnline account. Please check the id.", Escape(orderID))
}

const (
	Watching              = "🔔 I'll send the code here the moment it arrives."
	WatchingMore          = "🔔 I'll send any new SMS for this order here."
	WatchingPrivately     = "🔔 I'll send the code to you in a private chat the moment it arrives."
	WatchingMorePrivately = "🔔 I'll send any new SMS for this order to you in a private chat."
	SentPrivately         = "🔒 I've sent the SMS to you in a private chat."
	NotYourCard           = "This card belongs to someone else"
	ButtonExpired         = "This button has expired. Send /order again."
	WatchFailed           = "⚠️ I couldn't start watching this order. Please send the command again."
	StopUsage             = "Send the order id like this: <code>/stop 20046875</code>\nSee the orders I'm watching with /orders."
	NoWatches             = "I'm not watching any orders. Send <code>/order &lt;orderId&gt;</code> and I'll send you its code when it arrives."
)

// WatchingFor is the card's line about a watch: codes go to the private
// chat whether or not the card is there.
func WatchingFor(hasSMS, private bool) string {
	switch {
	case hasSMS && private:
		return WatchingMore
	case hasSMS:
		return WatchingMorePrivately
	case private:
		return Watching
	}
	return WatchingPrivately
}

// PushPrivatelyFailed says a group card's SMS could not be sent on.
func PushPrivatelyFailed(orderID string) string {
	return fmt.Sprintf("⚠️ I couldn't send you the SMS. Ask me in a private chat: <code>/order %s</code>", Escape(orderID))
}

// WatchLimit says the per-user cap on watches is reached.
func WatchLimit(max int) string {
	return fmt.Sprintf("✋ You're already watching %d orders, the most I can follow for one account. Stop one with <code>/stop &lt;orderId&gt;</code> (see /orders).", max)
}
