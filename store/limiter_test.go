package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// The limiter is driven with an injected clock: every reservation names its own "now",
// so minutes of sending are simulated in milliseconds and the waits are exact.

const (
	privateChat int64 = 500001
	otherChat   int64 = 500002
	groupChat   int64 = -1001000000001
)

// limiterBase is the simulated start; any time works, since each test has its own keys.
var limiterBase = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

func newLimiter(t *testing.T, rates store.Rates) *store.Limiter {
	t.Helper()
	rdb, prefix := storetest.NewRedis(t)
	return store.NewLimiter(rdb, prefix, rates)
}

// reserve calls Reserve at limiterBase+at and fails the test on a Redis error.
func reserve(t *testing.T, l *store.Limiter, chatID int64, at time.Duration) time.Duration {
	t.Helper()
	wait, err := l.Reserve(context.Background(), chatID, limiterBase.Add(at))
	if err != nil {
		t.Fatalf("reserve chat %d at +%v: %v", chatID, at, err)
	}
	return wait
}

func TestLimiterSpacesAPrivateChatOneSecondApart(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, store.Rates{Global: 1000, PerChat: 1, GroupMin: 20})

	steps := []struct {
		at   time.Duration
		want time.Duration
	}{
		{0, 0},
		{0, time.Second}, // same instant: wait the whole interval
		{400 * time.Millisecond, 600 * time.Millisecond}, // still refused, and told the rest
		{999 * time.Millisecond, time.Millisecond},       // one millisecond early
		{time.Second, 0},                                               // on time
		{time.Second, time.Second},                                     // and the next slot moved one interval on
		{2*time.Second + 500*time.Millisecond, 0},                      // a late sender is not penalised
		{3*time.Second + 400*time.Millisecond, 100 * time.Millisecond}, // nor given credit for idling
	}
	for i, s := range steps {
		if got := reserve(t, l, privateChat, s.at); got != s.want {
			t.Errorf("reservation %d at +%v: wait %v, want %v", i+1, s.at, got, s.want)
		}
	}
}

func TestLimiterAllowsAGroupAtMostTwentyMessagesInAnyMinute(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, store.DefaultRates)

	// A greedy sender asks every 100 ms of simulated time for three minutes.
	var allowed []time.Duration
	for at := time.Duration(0); at < 3*time.Minute; at += 100 * time.Millisecond {
		if reserve(t, l, groupChat, at) == 0 {
			allowed = append(allowed, at)
		}
	}
	// At most 20 in any 60 s: the 21st message after any message is a minute or more later.
	for i := 0; i+20 < len(allowed); i++ {
		if gap := allowed[i+20] - allowed[i]; gap < time.Minute {
			t.Errorf("messages %d and %d went %v apart: 21 messages within a minute", i+1, i+21, gap)
		}
	}
	// And the limiter is not stricter than it must be: 20 a minute, every minute.
	if len(allowed) != 60 {
		t.Errorf("%d messages allowed in 3 minutes, want 60: %v", len(allowed), allowed)
	}
}

func TestLimiterTellsAGroupSenderHowLongToWait(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, store.DefaultRates)
	if got := reserve(t, l, groupChat, 0); got != 0 {
		t.Fatalf("first message to the group: wait %v, want 0", got)
	}
	// The per-chat second has passed; the group's three seconds (60 s / 20) have not.
	if got := reserve(t, l, groupChat, 1200*time.Millisecond); got != 1800*time.Millisecond {
		t.Errorf("second message at +1.2s: wait %v, want 1.8s", got)
	}
	if got := reserve(t, l, groupChat, 3*time.Second); got != 0 {
		t.Errorf("second message at +3s: wait %v, want 0", got)
	}
}

func TestLimiterGlobalLimitSpansChats(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, store.Rates{Global: 2, PerChat: 1000, GroupMin: 60000})

	if got := reserve(t, l, privateChat, 0); got != 0 {
		t.Fatalf("first chat: wait %v, want 0", got)
	}
	// Other chats, never written to, still share the global 500 ms.
	if got := reserve(t, l, otherChat, 0); got != 500*time.Millisecond {
		t.Errorf("second chat at the same instant: wait %v, want 500ms", got)
	}
	if got := reserve(t, l, groupChat, 100*time.Millisecond); got != 400*time.Millisecond {
		t.Errorf("a group 100 ms later: wait %v, want 400ms", got)
	}
	if got := reserve(t, l, otherChat, 500*time.Millisecond); got != 0 {
		t.Errorf("second chat after 500 ms: wait %v, want 0", got)
	}
	if got := reserve(t, l, groupChat, 500*time.Millisecond); got != 500*time.Millisecond {
		t.Errorf("a group right behind it: wait %v, want 500ms", got)
	}
}

