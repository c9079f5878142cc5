//go:build unix

package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	botmetrics "github.com/smsbot/smsbot/bot/metrics"
	"github.com/smsbot/smsbot/bot/telegramtest"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// Load benchmarks: the real bot (store on a temp file, watcher, sender, HTTP
// clients) against the fake SMSOnline and the fake Telegram with Telegram's
// flood limits on. Every figure is a ratio to a limit the outside world sets
// (polling, Telegram's 30 messages/s, the request cap), so it holds on a noisy
// machine. Run them with
//
//	go test -run '^$' -bench . -benchtime=1x ./bot/
//
// Each runs its scenario once per iteration and takes about a minute; nothing
// here runs during go test without -bench.

// benchScenario is the shape of one load scenario.
type benchScenario struct {
	accounts   int           // linked accounts, one Telegram user and private chat each
	watches    int           // watched orders, spread evenly over the accounts
	poll       time.Duration // POLL_INTERVAL
	maxRPS     float64       // SMSONLINE_MAX_RPS: 0 = no cap
	apiLatency time.Duration // added by the fake SMSOnline to every answer
	tgLatency  time.Duration // added by the fake Telegram to every answer
	metrics    bool          // METRICS_ADDR set: instrumented, and scraped every 5 s
}

// benchWatch is one watched order of a scenario.
type benchWatch struct {
	user    int64 // Telegram user id, also the id of its private chat
	smsUser string
	orderID string
}

// benchRig is one scenario's fakes, database and running bot.
type benchRig struct {
	b       *testing.B
	sc      benchScenario
	tg      *telegramtest.Server
	sms     *smsapitest.Server
	st      *store.Store
	dbPath  string // st's file and key, to open it again
	key     []byte
	checks  atomic.Int64 // orders the watcher looked at
	watches []benchWatch
	stop    func()
}

// newBenchRig creates the fakes and a database holding the scenario's
// accounts and watches. Each watch is first due at a random moment of the
// first poll interval after start, as if watches had been added at random
// times.
func newBenchRig(b *testing.B, sc benchScenario, smsOpts ...smsapitest.Option) *benchRig {
	b.Helper()
	ctx := context.Background()
	r := &benchRig{
		b:   b,
		sc:  sc,
		tg:  telegramtest.New(b, telegramtest.WithLimits(telegramtest.DefaultLimits()), telegramtest.WithLatency(sc.tgLatency)),
		sms: smsapitest.New(b, smsOpts...),
	}
	r.sms.SetLatency(sc.apiLatency)
	r.key = make([]byte, store.KeySize)
	rand.Read(r.key)
	r.dbPath = filepath.Join(b.TempDir(), "bot.db")
	st, err := store.Open(ctx, r.dbPath, r.key)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	r.st = st

	now := time.Now()
	for i := range sc.accounts {
		user, smsUser := benchUser(i)
		apiKey := fmt.Sprintf("sk-bench-%06d", i)
		r.sms.AddAccount(smsUser, apiKey, 100000)
		if _, err := st.SaveAccount(ctx, store.Account{TelegramUserID: user, SMSUserID: smsUser, APIKey: apiKey}, now); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now().Add(200 * time.Millisecond) // the bot runs by then
	ws := make([]store.Watch, 0, sc.watches)
	for j := range sc.watches {
		user, smsUser := benchUser(j % sc.accounts)
		o := smsapitest.NewOrder(fmt.Sprintf("%08d", 20000000+j))
		r.sms.AddOrder(smsUser, o)
		r.watches = append(r.watches, benchWatch{user: user, smsUser: smsUser, orderID: o.ID})
		ws = append(ws, store.Watch{
			TelegramUserID: user, OrderID: o.ID, ChatID: user,
			Service: o.Service, PhoneNumber: o.PhoneNumber, Status: o.Status, ExpiresAt: o.ExpiresAt,
			NextCheckAt: start.Add(mrand.N(sc.poll)),
		})
	}
	if _, err := st.AddWatches(ctx, ws, time.Now()); err != nil {
		b.Fatal(err)
	}
	return r
}

func benchUser(i int) (telegramUser int64, smsUser string) {
	return int64(100000 + i), fmt.Sprintf("u%06d", i)
}

// start runs the bot with the defaults but for the scenario's settings.
func (r *benchRig) start() {
	r.b.Helper()
	opts := []smsapi.Option{smsapi.WithMaxRPS(r.sc.maxRPS)}
	var m *botmetrics.Metrics
	if r.sc.metrics {
		m = botmetrics.New(r.st)
		opts = append(opts, smsapi.WithObserver(m.SMSOnline))
	}
	api, err := smsapi.New(r.sms.URL, opts...)
	if err != nil {
		r.b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bt, err := New(ctx, Config{
		Token:         r.tg.Token,
		APIURL:        r.tg.URL,
		PollInterval:  r.sc.poll,
		ShutdownGrace: 2 * time.Second,
		OnChecked:     func(n int) { r.checks.Add(int64(n)) },
		Metrics:       m,
	}, api, r.st)
	if err != nil {
		r.b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- bt.Run(ctx) }()
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		if m != nil {
			scrape(ctx, m.Handler(), 5*time.Second)
		}
	}()
	r.stop = func() {
		cancel()
		<-scraped
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				r.b.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			r.b.Error("bot did not stop within 15s")
		}
	}
	r.b.Cleanup(func() {
		if r.stop != nil {
			r.stop()
		}
	})
}

