// Package metrics is the bot's Prometheus instrumentation: what an operator
// needs to see whether the bot keeps up (updates and commands, SMSOnline and
// Telegram requests by outcome, watches, the outbox, the delay of a code, the
// lag of checks, money actions). No label carries a user id, an order id or
// anything secret: labels are the names of calls, commands and outcomes.
//
// A nil *Metrics is valid and records nothing, so the code it instruments
// needs no checks when METRICS_ADDR is off.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

// Metrics holds the bot's collectors.
type Metrics struct {
	reg *prometheus.Registry

	updates      *prometheus.CounterVec
	commands     *prometheus.CounterVec
	smsRequests  *prometheus.CounterVec
	smsDuration  *prometheus.HistogramVec
	tgRequests   *prometheus.CounterVec
	tgLimited    prometheus.Counter
	pushDelay    prometheus.Histogram
	checkLag     prometheus.Histogram
	moneyActions *prometheus.CounterVec
	ruleSteps    *prometheus.CounterVec
	unexpected   *prometheus.CounterVec
}

// New creates the collectors, with the Go runtime's and the process's, and
// the gauges read from st at each scrape.
func New(st *store.Store) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbot_updates_total", Help: "Telegram updates handled, by type (message, callback).",
		}, []string{"type"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbot_commands_total", Help: "Commands handled, by command (other for unknown ones).",
		}, []string{"command"}),
		smsRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbot_smsonline_requests_total", Help: "SMSOnline requests sent, by call and outcome.",
		}, []string{"call", "outcome"}),
		smsDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "smsbot_smsonline_request_duration_seconds", Help: "Time of an SMSOnline exchange, by call.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 15},
		}, []string{"call"}),
		tgRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbot_telegram_requests_total", Help: "Telegram calls whose effect a user sees (sends, edits, answers), by method and outcome.",
		}, []string{"method", "outcome"}),
		tgLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "smsbot_telegram_rate_limited_total", Help: "Telegram answers 429 Too Many Requests.",
		}),
		pushDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "smsbot_push_delay_seconds", Help: "From an SMS first seen to Telegram accepting its push.",
			Buckets: []float64{.1, .25, .5, 1, 2, 3, 5, 10, 30, 60, 300},
		}),
		checkLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "smsbot_check_lag_seconds", Help: "From a watch falling due to its check starting.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60},
		}),
		moneyActions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbot_money_actions_total", Help: "Refunds and purchases, by kind and outcome (done, failed, unknown when sent; settled_done, settled_failed when reconciled).",
		}, []string{"kind", "outcome"}),
		ruleSteps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbot_rule_steps_total", Help: "Steps of the rule for numbers that get no SMS, by outcome (" + strings.Join(RuleOutcomes, ", ") + ").",
		}, []string{"outcome"}),
		unexpected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsbot_smsonline_unexpected_total", Help: "SMSOnline answers that differ from what the bot assumes, by call and what differed (missing_field, other_type, unreadable_money, unknown_status, unknown_error_shape).",
		}, []string{"call", "what"}),
	}
	m.reg.MustRegister(m.updates, m.commands, m.smsRequests, m.smsDuration, m.tgRequests, m.tgLimited,
		m.pushDelay, m.checkLag, m.moneyActions, m.ruleSteps, m.unexpected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{st: st})
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Update counts an update of type kind ("message", "callback").
func (m *Metrics) Update(kind string) {
	if m != nil {
		m.updates.WithLabelValues(kind).Inc()
	}
}

// Command counts a handled command; name is one of the bot's commands or
// "other".
func (m *Metrics) Command(name string) {
	if m != nil {
		m.commands.WithLabelValues(name).Inc()
	}
}

// SMSOnline is an smsapi.Observer.
func (m *Metrics) SMSOnline(op string, err error, took time.Duration) {
	if m == nil {
		return
	}
	m.smsRequests.WithLabelValues(op, smsOutcome(err)).Inc()
	m.smsDuration.WithLabelValues(op).Observe(took.Seconds())
}

// SMSOnlineUnexpected counts an SMSOnline answer that differs from what the
// bot assumes: call is an smsapi operation, what one of smsapi's Unexpected*
// kinds, both bounded sets.
func (m *Metrics) SMSOnlineUnexpected(call, what string) {
	if m != nil {
		m.unexpected.WithLabelValues(call, what).Inc()
	}
}

