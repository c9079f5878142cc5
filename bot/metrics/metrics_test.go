package metrics

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

func TestSMSOutcome(t *testing.T) {
	for err, want := range map[error]string{
		nil: "ok",
		&smsapi.Error{Kind: smsapi.ErrBadCredentials}:                      "refused_key",
		&smsapi.Error{Kind: smsapi.ErrOrderNotFound}:                       "not_found",
		&smsapi.Error{Kind: smsapi.ErrRateLimited}:                         "rate_limited",
		&smsapi.Error{Kind: smsapi.ErrTransient}:                           "transient",
		&smsapi.Error{Kind: smsapi.ErrMalformed}:                           "malformed",
		&smsapi.Error{Kind: context.DeadlineExceeded}:                      "timeout",
		&smsapi.Error{Kind: smsapi.ErrOutOfStock}:                          "refused",
		fmt.Errorf("wrapped: %w", &smsapi.Error{Kind: smsapi.ErrRejected}): "refused",
	} {
		if got := smsOutcome(err); got != want {
			t.Errorf("smsOutcome(%v) = %q, want %q", err, got, want)
		}
	}
}

// TestNilRecordsNothing: with METRICS_ADDR off the bot holds a nil
// *Metrics, and every hook must be safe to call.
func TestNilRecordsNothing(t *testing.T) {
	var m *Metrics
	m.Update("message")
	m.Command("order")
	m.SMSOnline("get order", nil, time.Second)
	m.Telegram("sendMessage", "rate_limited")
	m.PushDelivered(time.Now(), time.Now())
	m.CheckStarted(time.Now(), time.Now())
	m.MoneyAction("buy", "done")
	m.RuleStep(RuleRefunded)
	m.SMSOnlineUnexpected("get order", smsapi.UnexpectedStatusWord)
}

// TestRuleStepsAreCounted: the no-SMS rule's steps by outcome, every
// outcome named in the help so an operator can read them off /metrics.
func TestRuleStepsAreCounted(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"), make([]byte, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := New(st)
	m.RuleStep(RuleRefunded)
	m.RuleStep(RuleRefunded)
	m.RuleStep(RuleReplaced)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{`smsbot_rule_steps_total{outcome="refunded"} 2`, `smsbot_rule_steps_total{outcome="replaced"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, o := range RuleOutcomes {
		if !strings.Contains(body, o) {
			t.Errorf("help does not name outcome %q", o)
		}
	}
}
