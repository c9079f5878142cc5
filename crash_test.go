package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// TestCrashAndRestart runs the real binary, kills it with SIGKILL while a watch
// is active, lets the SMS arrive while it is down, and starts it again on the
// same database: the code must be pushed exactly once, and the commands handled
// before the crash must not be replayed.
func TestCrashAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := smsbotBinary(t)
	tg := telegramtest.New(t)
	sms := smsapitest.New(t)
	const key = "sk-crash-test-2468"
	sms.AddAccount("777", key, 1500)
	sms.AddOrder("777", smsapitest.NewOrder("555"))
	user := telegramtest.User{ID: 1001, FirstName: "Alice"}
	chat := telegramtest.PrivateChat(user)

	env := fakesEnv(tg, sms.URL, filepath.Join(t.TempDir(), "data", "bot.db"),
		"POLL_INTERVAL=1s",
		"LOG_LEVEL=debug",
	)
	waitText := func(want string) {
		t.Helper()
		tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.Sent(), want) > 0 })
	}

	first := startBinary(t, bin, env)
	tg.SendText(user, chat, "/login 777 "+key)
	waitText(loginOK("777", 1500))
	tg.SendText(user, chat, "/order 555")
	waitText(en.T(message.Watching))

	first.cmd.Process.Signal(syscall.SIGKILL)
	<-first.exited
	sms.DeliverSMS("777", "555", "Your code is 864209")

	second := startBinary(t, bin, env)
	waitText("<code>864209</code>")
	// Two more checks of the order, and the time to send what they found:
	// no second push.
	waitChecks(t, tg, sms, "777", "555", checksOf(sms, "777", "555"), 2)
	if n := countSent(tg.Sent(), "<code>864209</code>"); n != 1 {
		t.Errorf("code pushed %d times, want 1", n)
	}
	if n := countSent(tg.Sent(), loginOK("777", 1500)) + countSent(tg.Sent(), cardTitle("555")); n != 2 {
		t.Errorf("commands from before the crash were answered again (%d answers, want 2)", n)
	}

	second.terminate(t) // SIGTERM: a clean stop within a few seconds
	assertNoSecretsLogged(t, []*binaryRun{first, second}, key, tg.Token)
}

// TestCrashLoop kills the bot with SIGKILL at random moments while 20 watched
// orders receive their SMS, restarting it each time. Every code must reach its
// chat at least once, and a code may arrive twice only if its first copy was in
// flight (accepted by Telegram, not yet marked sent) at a kill.
func TestCrashLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := smsbotBinary(t)
	tg := telegramtest.New(t)
	sms := smsapitest.New(t)
	env := fakesEnv(tg, sms.URL, filepath.Join(t.TempDir(), "bot.db"),
		"POLL_INTERVAL=1s",
		"LOG_LEVEL=debug",
	)
	run := startBinary(t, bin, env)

	type order struct {
		user telegramtest.User
		id   string
		code string
	}
	var orders []order
	for u := range 4 {
		user := telegramtest.User{ID: int64(2001 + u), FirstName: fmt.Sprintf("User%d", u)}
		smsUser, key := fmt.Sprintf("70%d", u), fmt.Sprintf("sk-loop-%d-abcdef", u)
		sms.AddAccount(smsUser, key, 100)
		tg.SendText(user, telegramtest.PrivateChat(user), "/login "+smsUser+" "+key)
		for i := range 5 {
			id := fmt.Sprintf("9%d%02d", u, i)
			sms.AddOrder(smsUser, smsapitest.NewOrder(id))
			tg.SendText(user, telegramtest.PrivateChat(user), "/order "+id)
			orders = append(orders, order{user: user, id: id, code: fmt.Sprintf("%06d", 100000+u*1000+i*37)})
		}
	}
	tg.WaitFor(t, 30*time.Second, func() bool { return countSent(tg.Sent(), en.T(message.Watching)) == len(orders) })

	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), 7))
	for _, o := range orders {
		at := start.Add(time.Duration(rng.Int64N(int64(8 * time.Second))))
		sms.ScheduleSMS(fmt.Sprintf("70%d", o.user.ID-2001), o.id, at, "Your code is "+o.code)
	}
	var kills []time.Time
	for range 6 {
		time.Sleep(300*time.Millisecond + time.Duration(rng.Int64N(int64(1200*time.Millisecond))))
		run.cmd.Process.Signal(syscall.SIGKILL)
		<-run.exited
		kills = append(kills, time.Now())
		run = startBinary(t, bin, env)
	}

	tg.WaitFor(t, 60*time.Second, func() bool {
		for _, o := range orders {
			if countSent(tg.Sent(), "<code>"+o.code+"</code>") == 0 {
				return false
			}
		}
		return true
	})
	// One more check of every order: a wrong second push would be found.
	for _, o := range orders {
		smsUser := fmt.Sprintf("70%d", o.user.ID-2001)
		waitChecks(t, tg, sms, smsUser, o.id, checksOf(sms, smsUser, o.id), 1)
	}
	run.terminate(t)

	for _, o := range orders {
		var copies []time.Time
		for _, m := range tg.SentTo(o.user.ID) {
			if strings.Contains(m.Text, "<code>"+o.code+"</code>") {
				copies = append(copies, m.At)
			}
		}
		switch {
		case len(copies) == 1:
		case len(copies) == 2 && inFlightAtKill(copies[0], kills):
			t.Logf("order %s: pushed twice, first copy in flight at a kill (allowed)", o.id)
		default:
			t.Errorf("order %s: code pushed %d times at %v (kills at %v)", o.id, len(copies), copies, kills)
		}
	}
	if out := run.out.String(); strings.Contains(out, tg.Token) {
		t.Errorf("the bot token appears in the logs")
	}
}

