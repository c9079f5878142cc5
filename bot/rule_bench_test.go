//go:build unix

package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/watch"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// BenchmarkNoSMSRule: the rule for numbers that get no SMS falls due for
// many numbers at one instant, under SMSONLINE_MAX_RPS 20, while the
// watcher checks them at the default POLL_INTERVAL over 100 accounts (33
// inventory requests/s wanted: the cap is saturated before the rule
// starts). The bot's clock is moved ahead by the rule's minutes to make a
// wave of steps due at once; a chain's next number falls due in the next
// wave.
//
//   - refund: "refund 5" on 1,000 numbers.
//   - refund-slow: the same with SMSOnline answering in 500 ms: the rule
//     must keep enough requests in flight to fill the cap.
//   - retry: "retry 5 3 $1" on 300 numbers; half the chains get an SMS on
//     their second number (its code must reach Telegram, the number must
//     not be refunded), the others run to their third, which is refunded.
//     300, not 1,000: a step that buys takes four requests, and 1,000
//     chains would take six minutes.
//
// Figures: refunds/number (refund requests for the numbers that got no
// SMS, over those numbers: 1 when each was refunded once), purchases/chain
// (the most numbers one chain bought, at most K-1), lost (a number never
// refunded, a code never delivered), dup (a number refunded twice or
// despite its SMS, a code delivered twice) and time-ratio/limit: the time
// from a wave's due instant to its last refund over the time the rule's
// requests need at the cap (requests ÷ 20/s), over 1.25; the worst wave.
// The rule's requests are read from the fake's log: every refund and
// purchase, the inventory read of its account before each purchase and
// the order read before each refund.
func BenchmarkNoSMSRule(b *testing.B) {
	b.Run("refund", func(b *testing.B) {
		benchRule(b, ruleScenario{accounts: 100, numbers: 1000, rule: store.Rule{Kind: store.RuleRefund, Minutes: 5}})
	})
	b.Run("refund-slow", func(b *testing.B) {
		benchRule(b, ruleScenario{accounts: 100, numbers: 1000, apiLatency: 500 * time.Millisecond,
			rule: store.Rule{Kind: store.RuleRefund, Minutes: 5}})
	})
	b.Run("retry", func(b *testing.B) {
		benchRule(b, ruleScenario{accounts: 100, numbers: 300, smsShare: 50,
			rule: store.Rule{Kind: store.RuleRetry, Minutes: 5, MaxNumbers: 3, MaxSpend: 100}})
	})
}

const (
	// ruleCap is SMSONLINE_MAX_RPS in BenchmarkNoSMSRule.
	ruleCap = 20
	// ruleTimeLimit is the most time-ratio may be: due → last refund over
	// the rule's requests ÷ the cap. The cap itself gives 1.05 (its
	// window is 1.05 s).
	ruleTimeLimit = 1.25
)

// ruleScenario is the shape of one BenchmarkNoSMSRule run.
type ruleScenario struct {
	accounts   int
	numbers    int // the first numbers of the chains, spread evenly over the accounts
	rule       store.Rule
	smsShare   int           // percent of the chains whose second number gets an SMS (retry)
	apiLatency time.Duration // added by the fake SMSOnline to every answer
}

func benchRule(b *testing.B, sc ruleScenario) {
	var res worst
	for b.Loop() {
		ruleRun(b, sc, &res)
	}
	res.report(b)
}

// ruleChain is one first number and the numbers its chain bought.
type ruleChain struct {
	w       benchWatch
	numbers []string // the first one, then each bought, in order
	sms     bool     // its last number got an SMS: the chain ended there
}

func (c *ruleChain) current() string { return c.numbers[len(c.numbers)-1] }

