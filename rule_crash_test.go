package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// The rule's chains through SIGKILL: the built binary runs Alice's
// "retry 2 3 1.00" chain and is killed while the fake SMSOnline holds one
// request of a step, then started again on its database. No step may be
// made twice or skipped, every old number is refunded once, and Alice
// hears of every number the chain bought.

// chainRule is "retry 2 3 1.00": 2 minutes, 3 numbers, $1.00.
var chainRule = store.Rule{Kind: store.RuleRetry, Minutes: 2, MaxNumbers: 3, MaxSpend: 100}

const (
	chainSMSUser = "777"
	chainAPIKey  = "sk-chain-kill-8642"
	chainBalance = 1500
	chainPrice   = 16 // cents, of Alice's order and of the offer
	// chainQuiet is how long nothing may be bought or refunded after a
	// chain ended: past a settle interval (10 s), so a purchase or refund
	// the reconciler or the rule still held would have shown.
	chainQuiet = 15 * time.Second
)

// The chain's numbers 1 to 3: Alice's order, then the fake's first two
// numbers sold; and their phones.
const (
	number1, number2, number3 = "555", "30000001", "30000002"
	phone1, phone2, phone3    = "1234567890", "15550000001", "15550000002"
)

// TestRuleChainThroughKills kills the bot at each request of a chain's
// step. Only the next step after a kill needs the real clock (it falls
// due 2 minutes after its number was bought), so the cases run in
// parallel, with the rest of the package's parallel tests.
func TestRuleChainThroughKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; waits 2 minutes for a chain's second step")
	}
	t.Parallel()

	t.Run("purchase in flight, then the next step's reads", func(t *testing.T) {
		t.Parallel()
		c := newChainBot(t)
		// SMSOnline sells number 2 and holds its answer: the bot dies
		// with the purchase sent and its outcome unknown.
		c.sms.InjectFault(smsapitest.Fault{Match: "buy", DelayAfter: time.Minute, Times: 1})
		c.order()
		c.waitHeld("buy", 1)
		c.restart()
		// The reconciler finds number 2 in the inventory (not bought
		// again) and shows its card; then number 1 is refunded.
		c.waitSent(boughtCard(number2))
		c.waitSent(chainStep(phone1, phone2, 2, message.OldRefunded, message.Cents(chainPrice)))
		if n := len(c.sms.Buys(chainSMSUser)); n != 1 {
			t.Fatalf("%d purchase requests after the restart, want 1", n)
		}

		// Number 2's step falls due 2 minutes after it was bought. Its read
		// of the order is held (so is the watcher's check: two held), and
		// the bot dies.
		bought, _ := c.sms.Order(chainSMSUser, number2)
		due := bought.OrderedAt.Add(time.Duration(chainRule.Minutes) * time.Minute)
		time.Sleep(time.Until(due.Add(-3 * time.Second)))
		if n := len(c.sms.Buys(chainSMSUser)); n != 1 {
			t.Fatalf("%d purchase requests before number 2's step was due, want 1", n)
		}
		c.sms.InjectFault(smsapitest.Fault{Match: "order", Delay: time.Minute})
		c.waitHeld("order", 2)
		c.kill()
		c.sms.ClearFaults()
		// Started again, the step reads the inventory before buying (its
		// purchase written as begun, not sent), and the bot dies again.
		c.sms.InjectFault(smsapitest.Fault{Match: "inventory", Delay: time.Minute, Times: 1})
		c.start()
		c.waitHeld("inventory", 1)
		c.restart()

		c.waitSent(chainStep(phone2, phone3, 3, message.OldRefunded, message.Cents(chainPrice)))
		c.deliverAndSettle(number3, "314159")

		c.checkMoney(2, map[string]int{number1: 1, number2: 1})
		c.checkToldOnce(
			boughtCard(number2),
			chainStep(phone1, phone2, 2, message.OldRefunded, message.Cents(chainPrice)),
			chainStep(phone2, phone3, 3, message.OldRefunded, message.Cents(chainPrice)),
		)
		c.checkStop(chainStep(phone1, phone2, 2, message.OldRefunded, message.Cents(chainPrice)), number2)
		c.checkStop(chainStep(phone2, phone3, 3, message.OldRefunded, message.Cents(chainPrice)), number3)
		// Number 2 was replaced, not refunded alone as the end of the chain.
		c.checkNeverTold(en.RuleRefunded(phone2, 2*time.Minute, message.Cents(chainPrice), message.ChainEnd{}))
	})

	t.Run("old number's refund in flight", func(t *testing.T) {
		t.Parallel()
		c := newChainBot(t)
		// Number 2 is bought; SMSOnline refunds number 1 and holds its
		// answer: the bot dies with the refund sent.
		c.sms.InjectFault(smsapitest.Fault{Match: "refund", DelayAfter: time.Minute, Times: 1})
		c.order()
		c.waitHeld("refund", 1)
		c.restart()
		// The reconciler reads number 1 refunded and says so; Alice
		// learns of number 2 all the same.
		step := chainStep(phone1, phone2, 2, message.OldPending, message.Money{})
		c.waitSent(step)
		c.waitSent(en.RefundDone(number1, message.Cents(chainPrice), message.Money{}))
		c.deliverAndSettle(number2, "271828")

		c.checkMoney(1, map[string]int{number1: 1})
		c.checkToldOnce(step, en.RefundDone(number1, message.Cents(chainPrice), message.Money{}))
		c.checkStop(step, number2)
	})

	t.Run("old number's refund begun, not sent", func(t *testing.T) {
		t.Parallel()
		c := newChainBot(t)
		// SMSOnline holds the refund of number 1 before carrying it out,
		// and the bot dies: nothing was refunded.
		c.sms.InjectFault(smsapitest.Fault{Match: "refund", Delay: time.Minute, Times: 1})
		c.order()
		c.waitHeld("refund", 1)
		c.kill()
		// As if it died a moment earlier: the refund written as begun, its
		// request not sent (no request can be held in that moment).
		c.exec(`UPDATE money_actions SET state = 'intent' WHERE kind = 'refund' AND key LIKE 'replace-%' AND state = 'sent'`)
		c.start()
		// The start fails the refund as never sent; the rule refunds
		// number 1 again as a plain refund, and Alice learns of number 2.
		step := chainStep(phone1, phone2, 2, message.OldPending, message.Money{})
		refunded := en.RuleRefunded(phone1, 2*time.Minute, message.Cents(chainPrice), message.ChainEnd{})
		c.waitSent(step)
		c.waitSent(refunded)
		c.deliverAndSettle(number2, "161803")

		// Two refund requests of number 1: the one the kill cut before
		// SMSOnline carried it out, and the rule's.
		c.checkMoney(1, map[string]int{number1: 2})
		c.checkToldOnce(step, refunded)
		c.checkStop(step, number2)
	})
}

