package store

import (
	"context"
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
}

// DefaultRates are Telegram's documented limits.
var DefaultRates = Rates{Global: 30, PerChat: 1, GroupMin: 20}

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

// reserveScript takes a sending slot under every limit, or none.
//
// KEYS: one schedule key per limit.
// ARGV[1]: now in microseconds; ARGV[2..]: each limit's interval in microseconds, in KEYS
// order (microseconds, so that a high rate is not rounded up to one per millisecond).
// Returns 0 when the slot is taken, else how many microseconds to wait before asking
// again.
var reserveScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local at = tonumber(redis.call('GET', key) or '0')
  if at - now > wait then wait = at - now end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i + 1])
  local at = tonumber(redis.call('GET', key) or '0')
  if at < now then at = now end
  redis.call('SET', key, at + interval, 'PX', math.floor(interval / 1000) + 1000)
end
return 0
`)

// Reserve takes a slot to send to chatID at now, or says how long to wait. Group chats
// have negative ids.
func (l *Limiter) Reserve(ctx context.Context, chatID int64, now time.Time) (time.Duration, error) {
	keys := []string{l.limitKey("global"), l.limitKey("chat:" + strconv.FormatInt(chatID, 10))}
	args := []any{now.UnixMicro(), interval(l.rates.Global, time.Second), interval(l.rates.PerChat, time.Second)}
	if chatID < 0 {
		keys = append(keys, l.limitKey("group:"+strconv.FormatInt(chatID, 10)))
		args = append(args, interval(l.rates.GroupMin, time.Minute))
	}
	wait, err := reserveScript.Run(ctx, l.rdb, keys, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("rate limit: %w", err)
	}
	return time.Duration(wait) * time.Microsecond, nil
}

// interval is the spacing in microseconds that keeps to rate per period; a rate of 0
// means no limit.
func interval(rate float64, per time.Duration) int64 {
	if rate <= 0 {
		return 0
	}
	return int64(float64(per.Microseconds())/rate + 0.999)
}
