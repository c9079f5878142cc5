package smsapi

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeOrder feeds any bytes as the body of an order call's answer,
// under several statuses. Whatever the body, decoding must not panic, a
// success must be the requested order, a failure must be an *Error of a known
// kind, and no error text may show the API key.
func FuzzDecodeOrder(f *testing.F) {
	const id, key = "20046875", "FuzzKey-7Q9"
	f.Add([]byte(`{"ok":true,"body":[` + documentedOrder + `]}`))
	f.Add([]byte(`{"ok":false,"errorMessage":"Invalid API key FuzzKey-7Q9"}`))
	f.Add([]byte(`{"ok":true,"body":[{"orderId":20046875,"purchasePrice":"0.5","receivedSMS":null}]}`))
	f.Add([]byte(`{"ok":true,"body":[]}`))
	f.Add([]byte(`<html>502</html>`))

	header := http.Header{"Retry-After": {"3"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 400, 404, 429, 500} {
			r := rawResponse{status: status, header: header, body: body}
			raw, err := r.parse(opGetOrder, key, time.Unix(0, 0))
			if err == nil {
				var o Order
				if o, err = decodeOrderBody(raw, id, key); err == nil && o.ID != id {
					t.Fatalf("status %d: decoded order %q, asked for %q", status, o.ID, id)
				}
			}
			if err == nil {
				continue
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("status %d: error %v (%T) is not an *Error", status, err, err)
			}
			known := false
			for _, k := range allKinds {
				known = known || e.Kind == k
			}
			if !known {
				t.Fatalf("status %d: unknown kind %v", status, e.Kind)
			}
			if msg := err.Error(); strings.Contains(msg, key) {
				t.Fatalf("status %d: key leaked into %q", status, msg)
			}
		}
	})
}
