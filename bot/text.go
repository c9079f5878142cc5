package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Every message the bot sends is HTML (parse mode "HTML"). Text that comes from
// a user or from SMSOnline goes through esc, so Telegram never rejects a message
// with "can't parse entities" and nobody can inject markup.

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// esc escapes s for Telegram's HTML parse mode.
func esc(s string) string { return htmlEscaper.Replace(s) }

// maxFieldUnits caps one API-provided value inside a message, so a garbage
// answer cannot push a message over Telegram's 4096-character limit. It counts
// UTF-16 code units, as Telegram does: an emoji takes two.
const maxFieldUnits = 300

// maxMessageUnits is Telegram's limit on a message's text, in UTF-16 units.
const maxMessageUnits = 4096

// field escapes an API-provided value for a message, shortened by clip.
func field(s string) string { return esc(clip(s)) }

// clip trims an API-provided value and shortens it to maxFieldUnits UTF-16
// units and an ellipsis. It is the one cap on such values, for what the bot
// shows and for what it stores (a watch's snapshot): a 300 KB service name
// must not make a 300 KB row. clip(clip(s)) == clip(s), so a stored value is
// shown unchanged.
func clip(s string) string {
	s = strings.TrimSpace(s)
	units := 0
	for i, c := range s {
		if units += utf16.RuneLen(c); units > maxFieldUnits {
			return s[:i] + "…"
		}
	}
	return s
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, c := range s {
		n += utf16.RuneLen(c)
	}
	return n
}

const (
	textHelp = `👋 <b>Your SMS codes, straight to this chat.</b>

Rent a number on SMSOnline, send me the order id, and I show its status and send you the code the moment the SMS arrives. No more refreshing the page.

<b>1. Link your account</b> (in this private chat)
<code>/login &lt;userId&gt; &lt;apiKey&gt;</code>
Both values are on the SMSOnline website, in your account's API settings. I delete the message with your key right away and keep the key encrypted.

<b>2. Ask about an order</b>
<code>/order &lt;orderId&gt;</code>
I show the order and send you the code here the moment it arrives, even if that takes a while.

<b>More</b>
/orders – orders I'm watching
/stop &lt;orderId&gt; – stop watching an order
/balance – your SMSOnline balance
/logout – unlink your account
/help – this message`

	textUnknown         = "I didn't get that. Send /help to see what I can do."
	textNotAllowed      = "Sorry, this bot is private."
	textNeedLogin       = "First link your SMSOnline account: send <code>/login &lt;userId&gt; &lt;apiKey&gt;</code> to me in a private chat."
	textLoginUsage      = "Send your SMSOnline user id and API key like this:\n<code>/login &lt;userId&gt; &lt;apiKey&gt;</code>\nBoth are on the SMSOnline website, in your account's API settings."
	textLoginBadInput   = "That doesn't look like a user id and an API key. Send them like this:\n<code>/login &lt;userId&gt; &lt;apiKey&gt;</code>"
	textLoginRefused    = "❌ SMSOnline refused this user id and API key, so I didn't save them. Check both and try again."
	textLoginInGroup    = "🔒 Never post your API key in a group: everyone here could read it. I tried to delete the message; please <b>create a new API key</b> on SMSOnline now, then link it in a private chat with me."
	textLoginNotDeleted = "⚠️ I couldn't delete your message with the key. Please delete it yourself."
	textLoggedOut       = "👋 Your SMSOnline account is unlinked and I've forgotten your key."
	textNotLoggedIn     = "No SMSOnline account is linked. Send /help to see how to link one."
	textOrderUsage      = "Send the order id like this: <code>/order 20046875</code>"
	textBadOrderID      = "That doesn't look like an order id. Order ids are letters and digits, like <code>20046875</code>."
	textKeyRefused      = "🔑 SMSOnline refused your API key; it may have been changed or revoked. Link your account again with <code>/login &lt;userId&gt; &lt;apiKey&gt;</code>."
	textAPIDown         = "⚠️ SMSOnline isn't answering right now. Please try again in a minute."
	textAPIGarbled      = "⚠️ SMSOnline sent an answer I couldn't read. Please try again in a minute."
	textAPIRejected     = "⚠️ SMSOnline turned the request down. Please check the id and try again."
	textKeyUnreadable   = "🔑 I can't read your saved API key any more (the bot's encryption key was changed). Please link your account again with /login."
	textInternal        = "😕 Something went wrong on my side. Please try again in a minute."
)

