//go:build unix

package bot

import (
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

// BenchmarkFairness: one user presses Refresh 200 times in 5 s while 20 other
// users each send /balance every one to two seconds; Telegram answers in
// 100 ms, SMSOnline in 500 ms. It runs twice on one bot: 20 users without the
// flood, then 20 others with it. The others' p99 answer time (update at
// Telegram → answer accepted by Telegram) with the flood over the one without
// must stay within 1.5, and the flooder's SMSOnline requests within their
// budget: CommandBurst and CommandRate × the flood's length.
func BenchmarkFairness(b *testing.B) {
	const (
		others  = 20
		phase   = 20 * time.Second
		presses = 200
		flood   = 5 * time.Second
		lead    = 2 * time.Second // of the phase, before the flood starts
	)
	sc := benchScenario{accounts: 1 + 2*others, poll: 3 * time.Second,
		apiLatency: 500 * time.Millisecond, tgLatency: 100 * time.Millisecond}
	var defaults Config
	defaults.setDefaults()
	var res worst
	for b.Loop() {
		b.StopTimer()
		r := newBenchRig(b, sc)
		b.StartTimer()
		r.start()
		refresh := r.floodCard()

		base, missedBase := r.askBalances(benchUsers(1, others), phase)
		flooded := make(chan floodRun, 1)
		time.AfterFunc(lead, func() { flooded <- r.flood(refresh, presses, flood) })
		during, missedFlood := r.askBalances(benchUsers(1+others, others), phase)
		f := <-flooded
		r.halt()

		budget := float64(defaults.CommandBurst) + defaults.CommandRate*f.length.Seconds()
		_, smsUser := benchUser(0)
		requests := 0
		for _, rq := range r.sms.Log() {
			if rq.UserID == smsUser && !rq.At.Before(f.start) {
				requests++
			}
		}
		res.add("p99/base", quantile(during, 0.99).Seconds()/quantile(base, 0.99).Seconds(), false)
		res.add("flooder-req/budget", float64(requests)/budget, false)
		res.add("slow-down-toasts", float64(r.tooManyTaps(f.ids)), false)
		res.add("unanswered", float64(missedBase+missedFlood+len(f.ids)-r.answered(f.ids)), false)
		b.Logf("p99 %v without the flood, %v with it; the flooder's %d presses in %v made %d requests (budget %.1f)",
			quantile(base, 0.99).Round(time.Millisecond), quantile(during, 0.99).Round(time.Millisecond),
			len(f.ids), f.length.Round(time.Millisecond), requests, budget)
	}
	res.report(b)
}

// benchUsers is n bench users from the i-th on, as Telegram users.
func benchUsers(i, n int) []telegramtest.User {
	var out []telegramtest.User
	for k := range n {
		id, _ := benchUser(i + k)
		out = append(out, telegramtest.User{ID: id, FirstName: fmt.Sprintf("User%d", i+k)})
	}
	return out
}

// floodCard has bench user 0 ask for the card of an order that has its SMS
// (nothing to watch) and returns the card's Refresh button.
func (r *benchRig) floodCard() floodTarget {
	r.b.Helper()
	id, smsUser := benchUser(0)
	o := smsapitest.NewOrder("30000000")
	r.sms.AddOrder(smsUser, o)
	r.sms.DeliverSMS(smsUser, o.ID, "Your Discord verification code is 583920")
	from := telegramtest.User{ID: id, FirstName: "Flooder"}
	chat := models.Chat{ID: id, Type: models.ChatTypePrivate}
	r.tg.SendText(from, chat, "/order "+o.ID)
	r.tg.WaitFor(r.b, 10*time.Second, func() bool { return len(r.tg.SentTo(chat.ID)) > 0 })
	return floodTarget{from: from, chat: chat, messageID: r.tg.SentTo(chat.ID)[0].MessageID, data: ownedButton("r", from, o.ID)}
}

// floodTarget is the button a flood presses.
type floodTarget struct {
	from      telegramtest.User
	chat      models.Chat
	messageID int
	data      string
}

// floodRun is what a flood pressed, and when.
type floodRun struct {
	start  time.Time
	length time.Duration // from the first press to the last
	ids    []string      // callback query ids
}

// flood presses the target's button n times, evenly over d.
func (r *benchRig) flood(t floodTarget, n int, d time.Duration) floodRun {
	f := floodRun{start: time.Now()}
	tick := time.NewTicker(d / time.Duration(n))
	defer tick.Stop()
	for i := range n {
		if i > 0 {
			<-tick.C
		}
		f.ids = append(f.ids, r.tg.PressButton(t.from, t.chat, t.messageID, t.data))
	}
	f.length = time.Since(f.start)
	return f
}

// askBalances has each user send /balance every one to two seconds for d,
// and returns, sorted, how long each waited for its answer to reach
// Telegram, and how many were never answered (within 10 s of the end).
func (r *benchRig) askBalances(users []telegramtest.User, d time.Duration) (waits []time.Duration, missed int) {
	sent := make([][]time.Time, len(users))
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			chat := models.Chat{ID: u.ID, Type: models.ChatTypePrivate}
			for {
				time.Sleep(time.Second + mrand.N(time.Second))
				if time.Now().After(end) {
					return
				}
				sent[i] = append(sent[i], time.Now())
				r.tg.SendText(u, chat, "/balance")
			}
		})
	}
	wg.Wait()
	answered := func() bool {
		for i, u := range users {
			if len(r.tg.SentTo(u.ID)) < len(sent[i]) {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(10 * time.Second); !answered() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	// Each user waits for nothing else, so their k-th message answers their
	// k-th /balance.
	for i, u := range users {
		got := r.tg.SentTo(u.ID)
		for k, at := range sent[i] {
			if k >= len(got) {
				missed++
				continue
			}
			waits = append(waits, got[k].At.Sub(at))
		}
	}
	slices.Sort(waits)
	return waits, missed
}

// answered counts the callback queries among ids that were answered.
func (r *benchRig) answered(ids []string) int {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	n := 0
	for _, id := range r.tg.Answered() {
		if want[id] {
			n++
		}
	}
	return n
}

// tooManyTaps counts the answers among ids that said "too many taps".
func (r *benchRig) tooManyTaps(ids []string) int {
	n := 0
	for _, c := range r.tg.CallsTo("answerCallbackQuery") {
		if slices.Contains(ids, c.Params["callback_query_id"]) && isTooManyTaps(c.Params["text"]) {
			n++
		}
	}
	return n
}
