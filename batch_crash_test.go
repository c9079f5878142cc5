package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// Several numbers at once through SIGKILL: the built binary buys Alice's
// "/buy 555 0.20 5" and is killed while the fake SMSOnline holds the
// purchase of number 3, then started again on its database. Numbers 1 and
// 2 stay bought and watched, number 3 is settled by the reconciler and
// never bought again, 4 and 5 are never bought, and Alice is told the
// batch was cut with what it bought.

const (
	batchCount = 5
	batchMax   = 20 // cents: the confirmed ceiling of each number
	batchHeld  = 3  // the number whose purchase the kill cuts
	// batchQuiet is how long nothing may be bought once all was told: a
	// few of the reconciler's rounds (one a second), in which a batch
	// going on after the restart would show.
	batchQuiet = 3 * time.Second
)

// batchOrders are the orders the fake sells the batch, numbers 1 to 3.
var batchOrders = []string{"30000001", "30000002", "30000003"}

// TestBatchThroughKill kills the bot while number 3's PUT is held, in its
// two outcomes: SMSOnline bought the number and holds its answer, or holds
// the request before carrying it out.
func TestBatchThroughKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	for _, tc := range []struct {
		name   string
		hold   smsapitest.Fault // on number 3's PUT
		bought bool             // SMSOnline carried number 3 out
	}{
		{"number 3 bought, its answer held", smsapitest.Fault{Match: "buy", DelayAfter: time.Minute, Times: 1}, true},
		{"number 3 held before it was carried out", smsapitest.Fault{Match: "buy", Delay: time.Minute, Times: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newBatchBot(t)
			// Numbers 1 and 2 are bought as usual (a fault that changes
			// nothing takes their PUTs); number 3's is held.
			c.sms.InjectFault(smsapitest.Fault{Match: "buy", Times: batchHeld - 1})
			c.sms.InjectFault(tc.hold)
			ask, buy := c.askBatch()
			c.tg.PressButton(c.user, telegramtest.PrivateChat(c.user), ask.MessageID, buy)
			c.waitHeld("buy", 1)
			c.kill()
			// The fake records the held PUT once it notices the bot went away.
			c.tg.WaitFor(t, 10*time.Second, func() bool { return len(c.sms.Buys(chainSMSUser)) >= batchHeld })
			if n := len(c.sms.Buys(chainSMSUser)); n != batchHeld {
				t.Fatalf("%d purchase requests when the bot died, want %d", n, batchHeld)
			}
			if !tc.bought {
				// Nothing in the inventory shows number 3: the reconciler
				// says so only after its reads of three minutes (18, 10 s
				// apart). As if it had made them all: its next read, the
				// first after the start, is its last.
				nonce := strings.TrimPrefix(buy, message.ActBuy+":")
				c.exec(`UPDATE money_actions SET checks = 1000 WHERE key = ? AND state = 'sent'`,
					store.BatchItemKey(nonce, batchHeld))
			}
			c.start()

			// Told at the start: 2 of 5 bought, number 3 being checked.
			cut := en.Batch(batchOffer(), batchCount, batchItems(c, 2, true), message.BatchCut, 0, message.WhyNone)
			c.waitSent(cut)
			bought := 2
			third := en.BuyNotDone(batchOffer())
			if tc.bought {
				bought, third = 3, boughtCard(batchOrders[2])
			}
			c.waitSent(third)
			// Every number bought is watched: its code comes.
			for i, id := range batchOrders[:bought] {
				code := fmt.Sprintf("70060%d", i+1)
				c.sms.DeliverSMS(chainSMSUser, id, "Your code is "+code)
				c.waitSent("<code>" + code + "</code>")
			}

			// The Buy button pressed again buys nothing: it shows what the
			// batch bought.
			again := en.T(message.ConfirmationUsed) + "\n" +
				en.Batch(batchOffer(), batchCount, batchItems(c, bought, false), message.BatchCut, 0, message.WhyNone)
			before := c.editsTo(ask.MessageID, again)
			c.tg.PressButton(c.user, telegramtest.PrivateChat(c.user), ask.MessageID, buy)
			c.tg.WaitFor(t, 20*time.Second, func() bool { return c.editsTo(ask.MessageID, again) > before })
			c.quiet(batchQuiet)

			buys := c.sms.Buys(chainSMSUser)
			if len(buys) != batchHeld {
				t.Errorf("%d purchase requests, want %d: numbers 1 to 3, once each", len(buys), batchHeld)
			}
			for i, b := range buys {
				if b.MaximumPrice != strconv.Itoa(batchMax) {
					t.Errorf("purchase %d at most %s cents, want the confirmed %d", i+1, b.MaximumPrice, batchMax)
				}
			}
			if got, want := c.sms.Balance(chainSMSUser), int64(chainBalance-bought*chainPrice); got != want {
				t.Errorf("balance %d cents, want %d: %d numbers bought", got, want, bought)
			}
			c.checkToldOnce(cut, third)
		})
	}
}

