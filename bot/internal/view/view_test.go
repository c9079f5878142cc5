package view

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/smsapi"
	"github.com/smsbot/smsbot/store"
)

func TestOrderStateIsSMSAPIs(t *testing.T) {
	for status, want := range map[string]message.State{
		"pending": message.StateWaiting, "": message.StateWaiting, "<retrying>": message.StateWaiting,
		"Completed": message.StateReceived, "complete": message.StateReceived,
		"cancelled": message.StateFinal, "Canceled": message.StateFinal, "refunded": message.StateFinal, " expired ": message.StateFinal,
	} {
		if got := Order(smsapi.Order{Status: status}).State; got != want {
			t.Errorf("Order(status %q).State = %v, want %v", status, got, want)
		}
	}
}

func TestWatchPaused(t *testing.T) {
	for state, want := range map[store.WatchState]bool{store.WatchActive: false, store.WatchPaused: true} {
		if got := Watch(store.Watch{State: state, TelegramUserID: 7}); got.Paused != want || got.Owner != 7 {
			t.Errorf("Watch(%s) = %+v", state, got)
		}
	}
}

func TestFailureKinds(t *testing.T) {
	limited := &smsapi.Error{Op: "buy", Kind: smsapi.ErrRateLimited, RetryAfter: 90 * time.Second}
	for _, tt := range []struct {
		err  error
		want message.APIFailure
	}{
		{smsapi.ErrOrderNotFound, message.APIFailure{Kind: message.ErrorOrderNotFound}},
		{smsapi.ErrBadCredentials, message.APIFailure{Kind: message.ErrorBadCredentials}},
		{fmt.Errorf("check: %w", limited), message.APIFailure{Kind: message.ErrorRateLimited, RetryAfter: 90 * time.Second}},
		{smsapi.ErrRateLimited, message.APIFailure{Kind: message.ErrorRateLimited}},
		{smsapi.ErrTransient, message.APIFailure{Kind: message.ErrorTransient}},
		{smsapi.ErrMalformed, message.APIFailure{Kind: message.ErrorMalformed}},
		{smsapi.ErrRejected, message.APIFailure{Kind: message.ErrorRejected}},
		{smsapi.ValidateOrderID("a/b"), message.APIFailure{Kind: message.ErrorInvalidInput}},
		{errors.New("disk full"), message.APIFailure{Kind: message.ErrorUnknown}},
		{nil, message.APIFailure{Kind: message.ErrorUnknown}},
	} {
		if got := Failure(tt.err); got != tt.want {
			t.Errorf("Failure(%v) = %+v, want %+v", tt.err, got, tt.want)
		}
	}
}
