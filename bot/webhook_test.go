package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/smsbot/smsbot/bot/message"
	"github.com/smsbot/smsbot/bot/telegramtest"
)

const hookSecret = "hook_Secret-0123456789"

// withWebhook runs the bot in webhook mode on a fresh local port at every
// start, as a restart behind a proxy would.
func withWebhook(t *testing.T) harnessOption {
	return func(c *Config) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.Webhook = &Webhook{URL: "http://" + ln.Addr().String() + "/telegram/hook", Secret: hookSecret, Listener: ln}
	}
}

// waitWebhook waits until the running bot set its webhook.
func (h *harness) waitWebhook() {
	h.t.Helper()
	h.tg.WaitFor(h.t, 10*time.Second, func() bool { return h.tg.Webhook() == h.bot.cfg.Webhook.URL })
}

// deliver delivers every queued update to the webhook.
func (h *harness) deliver() {
	h.t.Helper()
	left, err := h.tg.DeliverWebhook(context.Background())
	if err != nil || left != 0 {
		h.t.Fatalf("DeliverWebhook = %d left, %v", left, err)
	}
}

// answeredPresses returns, for each answered press, how many times it was
// answered, and each user's presses in the order they were answered.
func (h *harness) answeredPresses() (times map[string]int, order map[int64][]int64) {
	times, order = map[string]int{}, map[int64][]int64{}
	owner := map[string]int64{}
	for _, u := range h.sentUpdates {
		if q := u.CallbackQuery; q != nil {
			owner[q.ID] = q.From.ID
		}
	}
	for _, c := range h.tg.CallsTo("answerCallbackQuery") {
		id := c.Params["callback_query_id"]
		times[id]++
		n, _ := strconv.ParseInt(id, 10, 64)
		order[owner[id]] = append(order[owner[id]], n)
	}
	return times, order
}

func TestWebhookSetsItselfAndRefusesStrangers(t *testing.T) {
	h := newHarness(t, withWebhook(t))
	h.waitWebhook()
	got := h.tg.WebhookParams()
	want := telegramtest.WebhookParams{URL: h.bot.cfg.Webhook.URL, SecretToken: hookSecret,
		MaxConnections: h.bot.cfg.Workers, AllowedUpdates: []string{"message", "callback_query"}}
	if got.URL != want.URL || got.SecretToken != want.SecretToken || got.MaxConnections != want.MaxConnections ||
		!slices.Equal(got.AllowedUpdates, want.AllowedUpdates) {
		t.Errorf("setWebhook with %+v, want %+v", got, want)
	}

	h.tg.SendText(alice, aliceChat, "hello?")
	u := h.tg.Queued()[0]
	body, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name, method, secret string
		body                 []byte
		want                 int
	}{
		{"no secret", http.MethodPost, "", body, http.StatusUnauthorized},
		{"wrong secret", http.MethodPost, hookSecret + "x", body, http.StatusUnauthorized},
		{"GET", http.MethodGet, hookSecret, nil, http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, hookSecret, body, http.StatusMethodNotAllowed},
		{"huge body", http.MethodPost, hookSecret, bytes.Repeat([]byte(" "), 2<<20), http.StatusRequestEntityTooLarge},
		{"not an update", http.MethodPost, hookSecret, []byte(`{"message":`), http.StatusBadRequest},
	} {
		status, err := h.tg.PostWebhook(ctx, tt.method, tt.secret, tt.body)
		if err != nil || status != tt.want {
			t.Errorf("%s: status %d, %v; want %d", tt.name, status, err, tt.want)
		}
	}
	if sent := h.tg.SentTo(aliceChat.ID); len(sent) != 0 {
		t.Fatalf("refused requests were answered in the chat: %v", sent)
	}

	// The refused update was not recorded: sent properly, it is handled,
	// once however often it comes.
	for range 3 {
		if status, err := h.tg.PostUpdate(ctx, u); err != nil || status != http.StatusOK {
			t.Fatalf("PostUpdate = %d, %v", status, err)
		}
	}
	h.tg.WaitFor(t, 5*time.Second, func() bool { return len(h.tg.SentTo(aliceChat.ID)) > 0 })
	h.waitHandledIDs(u.ID)
	if sent := h.tg.SentTo(aliceChat.ID); len(sent) != 1 || sent[0].Text != en.T(message.Unknown) {
		t.Errorf("the update sent three times was answered %d times: %v", len(sent), sent)
	}
}

// waitHandledIDs waits until the bot recorded update id as handled and no
// handler runs or waits.
func (h *harness) waitHandledIDs(id int64) {
	h.t.Helper()
	h.tg.WaitFor(h.t, 10*time.Second, func() bool {
		off, err := h.store.UpdateOffset(context.Background())
		return err == nil && off >= id && h.bot.queue.idle()
	})
}

// pressMany queues n presses from each of users, interleaved, and records
// them in h.sentUpdates.
func (h *harness) pressMany(users []telegramtest.User, n int) {
	for i := range n {
		for _, u := range users {
			h.tg.PressButton(u, telegramtest.PrivateChat(u), 1000+i, "x")
		}
	}
	h.sentUpdates = append(h.sentUpdates, h.tg.Queued()...)
}

