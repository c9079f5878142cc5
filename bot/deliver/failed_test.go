package deliver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/smsbot/smsbot/store"
)

// recordingStore is the sender's store, writing down what it was asked.
type recordingStore struct {
	calls   []string
	next    []time.Time // of each RetryMessage
	failing error       // returned by MigrateChat
}

func (r *recordingStore) DueMessages(context.Context, time.Time, int) ([]store.Message, error) {
	return nil, nil
}
func (r *recordingStore) NextMessageDue(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, nil
}
func (r *recordingStore) MarkSent(_ context.Context, _ time.Time, ids ...int64) error {
	r.calls = append(r.calls, fmt.Sprint("sent ", ids))
	return nil
}
func (r *recordingStore) RetryMessage(_ context.Context, id int64, next time.Time, attempts int) error {
	r.calls = append(r.calls, fmt.Sprintf("retry %d attempts %d", id, attempts))
	r.next = append(r.next, next)
	return nil
}
func (r *recordingStore) DropMessage(_ context.Context, id int64) error {
	r.calls = append(r.calls, fmt.Sprintf("drop %d", id))
	return nil
}
func (r *recordingStore) DropChat(_ context.Context, chatID int64) (int, int, error) {
	r.calls = append(r.calls, fmt.Sprintf("drop chat %d", chatID))
	return 1, 2, nil
}
func (r *recordingStore) MigrateChat(_ context.Context, from, to int64) error {
	r.calls = append(r.calls, fmt.Sprintf("migrate %d to %d", from, to))
	return r.failing
}

// TestFailed: what becomes of a message's rows for each kind of answer
// Telegram gives (or does not give) to its send.
func TestFailed(t *testing.T) {
	const chat = -100
	rows := func(oldest time.Duration) []store.Message {
		return []store.Message{
			{ID: 1, ChatID: chat, Priority: store.PriorityPush, Attempts: 2, CreatedAt: checkNow.Add(-time.Minute)},
			{ID: 2, ChatID: chat, Priority: store.PriorityPush, CreatedAt: checkNow.Add(-oldest)},
		}
	}
	refused := func(code int, description string) error {
		return &APIError{Method: "sendMessage", Code: code, Description: description}
	}
	backoff := [2]time.Duration{8 * time.Second * 8 / 10, 8 * time.Second * 12 / 10} // after 2 attempts, ±20%
	for _, tt := range []struct {
		name       string
		err        error
		oldest     time.Duration // age of the second row
		migrateErr error
		calls      []string
		wait       [2]time.Duration // range of each retry's delay; zero: no retry
		chatPaused time.Duration    // how long the chat is held; zero: not held
	}{
		{"429: both rows wait retry_after, not counted as a failure",
			&APIError{Code: 429, RetryAfter: 7 * time.Second}, time.Minute, nil,
			[]string{"retry 1 attempts 2", "retry 2 attempts 0"}, [2]time.Duration{7 * time.Second, 7 * time.Second}, 7 * time.Second},
		{"429 without retry_after: a second",
			&APIError{Code: 429}, time.Minute, nil,
			[]string{"retry 1 attempts 2", "retry 2 attempts 0"}, [2]time.Duration{time.Second, time.Second}, time.Second},
		{"group became a supergroup: the chat moves, the rows go there",
			&APIError{Code: 400, MigrateTo: -200}, time.Minute, nil,
			[]string{"migrate -100 to -200"}, [2]time.Duration{}, 0},
		{"the move fails: retried as a failure",
			&APIError{Code: 400, MigrateTo: -200}, time.Minute, errors.New("disk full"),
			[]string{"migrate -100 to -200", "retry 1 attempts 3", "retry 2 attempts 1"}, backoff, 0},
		{"403 blocked: the chat is dropped",
			refused(403, "Forbidden: bot was blocked by the user"), time.Minute, nil,
			[]string{"drop chat -100"}, [2]time.Duration{}, 0},
		{"400 chat not found: the chat is dropped",
			refused(400, "Bad Request: chat not found"), time.Minute, nil,
			[]string{"drop chat -100"}, [2]time.Duration{}, 0},
		{"other 400: the rows are dropped",
			refused(400, "Bad Request: can't parse entities"), time.Minute, nil,
			[]string{"drop 1", "drop 2"}, [2]time.Duration{}, 0},
		{"5xx: retried with backoff",
			refused(502, "Bad Gateway"), time.Minute, nil,
			[]string{"retry 1 attempts 3", "retry 2 attempts 1"}, backoff, 0},
		{"no answer: retried with backoff",
			fmt.Errorf("post sendMessage: %w", context.DeadlineExceeded), time.Minute, nil,
			[]string{"retry 1 attempts 3", "retry 2 attempts 1"}, backoff, 0},
		{"no answer for MaxAge: that row is dropped, the other retried",
			errors.New("connection reset"), 25 * time.Hour, nil,
			[]string{"drop 2", "retry 1 attempts 3"}, backoff, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := &recordingStore{failing: tt.migrateErr}
			s := New(Config{Now: func() time.Time { return checkNow }}, st, nil, nil)
			r := rows(tt.oldest)
			s.failed(context.Background(), batch{msg: r[0], rows: r}, tt.err)
			if !slices.Equal(st.calls, tt.calls) {
				t.Errorf("store calls %q, want %q", st.calls, tt.calls)
			}
			for _, next := range st.next {
				if d := next.Sub(checkNow); d < tt.wait[0] || d > tt.wait[1] {
					t.Errorf("retried in %v, want %v..%v", d, tt.wait[0], tt.wait[1])
				}
			}
			if until := s.chatNext[chat]; tt.chatPaused != 0 && !until.Equal(checkNow.Add(tt.chatPaused)) || tt.chatPaused == 0 && !until.IsZero() {
				t.Errorf("chat held until %v, want %v after now", until, tt.chatPaused)
			}
		})
	}
}
