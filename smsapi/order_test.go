package smsapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestGetOrderDecodesDocumentedExample(t *testing.T) {
	api := newFakeAPI(t, respond(http.StatusOK, `{"ok":true,"body":[`+documentedOrder+`]}`, "Content-Type", "application/json"))
	c := newTestClient(t, api.URL)

	got, err := c.GetOrder(t.Context(), testCred, "20046875")
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	want := Order{
		ID:            "20046875",
		ServiceCode:   "ds",
		CountryCode:   "12",
		Country:       "United States",
		Service:       "Discord",
		Carrier:       "any",
		PhoneNumber:   "1234567890",
		Price:         Cents(16),
		Status:        "completed",
		SMS:           "123456",
		OrderedAt:     time.Date(2025, 5, 17, 5, 47, 13, 0, time.UTC),
		ExpiresAt:     time.Date(2025, 5, 17, 6, 7, 13, 0, time.UTC),
		LastCheckedAt: time.Date(2025, 5, 17, 5, 48, 38, 0, time.UTC),
	}
	if got != want {
		t.Errorf("GetOrder =\n%+v\nwant\n%+v", got, want)
	}
	for _, ts := range []time.Time{got.OrderedAt, got.ExpiresAt, got.LastCheckedAt} {
		if ts.Location() != time.UTC {
			t.Errorf("time %v is in %v, want UTC", ts, ts.Location())
		}
	}
	if got.State() != StateReceived || !got.HasSMS() {
		t.Errorf("State() = %v, HasSMS() = %v; want received, true", got.State(), got.HasSMS())
	}
}

func TestDecodeOrderBodyLenient(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Order // compared field by field where set below
		kind error // nil for success
	}{
		{
			name: "numeric orderId, string price, null SMS, unknown fields",
			body: `[{"orderId":20046875,"purchasePrice":"0.5","receivedSMS":null,"status":" pending ","extra":{"x":1}}]`,
			want: Order{ID: "20046875", Price: Cents(50), Status: "pending"}, // "0.5" is dollars
		},
		{
			name: "numeric SMS, number price with exponent",
			body: `[{"orderId":"20046875","receivedSMS":123456,"purchasePrice":1.6e1,"status":"completed"}]`,
			want: Order{ID: "20046875", SMS: "123456", Price: Cents(16), Status: "completed"},
		},
		{
			name: "whole SMS text is trimmed",
			body: `[{"orderId":"20046875","receivedSMS":"  Your Discord code is 123456\n","status":"COMPLETED"}]`,
			want: Order{ID: "20046875", SMS: "Your Discord code is 123456", Status: "COMPLETED"},
		},
		{
			name: "RFC 3339 times are converted to UTC",
			body: `[{"orderId":"20046875","orderedAt":"2025-05-17T07:47:13+02:00","expiredAt":"2025-05-17T06:07:13Z","lastCheckedAt":"garbage","status":"pending"}]`,
			want: Order{
				ID: "20046875", Status: "pending",
				OrderedAt: time.Date(2025, 5, 17, 5, 47, 13, 0, time.UTC),
				ExpiresAt: time.Date(2025, 5, 17, 6, 7, 13, 0, time.UTC),
			},
		},
		{
			name: "picks the requested order out of several",
			body: `[{"orderId":"1","status":"pending"},{"orderId":"20046875","status":"completed","receivedSMS":"42"}]`,
			want: Order{ID: "20046875", Status: "completed", SMS: "42"},
		},
		{
			name: "single element without orderId is the order",
			body: `[{"status":"pending","phoneNumber":1234567890}]`,
			want: Order{ID: "20046875", Status: "pending", PhoneNumber: "1234567890"},
		},
		{
			name: "lone object instead of an array",
			body: `{"orderId":"20046875","status":"pending"}`,
			want: Order{ID: "20046875", Status: "pending"},
		},
		{name: "empty array", body: `[]`, kind: ErrOrderNotFound},
		{name: "only other orders", body: `[{"orderId":"1","status":"pending"}]`, kind: ErrMalformed},
		{name: "two elements without ids", body: `[{"status":"pending"},{"status":"pending"}]`, kind: ErrMalformed},
		{name: "element with no order fields", body: `[{"foo":1}]`, kind: ErrMalformed},
		{name: "SMS as an object", body: `[{"orderId":"20046875","receivedSMS":{"a":1}}]`, kind: ErrMalformed},
		{name: "body is a string", body: `"hello"`, kind: ErrMalformed},
		{name: "body is null", body: `null`, kind: ErrMalformed},
		{name: "array of numbers", body: `[1,2]`, kind: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeOrderBody(json.RawMessage(tt.body), "20046875", testKey)
			if tt.kind != nil {
				if !errors.Is(err, tt.kind) {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeOrderBody: %v", err)
			}
			if got != tt.want {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestOrderState(t *testing.T) {
	tests := []struct {
		status string
		want   State
	}{
		{"completed", StateReceived},
		{"Complete", StateReceived},
		{" COMPLETED ", StateReceived},
		{"cancelled", StateFinal},
		{"Canceled", StateFinal},
		{"REFUNDED", StateFinal},
		{"expired", StateFinal},
		{"pending", StateWaiting},
		{"waiting", StateWaiting},
		{"", StateWaiting},
		{"something new", StateWaiting},
	}
	for _, tt := range tests {
		if got := (Order{Status: tt.status}).State(); got != tt.want {
			t.Errorf("Order{Status: %q}.State() = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestOrderRefunded(t *testing.T) {
	for status, want := range map[string]bool{
		"refunded": true, " Refunded ": true, "REFUNDED": true,
		"cancelled": false, "canceled": false, "expired": false, "completed": false, "pending": false, "": false,
	} {
		if got := (Order{Status: status}).Refunded(); got != want {
			t.Errorf("Order{Status: %q}.Refunded() = %v, want %v", status, got, want)
		}
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{StateWaiting: "waiting", StateReceived: "received", StateFinal: "final", State(9): "State(9)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

func TestFlexTime(t *testing.T) {
	utc := time.Date(2025, 5, 17, 5, 47, 13, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{`"2025-05-17 05:47:13"`, utc},
		{`"2025-05-17T05:47:13Z"`, utc},
		{`"2025-05-17T08:47:13+03:00"`, utc},
		{`"2025-05-17T05:47:13"`, utc},
		{`1747460833`, utc},
		{`"1747460833000"`, utc},
		{`null`, time.Time{}},
		{`""`, time.Time{}},
		{`"17/05/2025"`, time.Time{}},
		{`{"a":1}`, time.Time{}},
		{`0`, time.Time{}},
	}
	for _, tt := range tests {
		var ft flexTime
		if err := json.Unmarshal([]byte(tt.in), &ft); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if got := time.Time(ft); !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Errorf("flexTime(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
