//go:build unix

package bot

import (
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// BenchmarkLatency: 500 watches over 100 accounts, POLL_INTERVAL 2s, 30 ms
// API latency, 500 SMS appearing at random moments over a minute. Polling
// alone makes an SMS wait T/2 on average and up to T, so p50 is reported
// over T/2 and p99 over T.
func BenchmarkLatency(b *testing.B) {
	sc := benchScenario{accounts: 100, watches: 500, poll: 2 * time.Second, apiLatency: 30 * time.Millisecond}
	var res worst
	for b.Loop() {
		b.StopTimer()
		r := newBenchRig(b, sc)
		d := newDeliveries()
		b.StartTimer()
		r.start()
		// The minute starts after one full round, once the bot runs steadily.
		t0 := time.Now().Add(sc.poll + time.Second)
		for i := range r.watches {
			r.scheduleSMS(d, i, t0.Add(mrand.N(time.Minute)))
		}
		d.wait(r.tg, t0.Add(time.Minute+20*time.Second))
		time.Sleep(sc.poll) // time for a duplicate to show
		d.scan(r.tg)
		r.halt()

		lat := d.latencies()
		res.add("p50/halfT", quantile(lat, 0.50).Seconds()/(sc.poll.Seconds()/2), false)
		res.add("p99/T", quantile(lat, 0.99).Seconds()/sc.poll.Seconds(), false)
		res.add("lost", float64(d.lost()), false)
		res.add("dup", float64(d.dup()), false)
		res.add("429s", float64(r.tg.Count429()), false)
	}
	res.report(b)
}

// BenchmarkScale: 20,000 watches over 2,000 accounts, POLL_INTERVAL 5s, no
// request cap, no API latency. The watcher must keep every watch on its
// interval (N/T checks per second); CPU, allocations and heap are those of the
// whole process, fakes included. It then runs again with metrics on (every
// collector fed, /metrics scraped every 5 s): their CPU per check may be at
// most 5 % above the plain run's. It runs without a rule for numbers that
// get no SMS, and with "refund 19" for every account: no number is 19
// minutes old within the run, so the rule must cost nothing (rule-steps
// 0, counted by the instrumented run) and every figure keeps its target.
func BenchmarkScale(b *testing.B) {
	for _, tc := range []struct {
		name string
		rule store.Rule
	}{
		{"rule-off", store.Rule{}},
		{"rule-refund-19", store.Rule{Kind: store.RuleRefund, Minutes: 19}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			sc := benchScenario{accounts: 2000, watches: 20000, poll: 5 * time.Second, rule: tc.rule}
			var res worst
			for b.Loop() {
				plain := scaleRun(b, sc, &res)
				withMetrics := sc
				withMetrics.metrics = true
				instrumented := scaleRun(b, withMetrics, &res)
				// METRICS_ADDR may cost at most 5 % more CPU per check.
				res.add("metrics-cpu/limit", instrumented/plain/1.05, false)
			}
			res.report(b)
		})
	}
}

// scaleRun runs BenchmarkScale's scenario once and returns its CPU seconds
// per 1,000 checks; res takes the figures of a plain run and, of an
// instrumented one, the steps the rule took.
func scaleRun(b *testing.B, sc benchScenario, res *worst) float64 {
	const (
		warmup  = 10 * time.Second // two rounds
		measure = 20 * time.Second // four rounds
		pushes  = 200
	)
	b.StopTimer()
	r := newBenchRig(b, sc, smsapitest.WithoutLog())
	d := newDeliveries()
	runtime.GC()
	b.StartTimer()
	peak := watchHeap()
	r.start()
	begin := time.Now().Add(warmup)
	for k := range pushes {
		r.scheduleSMS(d, k*(sc.watches/pushes), begin.Add(mrand.N(measure)))
	}
	time.Sleep(time.Until(begin))

	checks0, cpu0, alloc0 := r.checks.Load(), cpuTime(), allocBytes()
	time.Sleep(measure)
	checks, cpu, alloc := r.checks.Load()-checks0, cpuTime()-cpu0, allocBytes()-alloc0

	d.wait(r.tg, time.Now().Add(30*time.Second))
	r.halt()
	heap := peak()

	cpuPer1k := cpu.Seconds() / (float64(checks) / 1000)
	if n := r.sms.RequestCount("refund") + r.sms.RequestCount("buy"); n > 0 {
		b.Errorf("%d refunds and purchases: the rule acted on numbers younger than its time", n)
	}
	if sc.metrics {
		if sc.rule.On() {
			res.add("rule-steps", metricSum(r.metrics.Handler(), "smsbot_rule_steps_total"), false)
		}
		if d.lost() > 0 || d.dup() > 0 {
			b.Errorf("with metrics: lost %d, dup %d", d.lost(), d.dup())
		}
	} else {
		demanded := float64(sc.watches) / sc.poll.Seconds()
		res.add("achieved/demanded", float64(checks)/measure.Seconds()/demanded, true)
		res.add("cpu-s/1k-checks", cpuPer1k, false)
		res.add("B/check", float64(alloc)/float64(checks), false)
		res.add("peak-heap-MiB", float64(heap)/(1<<20), false)
		res.add("lost", float64(d.lost()), false)
		res.add("dup", float64(d.dup()), false)
	}
	return cpuPer1k
}