func TestLimiterRefusalTakesNoSlotUnderTheOtherLimits(t *testing.T) {
	t.Parallel()

	t.Run("refused by the chat's limit", func(t *testing.T) {
		t.Parallel()
		l := newLimiter(t, store.Rates{Global: 10, PerChat: 1, GroupMin: 60000})
		reserve(t, l, privateChat, 0)
		if got := reserve(t, l, privateChat, 500*time.Millisecond); got != 500*time.Millisecond {
			t.Fatalf("same chat at +500ms: wait %v, want 500ms", got)
		}
		// Had the refused reservation taken the global slot at +500ms, this would wait 100 ms.
		if got := reserve(t, l, otherChat, 500*time.Millisecond); got != 0 {
			t.Errorf("another chat at +500ms: wait %v, want 0", got)
		}
	})

	t.Run("refused by the group's limit", func(t *testing.T) {
		t.Parallel()
		l := newLimiter(t, store.Rates{Global: 10, PerChat: 0.4, GroupMin: 20})
		reserve(t, l, groupChat, 0)
		// Per chat 2.5 s, per group 3 s: refused by the group's minute limit.
		if got := reserve(t, l, groupChat, 2500*time.Millisecond); got != 500*time.Millisecond {
			t.Fatalf("same group at +2.5s: wait %v, want 500ms", got)
		}
		if got := reserve(t, l, otherChat, 2500*time.Millisecond); got != 0 {
			t.Errorf("another chat at +2.5s: wait %v, want 0 (the refusal took a global slot)", got)
		}
		// Had the refusal at +2.5s taken the chat's slot, the chat would be closed until +5s.
		if got := reserve(t, l, groupChat, 3*time.Second); got != 0 {
			t.Errorf("same group at +3s: wait %v, want 0 (the refusal took the chat's slot)", got)
		}
	})

	t.Run("refused by the global limit", func(t *testing.T) {
		t.Parallel()
		l := newLimiter(t, store.Rates{Global: 1, PerChat: 0.5, GroupMin: 60000})
		reserve(t, l, privateChat, 0)
		if got := reserve(t, l, otherChat, 0); got != time.Second {
			t.Fatalf("another chat at once: wait %v, want 1s", got)
		}
		// Had the refused reservation taken otherChat's slot at 0, it would wait until +2s.
		if got := reserve(t, l, otherChat, time.Second); got != 0 {
			t.Errorf("another chat at +1s: wait %v, want 0 (the refusal took the chat's slot)", got)
		}
	})
}

func TestLimitersOnOnePrefixShareTheSchedule(t *testing.T) {
	t.Parallel()
	rates := store.Rates{Global: 30, PerChat: 1, GroupMin: 20}
	rdb, prefix := storetest.NewRedis(t)
	other, _ := storetest.NewRedis(t) // a second instance: its own connection, same prefix
	first := store.NewLimiter(rdb, prefix, rates)
	second := store.NewLimiter(other, prefix, rates)

	if got := reserve(t, first, privateChat, 0); got != 0 {
		t.Fatalf("first instance: wait %v, want 0", got)
	}
	if got := reserve(t, second, privateChat, 200*time.Millisecond); got != 800*time.Millisecond {
		t.Errorf("second instance, same chat at +200ms: wait %v, want 800ms", got)
	}
	if got := reserve(t, second, otherChat, 0); got == 0 {
		t.Errorf("second instance, another chat at the same instant: allowed, want the global limit to hold it")
	}
	if got := reserve(t, second, privateChat, time.Second); got != 0 {
		t.Errorf("second instance, same chat at +1s: wait %v, want 0", got)
	}
	if got := reserve(t, first, privateChat, 1500*time.Millisecond); got != 500*time.Millisecond {
		t.Errorf("first instance, same chat at +1.5s: wait %v, want 500ms", got)
	}

	// A limiter on another prefix is another bot: it does not share the schedule.
	_, elsewhere := storetest.NewRedis(t)
	if got := reserve(t, store.NewLimiter(rdb, elsewhere, rates), privateChat, 0); got != 0 {
		t.Errorf("another prefix: wait %v, want 0", got)
	}
}
