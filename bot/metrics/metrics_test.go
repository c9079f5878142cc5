package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi"
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
}
