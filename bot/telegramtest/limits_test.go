package telegramtest_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// fakeClock is the injected clock of the enforced limits: it moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// limitedServer is a fake on a fake clock (SetClock), enforcing limits on that clock,
// with a started user and a group to write to.
func limitedServer(t *testing.T, l telegramtest.Limits) (*telegramtest.Server, *tgbotapi.BotAPI, *fakeClock, tgbotapi.Chat, tgbotapi.Chat) {
	t.Helper()
	s := telegramtest.NewServer(t)
	clock := &fakeClock{now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	s.SetClock(clock.Now)
	s.EnforceLimits(l)
	u := s.NewUser("Li", "", "zh")
	s.Start(u)
	return s, newAPI(t, s), clock, telegramtest.PrivateChat(u), s.NewGroup("白泥镇")
}

// send sends a text to chat and returns the Bot API error code (0 on success) and
// retry_after.
func send(t *testing.T, api *tgbotapi.BotAPI, chat tgbotapi.Chat) (code, retryAfter int) {
	t.Helper()
	_, err := api.Send(tgbotapi.NewMessage(chat.ID, "hi"))
	if err == nil {
		return 0, 0
	}
	e := apiErr(t, err)
	return e.Code, e.RetryAfter
}

func TestEnforcedLimitsRefuseASecondMessageToAChatWithinASecond(t *testing.T) {
	t.Parallel()
	s, api, clock, private, _ := limitedServer(t, telegramtest.DefaultLimits)

	if code, _ := send(t, api, private); code != 0 {
		t.Fatalf("first message: error %d", code)
	}
	clock.Advance(999 * time.Millisecond)
	if code, after := send(t, api, private); code != http.StatusTooManyRequests || after != 1 {
		t.Fatalf("second message 999 ms later: error %d retry_after %d, want 429 and 1", code, after)
	}
	clock.Advance(time.Millisecond)
	if code, _ := send(t, api, private); code != 0 {
		t.Fatalf("third message a second after the first: error %d", code)
	}
	if got := len(s.Messages(private.ID)); got != 2 {
		t.Errorf("the chat holds %d messages, want 2: the refused one changes nothing", got)
	}
	if got := s.TooManyRequests(); got != 1 {
		t.Errorf("TooManyRequests = %d, want 1", got)
	}
}

func TestCallsAreStampedOnTheClockTheFakeIsGiven(t *testing.T) {
	t.Parallel()
	s, api, clock, private, _ := limitedServer(t, telegramtest.Limits{})
	start := clock.Now()

	send(t, api, private)
	clock.Advance(1500 * time.Millisecond)
	send(t, api, private)

	calls := s.Calls("sendMessage")
	if len(calls) != 2 || !calls[0].At.Equal(start) || calls[1].At.Sub(calls[0].At) != 1500*time.Millisecond {
		t.Errorf("sendMessage calls %+v; want two, at %v and 1.5 s later", calls, start)
	}
}

func TestEnforcedLimitsAllowAGroupTwentyMessagesInAnyMinute(t *testing.T) {
	t.Parallel()
	_, api, clock, _, group := limitedServer(t, telegramtest.DefaultLimits)

	for i := range 20 {
		if code, _ := send(t, api, group); code != 0 {
			t.Fatalf("message %d at +%ds: error %d", i+1, i, code)
		}
		clock.Advance(time.Second)
	}
	// Now at +20 s: the window of the first message runs until +60 s.
	code, after := send(t, api, group)
	if code != http.StatusTooManyRequests || after != 40 {
		t.Fatalf("21st message at +20s: error %d retry_after %d, want 429 and 40", code, after)
	}
	clock.Advance(40 * time.Second)
	if code, _ := send(t, api, group); code != 0 {
		t.Fatalf("21st message at +60s: error %d", code)
	}
	if code, _ := send(t, api, group); code != http.StatusTooManyRequests {
		t.Fatalf("22nd message at +60s: error %d, want 429 (one a second)", code)
	}
	clock.Advance(time.Second)
	if code, _ := send(t, api, group); code != 0 {
		t.Fatalf("22nd message at +61s: error %d: the second message's window has passed", code)
	}
}

func TestEnforcedLimitsAllowThirtyMessagesInAnySecondOverAllChats(t *testing.T) {
	t.Parallel()
	s, api, clock, _, _ := limitedServer(t, telegramtest.DefaultLimits)
	var chats []tgbotapi.Chat
	for range 31 {
		u := s.NewUser("Farmer", "", "zh")
		s.Start(u)
		chats = append(chats, telegramtest.PrivateChat(u))
	}

	for i := range 30 {
		if code, _ := send(t, api, chats[i]); code != 0 {
			t.Fatalf("message %d: error %d", i+1, code)
		}
		clock.Advance(10 * time.Millisecond)
	}
	if code, _ := send(t, api, chats[30]); code != http.StatusTooManyRequests {
		t.Fatalf("31st message within the second: error %d, want 429", code)
	}
	clock.Advance(700 * time.Millisecond) // +1000 ms: the first message's second has passed
	if code, _ := send(t, api, chats[30]); code != 0 {
		t.Fatalf("31st message a second after the first: error %d", code)
	}
	if code, _ := send(t, api, chats[0]); code != http.StatusTooManyRequests {
		t.Fatalf("32nd message 10 ms into the second message's window: error %d, want 429", code)
	}
	var refused int
	for _, c := range s.Calls("sendMessage") {
		if c.Status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 2 || s.TooManyRequests() != 2 {
		t.Errorf("recorded %d refused calls, TooManyRequests %d; want 2 and 2", refused, s.TooManyRequests())
	}
}

func TestEnforcedLimitsCountEditsAsMessagesAndLeaveUnlimitedServersAlone(t *testing.T) {
	t.Parallel()
	s, api, clock, private, _ := limitedServer(t, telegramtest.DefaultLimits)
	m, err := api.Send(tgbotapi.NewMessage(private.ID, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.Send(tgbotapi.NewEditMessageText(private.ID, m.MessageID, "v2"))
	if e := apiErr(t, err); e.Code != http.StatusTooManyRequests || e.RetryAfter != 1 {
		t.Fatalf("edit right after the message = %d retry_after %d, want 429 retry_after 1", e.Code, e.RetryAfter)
	}
	clock.Advance(time.Second)
	if _, err := api.Send(tgbotapi.NewEditMessageText(private.ID, m.MessageID, "v2")); err != nil {
		t.Fatalf("edit a second after the message: %v", err)
	}
	if s.TooManyRequests() != 1 {
		t.Fatalf("TooManyRequests = %d after the early edit, want 1", s.TooManyRequests())
	}

	plain := telegramtest.NewServer(t)
	u := plain.NewUser("Li", "", "zh")
	plain.Start(u)
	papi := newAPI(t, plain)
	for i := range 3 {
		if _, err := papi.Send(tgbotapi.NewMessage(u.ID, "hi")); err != nil {
			t.Fatalf("message %d without EnforceLimits: %v", i+1, err)
		}
	}
	if s.TooManyRequests() != 1 || plain.TooManyRequests() != 0 {
		t.Errorf("TooManyRequests = %d and %d, want 1 and 0", s.TooManyRequests(), plain.TooManyRequests())
	}
}