// textLoginOK confirms a linked account.
func textLoginOK(b smsapi.Balance, userID string) string {
	return fmt.Sprintf("✅ Linked to SMSOnline account <code>%s</code>.\nBalance: <b>%s</b>\n\nNow send <code>/order &lt;orderId&gt;</code> to follow an order.",
		field(userID), field(b.Amount))
}

// textBalance shows the linked account's balance.
func textBalance(b smsapi.Balance, userID string) string {
	return fmt.Sprintf("💰 Balance: <b>%s</b>\nAccount <code>%s</code>", field(b.Amount), field(userID))
}

// textRateLimited asks the user to wait, naming the delay when SMSOnline gave one.
func textRateLimited(retryAfter time.Duration) string {
	if retryAfter <= 0 {
		return "⏳ SMSOnline asks us to slow down. Please try again in a minute."
	}
	return fmt.Sprintf("⏳ SMSOnline asks us to slow down. Please try again in %s.", humanDuration(retryAfter))
}

// textOrderNotFound says the order is not on the user's account.
func textOrderNotFound(orderID string) string {
	return fmt.Sprintf("🔍 I couldn't find order <code>%s</code> on your SMSOnline account. Please check the id.", esc(orderID))
}

// orderCard renders an order: what was rented, its status, the time left and,
// once an SMS arrived, the code in <code> so it copies on tap.
func orderCard(o smsapi.Order, now time.Time) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "📦 <b>Order %s</b>\n", field(o.ID))
	line := func(label, value string) {
		if strings.TrimSpace(value) != "" {
			fmt.Fprintf(&sb, "%s: %s\n", label, value)
		}
	}
	line("Service", field(o.Service))
	line("Country", field(o.Country))
	line("Carrier", field(o.Carrier))
	if p := strings.TrimSpace(o.PhoneNumber); p != "" {
		line("Number", "<code>"+field(p)+"</code>")
	}
	line("Price", field(o.Price))
	line("Status", statusLabel(o))
	if o.State() == smsapi.StateWaiting {
		line("Time left", timeLeft(o.ExpiresAt, now))
	}
	if o.HasSMS() {
		sb.WriteString("\n")
		sb.WriteString(smsBlock(o.SMS))
	}
	return strings.TrimRight(sb.String(), "\n")
}

// smsBlock shows the code prominently and, when the SMS says more than the
// code, the full text below it.
func smsBlock(sms string) string {
	code := extractCode(sms)
	if code == "" {
		return fmt.Sprintf("💬 SMS: <code>%s</code>", field(sms))
	}
	block := fmt.Sprintf("🔑 Code: <code>%s</code>", code)
	if strings.TrimSpace(sms) != code {
		block += fmt.Sprintf("\n💬 SMS: <i>%s</i>", field(sms))
	}
	return block
}

// statusLabel words the order's state for people; an unknown status word is
// shown as SMSOnline gave it.
func statusLabel(o smsapi.Order) string {
	switch o.State() {
	case smsapi.StateReceived:
		return "✅ SMS received"
	case smsapi.StateFinal:
		return "❌ " + field(strings.ToLower(o.Status))
	}
	if s := strings.TrimSpace(o.Status); s != "" && !isWaitingWord(s) {
		return "⏳ " + field(s)
	}
	return "⏳ Waiting for SMS"
}

// isWaitingWord reports whether an API status word just means "no SMS yet", so
// the card says that in plain words instead.
func isWaitingWord(s string) bool {
	switch strings.ToLower(s) {
	case "waiting", "pending", "active", "wait", "ordered":
		return true
	}
	return false
}