// ruleRun runs sc once, a wave of steps at a time, and adds its figures to
// res.
func ruleRun(b *testing.B, sc ruleScenario, res *worst) {
	ctx := context.Background()
	b.StopTimer()
	clk := &offsetClock{}
	r := newBenchRig(b, benchScenario{accounts: sc.accounts, watches: sc.numbers, poll: watch.DefaultPollInterval,
		maxRPS: ruleCap, rule: sc.rule, apiLatency: sc.apiLatency})
	r.sms.SetOffer(discord)
	d := newDeliveries()
	b.StartTimer()
	r.start(func(c *Config) { c.Now = clk.Now })
	time.Sleep(2 * watch.DefaultPollInterval) // the watcher runs steadily, the cap saturated

	chains := make([]*ruleChain, len(r.watches))
	for i, w := range r.watches {
		chains[i] = &ruleChain{w: w, numbers: []string{w.orderID}}
	}
	noSMS := map[string]bool{} // every number the rule must refund, once
	worstRatio := 0.0
	for wave := 1; ; wave++ {
		var due []string
		for _, c := range chains {
			if !c.sms && len(c.numbers) == wave {
				due = append(due, c.current())
			}
		}
		if len(due) == 0 {
			break
		}
		for _, n := range due {
			noSMS[n] = true
		}
		want := r.sms.RequestCount("refund") + len(due)
		at := time.Now()
		clk.advance(time.Duration(sc.rule.Minutes)*time.Minute + time.Second)
		// Generous: a rule that got no share of the cap still ends.
		deadline := at.Add(10*time.Duration(4*len(due)/ruleCap)*time.Second + time.Minute)
		for r.sms.RequestCount("refund") < want && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		w := waveOf(r.sms.Log(), at, due)
		took := w.last.Sub(at)
		ratio := took.Seconds() / (float64(w.requests) / ruleCap)
		worstRatio = max(worstRatio, ratio)
		b.Logf("wave %d: %d numbers due, %d refunded in %v; %d of the %d requests (%.2f/s) were the rule's (%d refunds, %d purchases): time-ratio %.3f",
			wave, len(due), w.refunded, took.Round(time.Millisecond), w.requests, w.all, float64(w.all)/took.Seconds(), w.refunds, w.buys, ratio)
		if w.refunded < len(due) {
			b.Errorf("wave %d: %d of %d numbers refunded by the deadline", wave, w.refunded, len(due))
			break
		}

		// The numbers the chains bought in this wave: some get their SMS.
		for i, c := range chains {
			if c.sms || len(c.numbers) != wave {
				continue
			}
			bought := chainNumbers(ctx, b, r.st, c)
			if len(bought) <= wave {
				continue // the chain ended with this wave's refund
			}
			c.numbers = bought
			if len(c.numbers) == 2 && i%100 < sc.smsShare {
				code := fmt.Sprintf("%06d", 500000+i)
				r.sms.DeliverSMS(c.w.smsUser, c.current(), "Your Discord verification code is "+code+". Don't share it.")
				d.want[code] = time.Now()
				c.sms = true
			}
		}
		// Delivered codes have ended their numbers' rule before the next wave.
		d.wait(r.tg, time.Now().Add(30*time.Second))
	}
	// One more rule period: nothing may be left to refund, or refunded again.
	clk.advance(time.Duration(sc.rule.Minutes)*time.Minute + time.Second)
	time.Sleep(3 * time.Second)
	d.scan(r.tg)
	r.halt()

	refunds := map[string]int{}
	for _, rq := range r.sms.Log() {
		if rq.Kind == "refund" {
			refunds[rq.OrderID]++
		}
	}
	refunded, lost, dup := 0, d.lost(), d.dup()
	for n := range noSMS {
		refunded += refunds[n]
		if refunds[n] == 0 {
			lost++
		}
		dup += max(0, refunds[n]-1)
	}
	bought, most := 0, 0
	for _, c := range chains {
		if c.sms {
			dup += refunds[c.current()] // refunded despite its SMS
		}
		bought += len(c.numbers) - 1
		most = max(most, len(c.numbers)-1)
	}
	buys := 0
	for i := range sc.accounts {
		_, smsUser := benchUser(i)
		buys += len(r.sms.Buys(smsUser))
	}
	if buys != bought {
		b.Errorf("%d purchase requests, %d numbers bought by the chains", buys, bought)
	}
	b.Logf("%d chains bought %d numbers; %d numbers without an SMS, %d refund requests for them; %d codes",
		len(chains), bought, len(noSMS), refunded, len(d.want))
	res.add("refunds/number", float64(refunded)/float64(len(noSMS)), false)
	res.add("purchases/chain", float64(most), false)
	res.add("lost", float64(lost), false)
	res.add("dup", float64(dup), false)
	res.add("time-ratio/limit", worstRatio/ruleTimeLimit, false)
}

// chainNumbers returns the numbers of c's chain: its first, then each
// purchase done, in order; only the first when no chain started.
func chainNumbers(ctx context.Context, b *testing.B, st *store.Store, c *ruleChain) []string {
	b.Helper()
	out := []string{c.numbers[0]}
	chain, _, err := st.ChainOf(ctx, c.w.user, c.numbers[0])
	if errors.Is(err, store.ErrNotFound) {
		return out
	}
	if err != nil {
		b.Fatal(err)
	}
	steps, err := st.ChainSteps(ctx, chain)
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range steps {
		if a.State == store.ActionDone {
			out = append(out, a.OrderID)
		}
	}
	return out
}

// ruleWave is what the log shows of one wave of the rule.
type ruleWave struct {
	refunded int       // numbers due in the wave that were refunded
	last     time.Time // the last of their refunds
	refunds  int
	buys     int
	requests int // the rule's requests, reads included
	all      int // every request, the watcher's included
}

// waveOf reads the wave that fell due at at for the numbers due from log:
// up to their last refund, every refund and purchase, the inventory read
// of the account right before each purchase (recording the orders there,
// so that a lost answer can be settled) and the read of each refunded
// order before its refund. The watcher's reads in between are not the
// rule's.
func waveOf(log []smsapitest.Request, at time.Time, due []string) ruleWave {
	slices.SortFunc(log, func(a, b smsapitest.Request) int { return a.At.Compare(b.At) })
	first := slices.IndexFunc(log, func(rq smsapitest.Request) bool { return !rq.At.Before(at) })
	if first < 0 {
		return ruleWave{last: at}
	}
	log = log[first:]
	var w ruleWave
	isDue, refunded := map[string]bool{}, map[string]bool{}
	for _, n := range due {
		isDue[n] = true
	}
	end := -1
	for i, rq := range log {
		if rq.Kind == "refund" && isDue[rq.OrderID] {
			end = i
		}
	}
	if end < 0 {
		return ruleWave{last: at}
	}
	w.last = log[end].At
	log = log[:end+1]
	w.all = len(log)
	lastRead := map[string]int{}      // order -> index of its last read so far
	lastInventory := map[string]int{} // account -> index of its last inventory read so far
	used := map[int]bool{}
	for i, rq := range log {
		switch rq.Kind {
		case "order":
			lastRead[rq.OrderID] = i
		case "inventory":
			lastInventory[rq.UserID] = i
		case "refund":
			w.refunds++
			if isDue[rq.OrderID] && !refunded[rq.OrderID] {
				refunded[rq.OrderID] = true
				w.refunded++
			}
			if k, ok := lastRead[rq.OrderID]; ok && !used[k] {
				used[k] = true
				w.requests++
			}
		case "buy":
			w.buys++
			if k, ok := lastInventory[rq.UserID]; ok && !used[k] {
				used[k] = true
				w.requests++
			}
		}
	}
	w.requests += w.refunds + w.buys
	return w
}
