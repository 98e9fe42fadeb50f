package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rates are Telegram's sending limits as the bot keeps them.
type Rates struct {
	Global   float64 // messages per second over all chats (Telegram: about 30)
	PerChat  float64 // messages per second to one chat (about 1)
	GroupMin float64 // messages per minute to one group (20)
	// Margin widens every window the rates are kept over (a second, a minute) by this
	// much. Telegram counts a message when it arrives, the limiter when it is sent; a
	// message delayed on the way by more than the one after it would otherwise arrive
	// inside a window it was scheduled out of, and earn a 429.
	Margin time.Duration
}

// DefaultRates are Telegram's documented limits, with a margin for the way to Telegram.
var DefaultRates = Rates{Global: 30, PerChat: 1, GroupMin: 20, Margin: 50 * time.Millisecond}

// Limiter spaces sends so that all instances together stay within Rates. Each limit is a
// "generic cell rate" schedule in Redis: a key holds the earliest time the next message
// may go, and taking a slot moves it one interval on. All the limits a message is under
// are checked and taken in one script, so a message never takes a slot it cannot use.
type Limiter struct {
	rdb    redis.UniversalClient
	prefix string
	rates  Rates
}

// NewLimiter returns a limiter sharing its schedule through rdb.
func NewLimiter(rdb redis.UniversalClient, prefix string, rates Rates) *Limiter {
	return &Limiter{rdb: rdb, prefix: prefix, rates: rates}
}

// Margin is how much wider than Telegram's windows the schedule keeps its own.
func (l *Limiter) Margin() time.Duration { return l.rates.Margin }

// Booking is what Book did.
type Booking int

const (
	// Booked: the message has its slot under every limit, and goes then.
	Booked Booking = iota
	// ChatBusy: the chat's own limits have no slot by the time of the next overall one;
	// the wait is until the chat's next slot. Nothing was booked.
	ChatBusy
	// Full: the overall schedule is booked further ahead than asked; the wait is how far
	// it is booked. Nothing was booked.
	Full
)

// bookScript books the next overall slot for a message when the chat is free by then
// and it is within ARGV[2] of now. Booking ahead lets a sender take the overall slots one
// after another without gaps, instead of asking again and again for the present one; a
// chat that is not free by the next overall slot is refused rather than booked later,
// since booking it later would leave the overall slots before it unused.
//
// KEYS[1]: the overall schedule; KEYS[2..]: the chat's own (per chat, per group).
// ARGV[1]: now in microseconds; ARGV[2]: how far ahead a slot may be booked;
// ARGV[3..]: each limit's interval in microseconds, in KEYS order (microseconds, so that
// a high rate is not rounded up to one per millisecond).
// Returns {Booking, microseconds}: for Booked, from now until the slot; for ChatBusy,
// until the chat's next slot; for Full, until the overall schedule's next free slot.
var bookScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local ahead = tonumber(ARGV[2])
local chat = now
for i = 2, #KEYS do
  local at = tonumber(redis.call('GET', KEYS[i]) or '0')
  if at > chat then chat = at end
end
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
if chat > slot then return {1, chat - now} end
if slot - now > ahead then return {2, slot - now} end
for i, key in ipairs(KEYS) do
  local next = slot + tonumber(ARGV[i + 2])
  redis.call('SET', key, next, 'PX', math.floor((next - now) / 1000) + 1000)
end
return {0, slot - now}
`)

// Book books a slot to send to chatID at most ahead of now, and returns how long from
// now until it; or says why it booked none, and how long until the chat's or the
// overall schedule's next slot. Group chats have negative ids.
func (l *Limiter) Book(ctx context.Context, chatID int64, now time.Time, ahead time.Duration) (Booking, time.Duration, error) {
	window := func(d time.Duration) time.Duration { return d + l.rates.Margin }
	keys := []string{l.limitKey("global"), l.limitKey("chat:" + strconv.FormatInt(chatID, 10))}
	args := []any{now.UnixMicro(), ahead.Microseconds(), interval(l.rates.Global, window(time.Second)), interval(l.rates.PerChat, window(time.Second))}
	if chatID < 0 {
		keys = append(keys, l.limitKey("group:"+strconv.FormatInt(chatID, 10)))
		args = append(args, interval(l.rates.GroupMin, window(time.Minute)))
	}
	res, err := bookScript.Run(ctx, l.rdb, keys, args...).Int64Slice()
	if err != nil || len(res) != 2 {
		return Full, 0, fmt.Errorf("rate limit: %w", cmp.Or(err, errors.New("unexpected answer")))
	}
	return Booking(res[0]), time.Duration(res[1]) * time.Microsecond, nil
}

// sentScript moves a chat's own schedules on, counting from when a message to it was
// answered rather than from its slot.
//
// KEYS: the chat's own schedules (per chat, per group).
// ARGV[1]: when Telegram answered, in microseconds; ARGV[2..]: each limit's interval in
// microseconds, in KEYS order. Returns nothing.
var sentScript = redis.NewScript(`
local at = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local next = at + tonumber(ARGV[i + 1])
  if next > tonumber(redis.call('GET', key) or '0') then
    redis.call('SET', key, next, 'PX', math.floor(tonumber(ARGV[i + 1]) / 1000) + 1000)
  end
end
return 0
`)

// Sent records that Telegram answered a message to chatID at at. Telegram counts a
// message when it arrives, which may be later than its slot; a chat's next message is
// then kept a whole interval after the answer, which came after the arrival, so a delay
// on the way can never bring two messages to one chat too close. (The overall schedule
// cannot be moved so: other chats' slots are booked already.)
func (l *Limiter) Sent(ctx context.Context, chatID int64, at time.Time) error {
	window := func(d time.Duration) time.Duration { return d + l.rates.Margin }
	keys := []string{l.limitKey("chat:" + strconv.FormatInt(chatID, 10))}
	args := []any{at.UnixMicro(), interval(l.rates.PerChat, window(time.Second))}
	if chatID < 0 {
		keys = append(keys, l.limitKey("group:"+strconv.FormatInt(chatID, 10)))
		args = append(args, interval(l.rates.GroupMin, window(time.Minute)))
	}
	if err := sentScript.Run(ctx, l.rdb, keys, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("rate limit: %w", err)
	}
	return nil
}

// Reserve takes a slot to send to chatID at now, or says how long to wait: Book with
// nothing booked ahead.
func (l *Limiter) Reserve(ctx context.Context, chatID int64, now time.Time) (time.Duration, error) {
	b, wait, err := l.Book(ctx, chatID, now, 0)
	if err != nil || b == Booked {
		return 0, err
	}
	return wait, nil
}

// interval is the spacing in microseconds that keeps to rate per period; a rate of 0
// means no limit.
func interval(rate float64, per time.Duration) int64 {
	if rate <= 0 {
		return 0
	}
	return int64(float64(per.Microseconds())/rate + 0.999)
}
