package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Quota counts how often someone does something in a window, so one person cannot flood
// the experts (a farmer sending twenty questions a minute).
type Quota struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewQuota keeps counts in rdb under prefix.
func NewQuota(rdb redis.UniversalClient, prefix string) *Quota {
	return &Quota{rdb: rdb, prefix: prefix}
}

// takeScript counts one use in a fixed window.
//
// KEYS[1]: the counter. ARGV[1]: the limit; ARGV[2]: the window in milliseconds.
// Returns 0 when the use is within the limit, else the milliseconds until the window ends.
var takeScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n <= tonumber(ARGV[1]) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return ttl
`)

// Take counts one use of name by who; it returns 0 when allowed, else how long until the
// next use is.
func (q *Quota) Take(ctx context.Context, name string, who int64, limit int, window time.Duration) (time.Duration, error) {
	ms, err := takeScript.Run(ctx, q.rdb, []string{q.quotaKey(name, who)}, limit, window.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("quota %s: %w", name, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
