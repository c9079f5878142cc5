package telegramtest

import (
	"fmt"
	"math"
	"net/http"
	"time"
)

// Limits is flood control as Telegram applies it to sendMessage,
// sendDocument and editMessageText. A zero field switches that limit off.
type Limits struct {
	// Global is how many messages per second the whole bot may send; it may
	// spend a second's worth at once.
	Global int
	// PerChat is how many messages per second one chat may receive.
	PerChat int
	// Burst is how many messages one chat may receive at once before
	// PerChat applies (at least 1).
	Burst int
}

// DefaultLimits returns Telegram's documented limits: about 30 messages per
// second overall and one per second per chat, with small bursts allowed.
func DefaultLimits() Limits {
	return Limits{Global: 30, PerChat: 1, Burst: 3}
}

// WithLimits enforces l: a sendMessage, sendDocument or editMessageText beyond it gets 429
// "Too Many Requests: retry after N" with parameters.retry_after N (at least
// 1), the seconds until it would be accepted. Calls refused for any reason do
// not count. Off unless given.
func WithLimits(l Limits) Option {
	return func(s *Server) { s.limits = &l }
}

// Count429 returns how many calls were answered 429, by the limits or by an
// injected fault.
func (s *Server) Count429() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count429
}

// bucket is a token bucket: it holds up to size tokens and gains rate per
// second.
type bucket struct {
	tokens float64
	last   time.Time
}

// refill brings b up to now and returns how long until it holds one token.
func (b *bucket) refill(now time.Time, rate, size float64) time.Duration {
	if b.last.IsZero() {
		b.tokens = size
	} else {
		b.tokens = math.Min(size, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// admitLocked takes one message from the global and the chat's budget, or
// returns the 429 to answer when either is spent. s.mu must be held.
func (s *Server) admitLocked(chatID int64, now time.Time) *reply {
	if s.limits == nil {
		return nil
	}
	l := s.limits
	var wait time.Duration
	var chat *bucket
	if l.PerChat > 0 {
		chat = s.perChat[chatID]
		if chat == nil {
			chat = &bucket{}
			s.perChat[chatID] = chat
		}
		wait = max(wait, chat.refill(now, float64(l.PerChat), float64(max(l.Burst, 1))))
	}
	if l.Global > 0 {
		wait = max(wait, s.global.refill(now, float64(l.Global), float64(l.Global)))
	}
	if wait > 0 {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		return &reply{
			status:     http.StatusTooManyRequests,
			desc:       fmt.Sprintf("Too Many Requests: retry after %d", secs),
			retryAfter: secs,
		}
	}
	if chat != nil {
		chat.tokens--
	}
	if l.Global > 0 {
		s.global.tokens--
	}
	return nil
}