// scrape reads the metrics every interval, as Prometheus would, until ctx
// ends.
func scrape(ctx context.Context, h http.Handler, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil))
		}
	}
}

// halt stops the bot.
func (r *benchRig) halt() {
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
}

// scheduleSMS makes an SMS with a unique code appear for watch i at at, and
// has d expect it.
func (r *benchRig) scheduleSMS(d *deliveries, i int, at time.Time) {
	w := r.watches[i]
	code := fmt.Sprintf("%06d", 100000+i)
	r.sms.ScheduleSMS(w.smsUser, w.orderID, at, "Your Discord verification code is "+code+". Don't share it.")
	d.want[code] = at
}

// deliveries tracks which scheduled SMS codes reached Telegram, when first,
// and how often.
type deliveries struct {
	want  map[string]time.Time // code -> when its SMS appeared
	first map[string]time.Time // code -> first arrival at Telegram
	count map[string]int       // code -> messages that carried it
	seen  int                  // sent messages scanned so far
}

func newDeliveries() *deliveries {
	return &deliveries{want: map[string]time.Time{}, first: map[string]time.Time{}, count: map[string]int{}}
}

var benchCode = regexp.MustCompile(`\b\d{6}\b`)

// scan reads the messages Telegram accepted since the last scan.
func (d *deliveries) scan(tg *telegramtest.Server) {
	sent := tg.Sent()
	for _, m := range sent[d.seen:] {
		seen := map[string]bool{}
		for _, code := range benchCode.FindAllString(m.Text, -1) {
			if _, ok := d.want[code]; !ok || seen[code] {
				continue
			}
			seen[code] = true
			if d.count[code] == 0 {
				d.first[code] = m.At
			}
			d.count[code]++
		}
	}
	d.seen = len(sent)
}

// wait scans until every code arrived or deadline passes.
func (d *deliveries) wait(tg *telegramtest.Server, deadline time.Time) {
	for {
		d.scan(tg)
		if len(d.first) == len(d.want) || time.Now().After(deadline) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *deliveries) lost() int { return len(d.want) - len(d.first) }

func (d *deliveries) dup() int {
	n := 0
	for _, c := range d.count {
		n += c - 1
	}
	return n
}

// latencies returns, sorted, how long each delivered SMS took from appearing
// to reaching Telegram.
func (d *deliveries) latencies() []time.Duration {
	var out []time.Duration
	for code, at := range d.first {
		out = append(out, at.Sub(d.want[code]))
	}
	slices.Sort(out)
	return out
}

// quantile is the nearest-rank q-quantile of sorted ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds))*q+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// worst keeps, per metric, the worst value over a benchmark's iterations.
type worst struct {
	vals   map[string]float64
	higher map[string]bool // higher is better for these
	order  []string
}

func (w *worst) add(unit string, v float64, higherIsBetter bool) {
	if w.vals == nil {
		w.vals, w.higher = map[string]float64{}, map[string]bool{}
	}
	old, ok := w.vals[unit]
	switch {
	case !ok:
		w.order = append(w.order, unit)
		w.vals[unit], w.higher[unit] = v, higherIsBetter
	case higherIsBetter && v < old, !higherIsBetter && v > old:
		w.vals[unit] = v
	}
}

func (w *worst) report(b *testing.B) {
	for _, unit := range w.order {
		b.ReportMetric(w.vals[unit], unit)
	}
}

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
// most 5 % above the plain run's.
func BenchmarkScale(b *testing.B) {
	sc := benchScenario{accounts: 2000, watches: 20000, poll: 5 * time.Second}
	var res worst
	for b.Loop() {
		plain := scaleRun(b, sc, &res)
		withMetrics := sc
		withMetrics.metrics = true
		instrumented := scaleRun(b, withMetrics, nil)
		// METRICS_ADDR may cost at most 5 % more CPU per check.
		res.add("metrics-cpu/limit", instrumented/plain/1.05, false)
	}
	res.report(b)
}

// scaleRun runs BenchmarkScale's scenario once and returns its CPU seconds
// per 1,000 checks; res (nil for none) takes its figures.
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
	if res != nil {
		demanded := float64(sc.watches) / sc.poll.Seconds()
		res.add("achieved/demanded", float64(checks)/measure.Seconds()/demanded, true)
		res.add("cpu-s/1k-checks", cpuPer1k, false)
		res.add("B/check", float64(alloc)/float64(checks), false)
		res.add("peak-heap-MiB", float64(heap)/(1<<20), false)
		res.add("lost", float64(d.lost()), false)
		res.add("dup", float64(d.dup()), false)
	} else if d.lost() > 0 || d.dup() > 0 {
		b.Errorf("with metrics: lost %d, dup %d", d.lost(), d.dup())
	}
	return cpuPer1k
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

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// allocBytes is how many bytes the process has allocated on the heap so far.
func allocBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// watchHeap samples the heap (live and not yet collected objects) every
// 20 ms until the returned function is called, which returns the peak.
func watchHeap() (peak func() uint64) {
	var (
		mu   sync.Mutex
		top  uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			mu.Lock()
			top = max(top, s[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return top
	}
}