// smsOutcome names the kind of an SMSOnline answer.
func smsOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, smsapi.ErrBadCredentials):
		return "refused_key"
	case errors.Is(err, smsapi.ErrOrderNotFound):
		return "not_found"
	case errors.Is(err, smsapi.ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, smsapi.ErrTransient):
		return "transient"
	case errors.Is(err, smsapi.ErrMalformed):
		return "malformed"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "refused" // the API said no: rejected, price changed, out of stock, low balance
}

// Telegram counts a Telegram call: outcome is "ok", "rate_limited",
// "refused" (an answer with ok:false) or "error" (no answer).
func (m *Metrics) Telegram(method, outcome string) {
	if m == nil {
		return
	}
	m.tgRequests.WithLabelValues(method, outcome).Inc()
	if outcome == "rate_limited" {
		m.tgLimited.Inc()
	}
}

// PushDelivered records the delay of a push Telegram accepted: from the SMS
// first seen (the push written) to now.
func (m *Metrics) PushDelivered(seen, now time.Time) {
	if m != nil && !seen.IsZero() {
		m.pushDelay.Observe(max(now.Sub(seen), 0).Seconds())
	}
}

// CheckStarted records the lag of a check: from due to now.
func (m *Metrics) CheckStarted(due, now time.Time) {
	if m != nil && !due.IsZero() {
		m.checkLag.Observe(max(now.Sub(due), 0).Seconds())
	}
}

// MoneyAction counts a money action's outcome.
func (m *Metrics) MoneyAction(kind store.ActionKind, outcome string) {
	if m != nil {
		m.moneyActions.WithLabelValues(string(kind), outcome).Inc()
	}
}

// The outcomes of a step of the rule for numbers that get no SMS: a
// bounded set, so the label stays small.
const (
	RuleRefunded      = "refunded"       // the number was refunded
	RuleReplaced      = "replaced"       // a chain bought the next number
	RuleSMS           = "sms"            // an SMS came (or the order ended) first: nothing to do
	RuleRefundRefused = "refund_refused" // SMSOnline refused the refund; tried once more later
	RuleGaveUp        = "gave_up"        // a second refusal: the rule stops for the number
	RuleBuyRefused    = "buy_refused"    // the chain's purchase was refused: it buys no more
	RuleWaiting       = "waiting"        // an earlier step's outcome is still unknown, or SMSOnline could not be read
	RulePending       = "pending"        // this step's outcome is unknown; the reconciler settles it
	RuleStopped       = "stopped"        // the number's chain was stopped
)

// RuleOutcomes lists the outcomes RuleStep counts.
var RuleOutcomes = []string{RuleRefunded, RuleReplaced, RuleSMS, RuleRefundRefused, RuleGaveUp, RuleBuyRefused, RuleWaiting, RulePending, RuleStopped}

// RuleStep counts one step of the rule for numbers that get no SMS.
func (m *Metrics) RuleStep(outcome string) {
	if m != nil {
		m.ruleSteps.WithLabelValues(outcome).Inc()
	}
}

// storeCollector reads the gauges that live in the database at scrape time.
type storeCollector struct{ st *store.Store }

var (
	watchesDesc      = prometheus.NewDesc("smsbot_watches", "Watched orders, by state (active, paused).", []string{"state"}, nil)
	outboxDesc       = prometheus.NewDesc("smsbot_outbox_messages", "Messages waiting in the outbox.", nil, nil)
	outboxOldestDesc = prometheus.NewDesc("smsbot_outbox_oldest_age_seconds", "Age of the oldest message in the outbox; 0 when empty.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- watchesDesc
	ch <- outboxDesc
	ch <- outboxOldestDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if counts, err := c.st.WatchCounts(ctx); err == nil {
		for state, n := range counts {
			ch <- prometheus.MustNewConstMetric(watchesDesc, prometheus.GaugeValue, float64(n), string(state))
		}
	} else {
		ch <- prometheus.NewInvalidMetric(watchesDesc, err)
	}
	n, oldest, err := c.st.OutboxStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n))
	age := 0.0
	if !oldest.IsZero() {
		age = max(time.Since(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, age)
}