func someUsers(n int) []telegramtest.User {
	users := make([]telegramtest.User, n)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(5000 + i), FirstName: "U" + strconv.Itoa(i)}
	}
	return users
}

// assertEachOnceInOrder checks that every press sent was answered exactly
// once and each user's in the order pressed.
func (h *harness) assertEachOnceInOrder(total int) {
	h.t.Helper()
	times, order := h.answeredPresses()
	if len(times) != total {
		h.t.Errorf("%d presses answered, want %d", len(times), total)
	}
	for id, n := range times {
		if n != 1 {
			h.t.Errorf("press %s answered %d times", id, n)
		}
	}
	for user, ids := range order {
		if !slices.IsSorted(ids) {
			h.t.Errorf("user %d's presses answered out of order: %v", user, ids)
		}
	}
}

func TestWebhookBurstHandledOnceInOrder(t *testing.T) {
	const users, each = 50, 20
	h := newHarness(t, withWebhook(t), withConfig(func(c *Config) { c.CommandBurst = each }))
	h.waitWebhook()
	h.pressMany(someUsers(users), each)
	h.deliver()
	h.tg.WaitFor(t, 30*time.Second, func() bool { return len(h.tg.CallsTo("answerCallbackQuery")) >= users*each })
	h.waitHandled()

	// Telegram sends some again (it got no 200 in time, say): nothing more happens.
	ctx := context.Background()
	for _, u := range h.sentUpdates[:100] {
		if status, err := h.tg.PostUpdate(ctx, u); err != nil || status != http.StatusOK {
			t.Fatalf("PostUpdate again = %d, %v", status, err)
		}
	}
	h.waitHandled()
	h.assertEachOnceInOrder(users * each)
}

func TestWebhookRestartInTheMiddle(t *testing.T) {
	const users, each = 10, 30
	h := newHarness(t, withWebhook(t), withConfig(func(c *Config) { c.CommandBurst = each }))
	h.waitWebhook()
	h.pressMany(someUsers(users), each)
	delivered := make(chan int, 1)
	go func() {
		left, _ := h.tg.DeliverWebhook(context.Background())
		delivered <- left
	}()
	h.tg.WaitFor(t, 10*time.Second, func() bool { return len(h.tg.CallsTo("answerCallbackQuery")) >= users*each/3 })
	h.stop()
	left := <-delivered
	t.Logf("%d updates left for the next run", left)

	h.start()
	h.waitWebhook()
	h.deliver()
	// And every update once more, as Telegram may resend after a restart.
	for _, u := range h.sentUpdates {
		if status, err := h.tg.PostUpdate(context.Background(), u); err != nil || status != http.StatusOK {
			t.Fatalf("PostUpdate again = %d, %v", status, err)
		}
	}
	h.tg.WaitFor(t, 30*time.Second, func() bool { return len(h.tg.CallsTo("answerCallbackQuery")) >= users*each })
	h.waitHandled()
	h.assertEachOnceInOrder(users * each)
}

func TestWebhookOffDeletesIt(t *testing.T) {
	h := newHarness(t, withWebhook(t))
	h.waitWebhook()
	h.stop()
	h.opts = nil
	h.start()
	if got := h.say(alice, aliceChat, "hello?").Text; got != en.T(message.Unknown) {
		t.Errorf("after switching back to polling: %q", got)
	}
	if url := h.tg.Webhook(); url != "" {
		t.Errorf("webhook still set to %s", url)
	}
}

func TestWebhookHealth(t *testing.T) {
	const url = "https://bot.example.com/hook"
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	info := models.WebhookInfo{URL: url}
	failed := info
	failed.LastErrorDate, failed.LastErrorMessage, failed.PendingUpdateCount = int(now.Add(-30*time.Second).Unix()), "Connection refused", 12
	old := failed
	old.LastErrorDate = int(now.Add(-time.Hour).Unix())
	drained := failed
	drained.PendingUpdateCount = 0
	other := info
	other.URL = "https://elsewhere.example.com/hook"
	tests := []struct {
		name string
		s    hookState
		ok   bool
	}{
		{"fine", hookState{serving: true, answered: now.Add(-30 * time.Second), info: info}, true},
		{"not listening", hookState{answered: now, info: info}, false},
		{"never answered", hookState{serving: true, failing: "getWebhookInfo failed: no answer"}, false},
		{"answer too old", hookState{serving: true, answered: now.Add(-4 * time.Minute), info: info, failing: "x"}, false},
		{"another webhook", hookState{serving: true, answered: now, info: other}, false},
		{"deliveries failing", hookState{serving: true, answered: now, info: failed}, false},
		{"an old failure", hookState{serving: true, answered: now, info: old}, true},
		{"a failure, nothing waiting", hookState{serving: true, answered: now, info: drained}, true},
	}
	for _, tt := range tests {
		if got := tt.s.problem(url, now); (got == "") != tt.ok {
			t.Errorf("%s: problem = %q, want healthy %v", tt.name, got, tt.ok)
		}
	}
}

func TestWebhookHealthz(t *testing.T) {
	h := newHarness(t, withWebhook(t))
	h.waitWebhook()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = h.bot.Health(context.Background()); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Health in webhook mode = %v", err)
	}
	if n := len(h.tg.CallsTo("getUpdates")); n != 0 {
		t.Errorf("%d getUpdates calls in webhook mode", n)
	}
}
