//go:build unix

package bot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/watch"
	"github.com/smsbot/smsbot/smsapi/smsapitest"
	"github.com/smsbot/smsbot/store"
)

// BenchmarkRestart: the bot stopped (crashed) with 20,000 watches over 1,000
// accounts, none with an SMS yet, and 1,000 pushes still in the outbox, one
// per chat; it starts again at the default POLL_INTERVAL. The start counts
// from opening the database, as main does. The first push must reach
// Telegram within 2 s, the last within 1.15 × 1000/30 s (Telegram's 30
// messages/s); none may be lost or sent twice.
func BenchmarkRestart(b *testing.B) {
	sc := benchScenario{accounts: 1000, watches: 20000, poll: watch.DefaultPollInterval}
	const (
		pushes     = 1000
		firstLimit = 2 * time.Second
	)
	limit := pushes * time.Second / 30 * 115 / 100
	var res worst
	for b.Loop() {
		b.StopTimer()
		r := newBenchRig(b, sc, smsapitest.WithoutLog())
		codes := r.pendingPushes(pushes)
		r.crash()
		d := newDeliveries()
		b.StartTimer()
		start := time.Now()
		r.reopen()
		r.start()
		for _, code := range codes {
			d.want[code] = start
		}
		d.wait(r.tg, start.Add(3*limit))
		time.Sleep(sc.poll) // time for a duplicate to show
		d.scan(r.tg)
		r.halt()

		lat := d.latencies()
		res.add("first/2s", quantile(lat, 0).Seconds()/firstLimit.Seconds(), false)
		res.add("last/limit", quantile(lat, 1).Seconds()/limit.Seconds(), false)
		res.add("429s", float64(r.tg.Count429()), false)
		res.add("lost", float64(d.lost()), false)
		res.add("dup", float64(d.dup()), false)
	}
	res.report(b)
}

// pendingPushes puts n pushes in the outbox, due at once, each to the chat
// of a different account and about one of its orders, and returns the
// distinct code each carries.
func (r *benchRig) pendingPushes(n int) []string {
	r.b.Helper()
	if n > r.sc.accounts {
		r.b.Fatalf("%d pushes need as many accounts, have %d", n, r.sc.accounts)
	}
	ctx := context.Background()
	codes := make([]string, n)
	for k := range n {
		w := r.watches[k] // watch k belongs to account k while k < accounts
		codes[k] = fmt.Sprintf("%06d", 300000+k)
		m := store.Message{
			ChatID: w.user, TelegramUserID: w.user, OrderID: w.orderID, Priority: store.PriorityPush,
			Text: fmt.Sprintf("SMS for order %s: <code>%s</code>", w.orderID, codes[k]),
		}
		if _, err := r.st.Enqueue(ctx, m, time.Now()); err != nil {
			r.b.Fatal(err)
		}
	}
	return codes
}

// crash leaves the rig with its database as a killed bot would: it copies
// the main file and the WAL, as last written and not checkpointed, to a new
// folder, points the rig at the copy and closes the original.
func (r *benchRig) crash() {
	r.b.Helper()
	crashed := filepath.Join(r.b.TempDir(), "bot.db")
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(r.dbPath + suffix)
		if err != nil {
			r.b.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, data, 0o600); err != nil {
			r.b.Fatal(err)
		}
	}
	if err := r.st.Close(); err != nil {
		r.b.Fatal(err)
	}
	r.dbPath, r.st = crashed, nil
}

// reopen opens the rig's database again, as the bot's main does after a
// restart.
func (r *benchRig) reopen() {
	r.b.Helper()
	st, err := store.OpenExclusive(context.Background(), r.dbPath, r.key)
	if err != nil {
		r.b.Fatal(err)
	}
	r.b.Cleanup(func() { st.Close() })
	r.st = st
}