// timeLeft says how long the number stays rented.
func timeLeft(expires, now time.Time) string {
	if expires.IsZero() {
		return ""
	}
	left := expires.Sub(now)
	if left <= 0 {
		return "expired"
	}
	return humanDuration(left)
}

// humanDuration renders a duration the way people say it: "14 min", "45 s",
// "1 h 5 min".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	default:
		h := int(d.Hours())
		m := int((d - time.Duration(h)*time.Hour).Minutes())
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
}

const (
	textWatching              = "🔔 I'll send the code here the moment it arrives."
	textWatchingMore          = "🔔 I'll send any new SMS for this order here."
	textWatchingPrivately     = "🔔 I'll send the code to you in a private chat the moment it arrives."
	textWatchingMorePrivately = "🔔 I'll send any new SMS for this order to you in a private chat."
	textSentPrivately         = "🔒 I've sent the SMS to you in a private chat."
	textNotYourCard           = "This card belongs to someone else"
	textButtonExpired         = "This button has expired. Send /order again."
	textWatchFailed           = "⚠️ I couldn't start watching this order. Please send the command again."
	textStopUsage             = "Send the order id like this: <code>/stop 20046875</code>\nSee the orders I'm watching with /orders."
	textNoWatches             = "I'm not watching any orders. Send <code>/order &lt;orderId&gt;</code> and I'll send you its code when it arrives."
)

// textWatchingFor is the card's line about a watch: codes go to the private
// chat whether or not the card is there.
func textWatchingFor(hasSMS, private bool) string {
	switch {
	case hasSMS && private:
		return textWatchingMore
	case hasSMS:
		return textWatchingMorePrivately
	case private:
		return textWatching
	}
	return textWatchingPrivately
}

// textPushPrivatelyFailed says a group card's SMS could not be sent on.
func textPushPrivatelyFailed(orderID string) string {
	return fmt.Sprintf("⚠️ I couldn't send you the SMS. Ask me in a private chat: <code>/order %s</code>", esc(orderID))
}

// textWatchLimit says the per-user cap on watches is reached.
func textWatchLimit(max int) string {
	return fmt.Sprintf("✋ You're already watching %d orders, the most I can follow for one account. Stop one with <code>/stop &lt;orderId&gt;</code> (see /orders).", max)
}

// watchList renders /orders: each watched order with its service, status and
// time left.
func watchList(watches []store.Watch, now time.Time) string {
	if len(watches) == 0 {
		return textNoWatches
	}
	const footer = "\n\nStop one with <code>/stop &lt;orderId&gt;</code>."
	var sb strings.Builder
	fmt.Fprintf(&sb, "🔔 <b>Orders I'm watching</b> (%d)\n", len(watches))
	// room is what the lines may take, counted with their markup (which only
	// errs on the short side), keeping space for the "and N more" line. The
	// first line always fits: its fields are capped.
	room := maxMessageUnits - utf16Len(sb.String()) - utf16Len(footer) - 32
	for i, w := range watches {
		parts := []string{}
		if s := strings.TrimSpace(w.Service); s != "" {
			parts = append(parts, field(s))
		}
		if w.State == store.WatchPaused {
			parts = append(parts, "⏸ paused until you /login again")
		} else {
			status := "waiting for SMS"
			if s := strings.TrimSpace(w.Status); s != "" && !isWaitingWord(s) {
				status = field(s)
			}
			parts = append(parts, status)
			if left := timeLeft(w.ExpiresAt, now); left != "" {
				if left != "expired" {
					left += " left"
				}
				parts = append(parts, left)
			}
		}
		line := fmt.Sprintf("\n• <code>%s</code> %s", esc(w.OrderID), strings.Join(parts, " · "))
		if room -= utf16Len(line); room < 0 && i > 0 {
			fmt.Fprintf(&sb, "\n… and %d more", len(watches)-i)
			break
		}
		sb.WriteString(line)
	}
	sb.WriteString(footer)
	return sb.String()
}
