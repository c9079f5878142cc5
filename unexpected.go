package main

import (
	"log/slog"
	"sync"
	"time"

	"github.com/smsbot/smsbot/bot/metrics"
)

// unexpectedLogEvery is how often one kind of unexpected answer is logged:
// a changed shape repeats on every request, the metric counts them all.
const unexpectedLogEvery = time.Hour

// unexpectedReport counts SMSOnline answers that differ from what the bot
// assumes and logs each kind (call and what) once per unexpectedLogEvery. It
// is the bot's smsapi.Unexpected; the values it gets are already redacted.
type unexpectedReport struct {
	metrics *metrics.Metrics // nil: not counted
	logger  *slog.Logger
	now     func() time.Time

	mu     sync.Mutex
	logged map[[2]string]time.Time // by call and what: when last logged
}

func newUnexpectedReport(m *metrics.Metrics, logger *slog.Logger) *unexpectedReport {
	return &unexpectedReport{metrics: m, logger: logger, now: time.Now, logged: make(map[[2]string]time.Time)}
}

// report is an smsapi.Unexpected.
func (r *unexpectedReport) report(call, what, value string) {
	r.metrics.SMSOnlineUnexpected(call, what)
	kind, now := [2]string{call, what}, r.now()
	r.mu.Lock()
	last, seen := r.logged[kind]
	due := !seen || now.Sub(last) >= unexpectedLogEvery
	if due {
		r.logged[kind] = now
	}
	r.mu.Unlock()
	if due {
		r.logger.Warn("SMSOnline answered differently from what the bot assumes; run `smsbot check-api`",
			"call", call, "what", what, "value", value, "next_log_in", unexpectedLogEvery)
	}
}