// chainBot is Alice's bot, the fakes it talks to and its database: with
// her rule (newChainBot), or without one for her batches (newBatchBot).
type chainBot struct {
	t      *testing.T
	bin    string
	tg     *telegramtest.Server
	sms    *smsapitest.Server
	user   telegramtest.User
	dbPath string
	env    []string
	run    *binaryRun
	runs   []*binaryRun
}

// newChainBot starts the bot for Alice: her account holds $15.00, her rule
// is chainRule (set in the database before the bot starts), and her order
// 555 was made 10 minutes ago and has no SMS. She is logged in; nothing is
// watched yet.
func newChainBot(t *testing.T) *chainBot {
	t.Helper()
	c := &chainBot{t: t, bin: smsbotBinary(t), tg: telegramtest.New(t), sms: smsapitest.New(t),
		user: telegramtest.User{ID: 1001, FirstName: "Alice"}}
	var key []byte
	c.dbPath, key = newDatabase(t)
	ctx := context.Background()
	st, err := store.Open(ctx, c.dbPath, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetRule(ctx, c.user.ID, chainRule, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	c.sms.AddAccount(chainSMSUser, chainAPIKey, chainBalance)
	c.sms.SetOffer(smsapitest.Offer{Service: "ds", Country: "12", Carrier: "any",
		ServiceName: "Discord", CountryName: "United States", Price: chainPrice, Stock: -1})
	o := smsapitest.NewOrder(number1)
	o.OrderedAt, o.ExpiresAt = o.OrderedAt.Add(-10*time.Minute), o.OrderedAt.Add(10*time.Minute)
	c.sms.AddOrder(chainSMSUser, o)

	c.env = fakesEnv(c.tg, c.sms.URL, c.dbPath,
		"BOT_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString(key),
		"POLL_INTERVAL=1s",
		"LOG_LEVEL=debug",
	)
	c.start()
	if got := say(t, c.tg, c.user, "/login "+chainSMSUser+" "+chainAPIKey); got != loginOK(chainSMSUser, chainBalance) {
		t.Fatalf("/login answered %q", got)
	}
	t.Cleanup(func() { assertNoSecretsLogged(t, c.runs, chainAPIKey, c.tg.Token) })
	return c
}

// order looks order 555 up: it is watched, and its rule's time passed
// long ago, so the chain's first step follows at once.
func (c *chainBot) order() {
	c.t.Helper()
	if got := say(c.t, c.tg, c.user, "/order "+number1); !strings.Contains(got, en.T(message.Watching)) {
		c.t.Fatalf("/order answered %q", got)
	}
}

func (c *chainBot) start() {
	c.run = startBinary(c.t, c.bin, c.env)
	c.runs = append(c.runs, c.run)
}

// kill stops the bot with SIGKILL: nothing of it runs after.
func (c *chainBot) kill() {
	c.t.Helper()
	c.run.cmd.Process.Signal(syscall.SIGKILL)
	<-c.run.exited
}

func (c *chainBot) restart() {
	c.t.Helper()
	c.kill()
	c.start()
}

// waitHeld waits until the fake holds n requests of kind.
func (c *chainBot) waitHeld(kind string, n int) {
	c.t.Helper()
	c.tg.WaitFor(c.t, 30*time.Second, func() bool { return c.sms.Held(kind) >= n })
}

// waitSent waits until Alice got a message holding want.
func (c *chainBot) waitSent(want string) {
	c.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for countSent(c.tg.SentTo(c.user.ID), want) == 0 {
		if time.Now().After(deadline) {
			c.t.Fatalf("Alice was not told %q within 45s; she got:\n%s\nthe bot wrote:\n%s", want, c.chat(), c.run.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// chat is what Alice got, for a failure.
func (c *chainBot) chat() string {
	var b strings.Builder
	for _, m := range c.tg.SentTo(c.user.ID) {
		b.WriteString("---\n" + m.Text + "\n")
	}
	return b.String()
}

// exec runs a statement with args on the database of the stopped bot; it
// must change one row.
func (c *chainBot) exec(query string, args ...any) {
	c.t.Helper()
	db, err := sql.Open("sqlite3", c.dbPath)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(query, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		c.t.Fatalf("%s changed %d rows (%v), want 1", query, n, err)
	}
}

// deliverAndSettle ends the chain with an SMS on its current number,
// waits for its code, and then for a while in which nothing may be bought
// or refunded.
func (c *chainBot) deliverAndSettle(orderID, code string) {
	c.t.Helper()
	c.sms.DeliverSMS(chainSMSUser, orderID, "Your code is "+code)
	c.waitSent("<code>" + code + "</code>")
	c.quiet(chainQuiet)
}

// quiet waits d, in which SMSOnline may be sent no purchase or refund.
func (c *chainBot) quiet(d time.Duration) {
	c.t.Helper()
	before := c.moneyRequests()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if n := c.moneyRequests(); n != before {
			c.t.Fatalf("%d purchase and refund requests after it all ended, want %d", n, before)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// moneyRequests counts the purchases and refunds SMSOnline was sent,
// those given up included.
func (c *chainBot) moneyRequests() int {
	return len(c.sms.Buys(chainSMSUser)) + c.sms.RequestCount("refund")
}

// checkMoney checks the money requests SMSOnline was sent: buys purchases
// (one per number bought), refunds[order] refund requests of each order
// and none of any other. Each of those orders ends refunded, and the
// balance is what the purchases and one refund of each make it.
func (c *chainBot) checkMoney(buys int, refunds map[string]int) {
	c.t.Helper()
	if n := len(c.sms.Buys(chainSMSUser)); n != buys {
		c.t.Errorf("%d purchase requests, want %d: one per number bought", n, buys)
	}
	sent := make(map[string]int)
	for _, rq := range c.sms.Log() {
		if rq.Kind == "refund" {
			sent[rq.OrderID]++
		}
	}
	for id, n := range sent {
		if n != refunds[id] {
			c.t.Errorf("%d refund requests of %s, want %d", n, id, refunds[id])
		}
	}
	for id, n := range refunds {
		if sent[id] != n {
			c.t.Errorf("%d refund requests of %s, want %d", sent[id], id, n)
		}
		if o, _ := c.sms.Order(chainSMSUser, id); o.Status != smsapitest.StatusRefunded {
			c.t.Errorf("order %s is %q, want refunded", id, o.Status)
		}
	}
	// SMSOnline refunds an order once, in full; 555 was never paid here.
	want := int64(chainBalance - buys*chainPrice + len(refunds)*chainPrice)
	if got := c.sms.Balance(chainSMSUser); got != want {
		c.t.Errorf("balance %d cents, want %d", got, want)
	}
}

// checkToldOnce checks that Alice got each of texts in exactly one message.
func (c *chainBot) checkToldOnce(texts ...string) {
	c.t.Helper()
	for _, want := range texts {
		if n := countSent(c.tg.SentTo(c.user.ID), want); n != 1 {
			c.t.Errorf("Alice was told %q %d times, want once; she got:\n%s", want, n, c.chat())
		}
	}
}

// checkStop checks that the message holding text has the chain's Stop
// button for its current number orderID.
func (c *chainBot) checkStop(text, orderID string) {
	c.t.Helper()
	want := fmt.Sprintf("z:%d:%s", c.user.ID, orderID)
	for _, m := range c.tg.SentTo(c.user.ID) {
		if !strings.Contains(m.Text, text) || m.ReplyMarkup == nil {
			continue
		}
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if b.CallbackData == want {
					return
				}
			}
		}
	}
	c.t.Errorf("no message holding %q has the Stop button %q", text, want)
}

// checkNeverTold checks that no message to Alice holds text.
func (c *chainBot) checkNeverTold(text string) {
	c.t.Helper()
	if countSent(c.tg.SentTo(c.user.ID), text) > 0 {
		c.t.Errorf("Alice was told %q; she got:\n%s", text, c.chat())
	}
}

// chainStep is the message of the chain's step that replaced the number
// oldPhone with newPhone, number n of the chain.
func chainStep(oldPhone, newPhone string, n int, old message.OldRefund, refunded message.Money) string {
	return en.ChainStep(oldPhone, time.Duration(chainRule.Minutes)*time.Minute, newPhone,
		en.Offer("Discord", "United States", "any"), message.Cents(chainPrice), n, chainRule.MaxNumbers, old, refunded)
}

// boughtCard is the start of the reconciler's card of a number it found
// bought: the heading and the card's title.
func boughtCard(orderID string) string {
	return firstLine(en.Bought(message.Order{}, time.Time{}, true)) + "\n\n" + cardTitle(orderID)
}
