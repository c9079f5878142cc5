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
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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
	rule       store.Rule    // every account's rule for numbers that get no SMS; zero: none set
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
	metrics *botmetrics.Metrics // the running bot's, when the scenario has them
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
		if sc.rule.Kind != "" {
			if err := st.SetRule(ctx, user, sc.rule, now); err != nil {
				b.Fatal(err)
			}
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

// start runs the bot with the defaults but for the scenario's settings, and
// then for opts.
func (r *benchRig) start(opts ...func(*Config)) {
	r.b.Helper()
	apiOpts := []smsapi.Option{smsapi.WithMaxRPS(r.sc.maxRPS)}
	var m *botmetrics.Metrics
	if r.sc.metrics {
		m = botmetrics.New(r.st)
		apiOpts = append(apiOpts, smsapi.WithObserver(m.SMSOnline))
	}
	r.metrics = m
	api, err := smsapi.New(r.sms.URL, apiOpts...)
	if err != nil {
		r.b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{
		Token:         r.tg.Token,
		APIURL:        r.tg.URL,
		PollInterval:  r.sc.poll,
		ShutdownGrace: 2 * time.Second,
		OnChecked:     func(n int) { r.checks.Add(int64(n)) },
		Metrics:       m,
	}
	for _, o := range opts {
		o(&cfg)
	}
	bt, err := New(ctx, cfg, api, r.st)
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
