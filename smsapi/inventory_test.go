package smsapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/smsbot/smsbot/smsapi/smsapitest"
)

func TestInventory(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantIDs []string
		kind    error
	}{
		{name: "orders", body: `[` + documentedOrder + `,{"orderId":7,"status":"pending"}]`, wantIDs: []string{"20046875", "7"}},
		{name: "empty", body: `[]`, wantIDs: []string{}},
		{name: "null", body: `null`, wantIDs: []string{}},
		{name: "element without id", body: `[{"status":"pending"}]`, wantIDs: []string{""}},
		{name: "object", body: `{"orderId":"1"}`, kind: ErrMalformed},
		{name: "numbers", body: `[1]`, kind: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, respond(http.StatusOK, `{"ok":true,"body":`+tt.body+`}`))
			got, err := newTestClient(t, api.URL).Inventory(t.Context(), testCred, 3)
			if tt.kind != nil {
				if !isKind(err, tt.kind) {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("Inventory: %v", err)
			}
			if got == nil {
				t.Fatal("Inventory returned a nil slice")
			}
			var ids []string
			for _, o := range got {
				ids = append(ids, o.ID)
			}
			if len(ids) != len(tt.wantIDs) {
				t.Fatalf("ids = %q, want %q", ids, tt.wantIDs)
			}
			for i := range ids {
				if ids[i] != tt.wantIDs[i] {
					t.Errorf("ids = %q, want %q", ids, tt.wantIDs)
				}
			}
		})
	}
}

func TestInventoryAgainstFakeServer(t *testing.T) {
	srv := smsapitest.New(t)
	srv.AddAccount("user_1", testKey, 0)
	old := smsapitest.NewOrder("old")
	old.ExpiresAt = time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	srv.AddOrder("user_1", old)
	srv.AddOrder("user_1", smsapitest.NewOrder("live"))
	c := newTestClient(t, srv.URL)

	for _, tt := range []struct {
		limit int
		want  int
	}{{0, 1}, {1, 2}} {
		got, err := c.Inventory(t.Context(), testCred, tt.limit)
		if err != nil {
			t.Fatalf("Inventory(%d): %v", tt.limit, err)
		}
		if len(got) != tt.want {
			t.Errorf("Inventory(%d) has %d orders, want %d", tt.limit, len(got), tt.want)
		}
	}
	got, _ := c.Inventory(t.Context(), testCred, 5)
	if len(got) != 2 || got[0].ID != "old" || got[0].State() != StateFinal || got[1].ID != "live" || got[1].State() != StateWaiting {
		t.Errorf("Inventory = %+v, want old (expired) then live (waiting)", got)
	}
}
