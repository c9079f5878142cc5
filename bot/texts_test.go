package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// What the tests expect a user to see, rendered by the catalogue
// (message.English unless a test speaks another language), and the
// helpers that look for it in the fake Telegram's messages.

var en = message.English

// firstLine is the first line of a text: enough to tell which catalogue it
// came from.
func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// assertContains fails the test for each want that text lacks.
func assertContains(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("message lacks %q:\n%s", w, text)
		}
	}
}

// join is labels as the tests compare them: joined with "|".
func join(labels ...string) string { return strings.Join(labels, "|") }

// countContaining counts the messages whose text contains want.
func countContaining(msgs []telegramtest.SentMessage, want string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// cardTitle is the first line of the card of order id, in l.
func cardTitle(l *message.Lang, id string) string {
	return firstLine(l.Card(message.Order{ID: id}, time.Time{}))
}

// boughtTitle is the first line of the card of a number just bought.
func boughtTitle() string { return firstLine(en.Bought(message.Order{}, time.Time{}, true)) }

// pushTitle is the first line of a push about orderID, in l.
func pushTitle(l *message.Lang, orderID string) string {
	text, _ := l.Push(message.Watch{OrderID: orderID}, message.Order{SMS: "1"}, time.Now())
	return firstLine(text)
}

// cardLines are the lines of the card of the fake's order o, in state s,
// except the time left (which depends on when it is rendered): each of them
// is a line of the card the bot shows.
func cardLines(o smsapitest.Order, s message.State) []string {
	card := en.Card(message.Order{
		ID: o.ID, Service: o.Service, Country: o.Country, Carrier: o.Carrier, PhoneNumber: o.PhoneNumber,
		Price: message.Cents(o.Price), Status: o.Status, State: s, SMS: o.SMS,
	}, time.Time{})
	return strings.Split(card, "\n")
}

// textBefore is what a text says before value: the wording of a text whose
// value (a wait, a time left) a test cannot know exactly.
func textBefore(text, value string) string {
	b, _, _ := strings.Cut(text, value)
	return b
}

// lastLine is the last line of a text.
func lastLine(s string) string { return s[strings.LastIndex(s, "\n")+1:] }

// timeLeftLabel is the start of a card's time-left line, before the time.
func timeLeftLabel() string {
	now := time.Now()
	card := en.Card(message.Order{ID: "1", ExpiresAt: now.Add(time.Hour)}, now)
	return textBefore(lastLine(card), en.Duration(time.Hour))
}

// activeForLabel is the start of a push's last line, before the time the
// number stays active.
func activeForLabel() string {
	now := time.Now()
	push, _ := en.Push(message.Watch{OrderID: "1"}, message.Order{SMS: "1", ExpiresAt: now.Add(time.Hour)}, now)
	return textBefore(lastLine(push), en.Duration(time.Hour))
}

// discordOffer is the name of what smsapitest.NewOrder rents, as a purchase
// shows it.
func discordOffer() string { return en.Offer("Discord", "United States", "any") }

// balance is the balance of cents, as a text shows it.
func balance(cents int64) message.Balance { return message.Balance{Amount: message.Cents(cents)} }

// assertNothingContains fails if any message sent to chat contains text.
func assertNothingContains(t *testing.T, tg *telegramtest.Server, chatID int64, text string) {
	t.Helper()
	for _, m := range tg.SentTo(chatID) {
		if strings.Contains(m.Text, text) {
			t.Errorf("chat %d got %q:\n%s", chatID, text, m.Text)
		}
	}
	for _, e := range tg.Edits() {
		if e.ChatID == chatID && strings.Contains(e.Text, text) {
			t.Errorf("a message in chat %d was edited to show %q:\n%s", chatID, text, e.Text)
		}
	}
}