// newBatchBot starts the bot for Alice, logged in, with no rule: her
// account holds $15.00 and her order 555 is of the offer the fake sells
// at $0.16.
func newBatchBot(t *testing.T) *chainBot {
	t.Helper()
	c := &chainBot{t: t, bin: smsbotBinary(t), tg: telegramtest.New(t), sms: smsapitest.New(t),
		user: telegramtest.User{ID: 1001, FirstName: "Alice"}, dbPath: filepath.Join(t.TempDir(), "bot.db")}
	c.sms.AddAccount(chainSMSUser, chainAPIKey, chainBalance)
	c.sms.SetOffer(smsapitest.Offer{Service: "ds", Country: "12", Carrier: "any",
		ServiceName: "Discord", CountryName: "United States", Price: chainPrice, Stock: -1})
	c.sms.AddOrder(chainSMSUser, smsapitest.NewOrder(number1))
	c.env = fakesEnv(c.tg, c.sms.URL, c.dbPath, "POLL_INTERVAL=1s", "LOG_LEVEL=debug")
	c.start()
	if got := say(t, c.tg, c.user, "/login "+chainSMSUser+" "+chainAPIKey); got != loginOK(chainSMSUser, chainBalance) {
		t.Fatalf("/login answered %q", got)
	}
	t.Cleanup(func() { assertNoSecretsLogged(t, c.runs, chainAPIKey, c.tg.Token) })
	return c
}

// askBatch asks "/buy 555 0.20 5" and returns the question and its Buy
// button's data.
func (c *chainBot) askBatch() (telegramtest.SentMessage, string) {
	c.t.Helper()
	want := en.BuyAskMany(batchOffer(), batchCount, message.Cents(batchMax))
	c.tg.SendText(c.user, telegramtest.PrivateChat(c.user), "/buy "+number1+" 0.20 5")
	c.waitSent(want)
	for _, m := range c.tg.SentTo(c.user.ID) {
		if !strings.Contains(m.Text, want) || m.ReplyMarkup == nil {
			continue
		}
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if strings.HasPrefix(b.CallbackData, message.ActBuy+":") {
					return m, b.CallbackData
				}
			}
		}
	}
	c.t.Fatalf("no Buy button on the question; Alice got:\n%s", c.chat())
	return telegramtest.SentMessage{}, ""
}

// editsTo counts the edits of Alice's message messageID to text.
func (c *chainBot) editsTo(messageID int, text string) int {
	n := 0
	for _, e := range c.tg.Edits() {
		if e.ChatID == c.user.ID && e.MessageID == messageID && e.Text == text {
			n++
		}
	}
	return n
}

// batchOffer is the offer the batch buys, as the texts show it.
func batchOffer() string { return en.Offer("Discord", "United States", "any") }

// batchItems are the batch's first n numbers as its messages list them
// after a restart (the phone from the number's watch), and one more being
// checked when pending.
func batchItems(c *chainBot, n int, pending bool) []message.BatchItem {
	var items []message.BatchItem
	for _, id := range batchOrders[:n] {
		o, _ := c.sms.Order(chainSMSUser, id)
		items = append(items, message.BatchItem{OrderID: id, Phone: o.PhoneNumber, Price: message.Cents(chainPrice)})
	}
	if pending {
		items = append(items, message.BatchItem{Pending: true})
	}
	return items
}
