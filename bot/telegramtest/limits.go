package telegramtest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limits are Telegram's flood limits on a bot's new messages, as the fake enforces them
// once EnforceLimits is called. Each is a sliding window over the fake's clock (or
// Now's): a message is refused when it would be one more than allowed in any window
// ending at its arrival, which is stricter than any fixed-window counting Telegram might
// do, so a bot that passes here is not relying on luck at window edges.
type Limits struct {
	Global         int // new messages in any second, over all chats (Telegram: about 30)
	PerChat        int // new messages in any second to one chat (about 1)
	GroupPerMinute int // new messages in any minute to one group (20)
	// Now is the clock the windows are measured on; nil means the fake's own (the wall
	// clock, or SetClock's). Tests inject one so that enforcement is checked without
	// waiting.
	Now func() time.Time
}

// DefaultLimits are Telegram's documented limits.
var DefaultLimits = Limits{Global: 30, PerChat: 1, GroupPerMinute: 20}

// limiter is the state of enforced Limits: the arrival times of the messages it let
// through, the latest last, per window.
type limiter struct {
	mu      sync.Mutex
	limits  Limits
	global  []time.Time
	chats   map[int64][]time.Time
	groups  map[int64][]time.Time
	refused int
}

// EnforceLimits makes the fake answer a new message beyond l with 429 Too Many Requests
// and parameters.retry_after, as Telegram does; the refused call changes nothing and
// does not count towards the limits. New messages are what the send methods and
// copyMessage make (an album counts as one). Edits (editMessageText, …Caption,
// …ReplyMarkup) count as messages too: Telegram's own developers say that sending and
// editing share the limit, about 20 a minute in a group (answers on the tdlib issue
// tracker, 2023 and 2024; the Bot API FAQ names only messages). Deletions, reactions
// and the rest are not limited: nothing documents a limit on them. A zero field leaves
// that limit off.
func (s *Server) EnforceLimits(l Limits) {
	if l.Now == nil {
		l.Now = s.readClock
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter = &limiter{limits: l, chats: map[int64][]time.Time{}, groups: map[int64][]time.Time{}}
}

// TooManyRequests is how many calls EnforceLimits's limits refused.
func (s *Server) TooManyRequests() int {
	s.mu.Lock()
	l := s.limiter
	s.mu.Unlock()
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused
}

// StartLimited starts a fake that enforces l, for programs that are not tests (the
// benchmark). Closing it is the caller's job; the helpers that fail a test (Press, the
// Wait methods) panic instead.
func StartLimited(l Limits) *Server {
	s := NewServer(noTest{})
	s.EnforceLimits(l)
	return s
}

// noTest stands in for a test outside tests: cleanups are the caller's, failures panic.
type noTest struct{}

func (noTest) Helper()                        {}
func (noTest) Cleanup(func())                 {}
func (noTest) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

// throttle refuses a new message beyond the enforced limits, or counts it. It runs
// before the method, so a refused call is not carried out.
func (s *Server) throttle(method string, p params) *apiError {
	s.mu.Lock()
	l := s.limiter
	s.mu.Unlock()
	name := strings.ToLower(method)
	if l == nil || !(strings.HasPrefix(name, "send") || name == "copymessage" || strings.HasPrefix(name, "editmessage")) {
		return nil
	}
	chatID, _ := p.num("chat_id")
	return l.take(chatID)
}

// take lets one message to chatID through, or says how long to wait.
func (l *limiter) take(chatID int64) *apiError {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.limits.Now()
	// wait is the longest any full window still has to run.
	var wait time.Duration
	check := func(times []time.Time, n int, per time.Duration) {
		if n > 0 && len(times) >= n {
			if left := times[len(times)-n].Add(per).Sub(now); left > wait {
				wait = left
			}
		}
	}
	check(l.global, l.limits.Global, time.Second)
	check(l.chats[chatID], l.limits.PerChat, time.Second)
	if chatID < 0 {
		check(l.groups[chatID], l.limits.GroupPerMinute, time.Minute)
	}
	if wait > 0 {
		l.refused++
		after := int((wait + time.Second - 1) / time.Second)
		return &apiError{code: http.StatusTooManyRequests, description: fmt.Sprintf("Too Many Requests: retry after %d", after), retryAfter: after}
	}
	l.global = keep(l.global, now, l.limits.Global)
	l.chats[chatID] = keep(l.chats[chatID], now, l.limits.PerChat)
	if chatID < 0 {
		l.groups[chatID] = keep(l.groups[chatID], now, l.limits.GroupPerMinute)
	}
	return nil
}

// keep appends t and drops what no window of n messages can reach any more.
func keep(times []time.Time, t time.Time, n int) []time.Time {
	times = append(times, t)
	if over := len(times) - max(n, 1); over > 0 {
		times = append(times[:0], times[over:]...)
	}
	return times
}