// metricSum is the sum of a metric's samples that h serves, over all its
// labels.
func metricSum(h http.Handler, name string) float64 {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	sum := 0.0
	for line := range strings.Lines(rec.Body.String()) {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || !strings.HasPrefix(rest, "{") && !strings.HasPrefix(rest, " ") {
			continue
		}
		f := strings.Fields(rest)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// BenchmarkBurst: 1,000 SMS appear at the same instant for 1,000 chats.
// Telegram takes about 30 messages a second, so the last one cannot arrive
// before 1000/30 s; none may be refused with 429.
func BenchmarkBurst(b *testing.B) {
	sc := benchScenario{accounts: 1000, watches: 1000, poll: 2 * time.Second}
	limit := time.Duration(float64(sc.watches) / 30 * float64(time.Second))
	var res worst
	for b.Loop() {
		b.StopTimer()
		r := newBenchRig(b, sc)
		d := newDeliveries()
		b.StartTimer()
		r.start()
		at := time.Now().Add(sc.poll + time.Second)
		for i := range r.watches {
			r.scheduleSMS(d, i, at)
		}
		d.wait(r.tg, at.Add(3*limit))
		time.Sleep(sc.poll)
		d.scan(r.tg)
		r.halt()

		var last time.Time
		for _, t := range d.first {
			if t.After(last) {
				last = t
			}
		}
		res.add("last/limit", last.Sub(at).Seconds()/limit.Seconds(), false)
		res.add("429s", float64(r.tg.Count429()), false)
		res.add("lost", float64(d.lost()), false)
		res.add("dup", float64(d.dup()), false)
	}
	res.report(b)
}

// BenchmarkCapped: SMSONLINE_MAX_RPS 20 with 600 watches over 600 accounts at
// POLL_INTERVAL 3s, a demand of 200 requests/s. No one-second window may see
// more than the cap, and the cap must be shared fairly: no watch waits much
// longer than N/cap between two checks.
func BenchmarkCapped(b *testing.B) {
	sc := benchScenario{accounts: 600, watches: 600, poll: 3 * time.Second, maxRPS: 20}
	const (
		run    = 70 * time.Second // over two rounds of N/cap = 30s
		pushes = 60
	)
	fair := time.Duration(float64(sc.watches) / sc.maxRPS * float64(time.Second))
	var res worst
	for b.Loop() {
		b.StopTimer()
		r := newBenchRig(b, sc)
		d := newDeliveries()
		b.StartTimer()
		r.start()
		begin := time.Now()
		for k := range pushes {
			// Early enough to be seen within the run even by a watch that
			// was just checked.
			r.scheduleSMS(d, k*(sc.watches/pushes), begin.Add(mrand.N(run-fair-10*time.Second)))
		}
		time.Sleep(run)
		d.wait(r.tg, time.Now().Add(10*time.Second))
		r.halt()

		maxRPS, maxGap := requestStats(r.sms.Log(), r.watches)
		res.add("maxrps/cap", float64(maxRPS)/sc.maxRPS, false)
		res.add("maxgap/fair", maxGap.Seconds()/fair.Seconds(), false)
		res.add("lost", float64(d.lost()), false)
		res.add("dup", float64(d.dup()), false)
	}
	res.report(b)
}

// BenchmarkCommandsUnderLoad: BenchmarkCapped's saturated cap (SMSONLINE_MAX_RPS
// 20, a demand of 200 requests/s from 600 watches) while one user sends
// /balance every two to four seconds. A command takes the next free slot
// ahead of the watcher: its wait, from the update reaching Telegram to its
// request reaching SMSOnline, is at most about one slot (1/cap s). The
// watcher keeps what is left, fairly: maxgap/fair stays as in BenchmarkCapped
// less the commands' share.
func BenchmarkCommandsUnderLoad(b *testing.B) {
	sc := benchScenario{accounts: 600, watches: 600, poll: 3 * time.Second, maxRPS: 20}
	const run = 70 * time.Second
	slot := time.Duration(float64(time.Second) / sc.maxRPS)
	fair := time.Duration(float64(sc.watches) / sc.maxRPS * float64(time.Second))
	var res worst
	for b.Loop() {
		b.StopTimer()
		r := newBenchRig(b, sc)
		b.StartTimer()
		r.start()
		user, smsUser := benchUser(0)
		from := telegramtest.User{ID: user, FirstName: "Load"}
		chat := models.Chat{ID: user, Type: models.ChatTypePrivate}
		var sent []time.Time
		for end := time.Now().Add(run); time.Now().Before(end); {
			time.Sleep(2*time.Second + mrand.N(2*time.Second))
			sent = append(sent, time.Now())
			r.tg.SendText(from, chat, "/balance")
		}
		time.Sleep(2 * time.Second) // the last command's request
		r.halt()

		waits := commandWaits(r.sms.Log(), smsUser, sent)
		if len(waits) < len(sent) {
			b.Errorf("%d of %d commands reached SMSOnline", len(waits), len(sent))
		}
		maxRPS, maxGap := requestStats(r.sms.Log(), r.watches)
		res.add("p50wait/slot", quantile(waits, 0.5).Seconds()/slot.Seconds(), false)
		res.add("maxwait/slot", quantile(waits, 1).Seconds()/slot.Seconds(), false)
		res.add("maxrps/cap", float64(maxRPS)/sc.maxRPS, false)
		res.add("maxgap/fair", maxGap.Seconds()/fair.Seconds(), false)
	}
	res.report(b)
}

// commandWaits returns, sorted, how long after each of sent the next balance
// request of smsUser reached SMSOnline.
func commandWaits(log []smsapitest.Request, smsUser string, sent []time.Time) []time.Duration {
	var at []time.Time
	for _, rq := range log {
		if rq.Kind == "balance" && rq.UserID == smsUser {
			at = append(at, rq.At)
		}
	}
	slices.SortFunc(at, time.Time.Compare)
	var out []time.Duration
	for _, t := range sent {
		if i, _ := slices.BinarySearchFunc(at, t, time.Time.Compare); i < len(at) {
			out = append(out, at[i].Sub(t))
		}
	}
	slices.Sort(out)
	return out
}

// requestStats returns the most requests that arrived within any one second
// and the longest time between two checks of one watch. An inventory
// request checks every watched order of its account.
func requestStats(log []smsapitest.Request, watches []benchWatch) (maxInWindow int, maxGap time.Duration) {
	byUser := map[string][]string{}
	for _, w := range watches {
		byUser[w.smsUser] = append(byUser[w.smsUser], w.orderID)
	}
	var times []time.Time
	last := map[string]time.Time{}
	checked := func(order string, at time.Time) {
		if prev, ok := last[order]; ok {
			maxGap = max(maxGap, at.Sub(prev))
		}
		last[order] = at
	}
	slices.SortFunc(log, func(a, b smsapitest.Request) int { return a.At.Compare(b.At) })
	for _, rq := range log {
		times = append(times, rq.At)
		switch rq.Kind {
		case "order":
			checked(rq.OrderID, rq.At)
		case "inventory":
			for _, o := range byUser[rq.UserID] {
				checked(o, rq.At)
			}
		}
	}
	j := 0
	for i := range times {
		for times[i].Sub(times[j]) >= time.Second {
			j++
		}
		maxInWindow = max(maxInWindow, i-j+1)
	}
	return maxInWindow, maxGap
}
