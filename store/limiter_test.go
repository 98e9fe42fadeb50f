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

// telegramRates are Telegram's limits with no margin, so that the waits come out round.
var telegramRates = store.Rates{Global: 30, PerChat: 1, GroupMin: 20}

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
	l := newLimiter(t, telegramRates)

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
	l := newLimiter(t, telegramRates)
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

// book calls Book at limiterBase+at and fails the test on a Redis error.
func book(t *testing.T, l *store.Limiter, chatID int64, at, ahead time.Duration) (store.Booking, time.Duration) {
	t.Helper()
	b, wait, err := l.Book(context.Background(), chatID, limiterBase.Add(at), ahead)
	if err != nil {
		t.Fatalf("book chat %d at +%v: %v", chatID, at, err)
	}
	return b, wait
}

func TestLimiterBooksTheOverallSlotsAheadOneAfterAnother(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, store.Rates{Global: 10, PerChat: 1, GroupMin: 20})

	// Eleven chats at the same instant, booking up to a second ahead: slots 100 ms apart.
	for i := range 11 {
		b, wait := book(t, l, privateChat+int64(i), 0, time.Second)
		if want := time.Duration(i) * 100 * time.Millisecond; b != store.Booked || wait != want {
			t.Fatalf("chat %d: %v in %v, want booked in %v", i+1, b, wait, want)
		}
	}
	// The twelfth slot is 1.1 s away, beyond what may be booked; it is not taken.
	if b, wait := book(t, l, privateChat+11, 0, time.Second); b != store.Full || wait != 1100*time.Millisecond {
		t.Fatalf("twelfth chat: %v, %v; want full, the next slot in 1.1s", b, wait)
	}
	if b, wait := book(t, l, privateChat+11, 100*time.Millisecond, time.Second); b != store.Booked || wait != time.Second {
		t.Fatalf("twelfth chat 100 ms later: %v in %v, want booked in 1s", b, wait)
	}
}

func TestLimiterRefusesAChatNotFreeByTheNextOverallSlotWithoutMovingIt(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, store.Rates{Global: 10, PerChat: 1, GroupMin: 20})

	if b, _ := book(t, l, groupChat, 0, time.Second); b != store.Booked {
		t.Fatalf("first message to the group: %v, want booked", b)
	}
	// The group's next slot is 3 s away (60 s / 20): booking it then would leave the
	// overall slots until then to nobody.
	if b, wait := book(t, l, groupChat, 0, time.Second); b != store.ChatBusy || wait != 3*time.Second {
		t.Fatalf("second message to the group: %v, %v; want chat busy for 3s", b, wait)
	}
	if b, wait := book(t, l, privateChat, 0, time.Second); b != store.Booked || wait != 100*time.Millisecond {
		t.Errorf("another chat: %v in %v, want the next overall slot, in 100ms", b, wait)
	}
}

func TestLimiterMarginWidensEveryWindow(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, store.Rates{Global: 10, PerChat: 1, GroupMin: 20, Margin: 100 * time.Millisecond})

	reserve(t, l, groupChat, 0)
	// A group: 20 in 60.1 s, so 3.005 s apart; and its second is 1.1 s long.
	if got := reserve(t, l, groupChat, 0); got != 3005*time.Millisecond {
		t.Errorf("group: wait %v, want 3.005s", got)
	}
	if got := reserve(t, l, privateChat, 110*time.Millisecond); got != 0 {
		t.Errorf("another chat after the overall interval (1.1 s / 10): wait %v, want 0", got)
	}
	if got := reserve(t, l, privateChat, time.Second); got != 210*time.Millisecond {
		t.Errorf("the same chat a second later: wait %v, want 210ms", got)
	}
}

func TestLimiterCountsAChatsNextSlotFromWhenTheLastMessageWasAnswered(t *testing.T) {
	t.Parallel()
	l := newLimiter(t, store.Rates{Global: 10, PerChat: 1, GroupMin: 20})

	reserve(t, l, groupChat, 0)
	// Telegram answered 300 ms after the slot: the message may have arrived that late.
	if err := l.Sent(context.Background(), groupChat, limiterBase.Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := reserve(t, l, groupChat, 3*time.Second); got != 300*time.Millisecond {
		t.Errorf("group 3 s after the slot: wait %v, want 300ms more", got)
	}
	// An answer earlier than the schedule already holds moves nothing.
	if got := reserve(t, l, privateChat, 200*time.Millisecond); got != 0 {
		t.Fatalf("private chat at +200ms: wait %v, want 0", got)
	}
	if err := l.Sent(context.Background(), privateChat, limiterBase.Add(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := reserve(t, l, privateChat, 1200*time.Millisecond); got != 0 {
		t.Errorf("private chat a second after its slot: wait %v, want 0", got)
	}
}