// inFlightAtKill reports whether a message that Telegram accepted at `at`
// could still have been unconfirmed in the database when the bot was killed.
func inFlightAtKill(at time.Time, kills []time.Time) bool {
	for _, k := range kills {
		if !at.After(k) && k.Sub(at) < time.Second {
			return true
		}
	}
	return false
}

// TestCrashDuringPurchase kills the bot with SIGKILL while a purchase's PUT
// is on its way (SMSOnline bought the number; its answer is held), and
// starts it again: the purchase is settled from the inventory, the number
// is shown and watched, and the PUT is never sent a second time.
func TestCrashDuringPurchase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := smsbotBinary(t)
	tg := telegramtest.New(t)
	sms := smsapitest.New(t)
	const key = "sk-crash-buy-1357"
	sms.AddAccount("777", key, 1500)
	sms.SetOffer(smsapitest.Offer{Service: "ds", Country: "12", Carrier: "any", ServiceName: "Discord", CountryName: "United States", Price: 16, Stock: -1})
	sms.AddOrder("777", smsapitest.NewOrder("555"))
	user := telegramtest.User{ID: 1001, FirstName: "Alice"}
	chat := telegramtest.PrivateChat(user)
	env := fakesEnv(tg, sms.URL, filepath.Join(t.TempDir(), "bot.db"),
		"POLL_INTERVAL=1s",
		"LOG_LEVEL=debug",
	)
	first := startBinary(t, bin, env)
	tg.SendText(user, chat, "/login 777 "+key)
	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.Sent(), loginOK("777", 1500)) == 1 })
	tg.SendText(user, chat, "/buy 555")
	ask := en.BuyAsk(en.Offer("Discord", "United States", "any"), "555", message.Cents(20))
	tg.WaitFor(t, 20*time.Second, func() bool { return countSent(tg.Sent(), ask) == 1 })
	var confirm string
	var confirmation telegramtest.SentMessage
	for _, m := range tg.SentTo(chat.ID) {
		if strings.Contains(m.Text, ask) {
			confirmation = m
		}
	}
	for _, row := range confirmation.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, "B:") {
				confirm = b.CallbackData
			}
		}
	}
	if confirm == "" {
		t.Fatalf("no buy button on %+v", confirmation)
	}

	sms.InjectFault(smsapitest.Fault{Match: "buy", DelayAfter: time.Minute, Times: 1})
	tg.PressButton(user, chat, confirmation.MessageID, confirm)
	tg.WaitFor(t, 20*time.Second, func() bool { return len(sms.Buys("777")) == 1 })
	first.cmd.Process.Signal(syscall.SIGKILL)
	<-first.exited

	second := startBinary(t, bin, env)
	bought := firstLine(en.Bought(message.Order{}, time.Time{}, true))
	tg.WaitFor(t, 30*time.Second, func() bool { return countSent(tg.Sent(), bought) == 1 })
	// The same confirmation pressed after the restart shows the number.
	tg.PressButton(user, chat, confirmation.MessageID, confirm)
	tg.WaitFor(t, 20*time.Second, func() bool {
		for _, e := range tg.Edits() {
			if strings.Contains(e.Text, cardTitle("30000001")) {
				return true
			}
		}
		return false
	})
	sms.DeliverSMS("777", "30000001", "Your code is 778899")
	tg.WaitFor(t, 30*time.Second, func() bool { return countSent(tg.Sent(), "<code>778899</code>") == 1 })
	second.terminate(t)

	if n := len(sms.Buys("777")); n != 1 {
		t.Errorf("%d purchase requests, want 1", n)
	}
	if got := sms.Balance("777"); got != 1500-16 {
		t.Errorf("balance %d cents, want one purchase: %d", got, 1500-16)
	}
	assertNoSecretsLogged(t, []*binaryRun{first, second}, key, tg.Token)
}
