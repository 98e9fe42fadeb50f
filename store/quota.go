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

// takeManyScript counts several uses in a fixed window at once.
//
// KEYS[1]: the counter. ARGV[1]: the limit; ARGV[2]: the window in milliseconds; ARGV[3]:
// the uses. Returns how many of them are within the limit and, when not all are, the
// milliseconds until the window ends.
var takeManyScript = redis.NewScript(`
local uses = tonumber(ARGV[3])
local n = redis.call('INCRBY', KEYS[1], uses)
if n == uses then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local allowed = math.max(0, math.min(uses, tonumber(ARGV[1]) - (n - uses)))
if allowed == uses then return {allowed, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {allowed, ttl}
`)

// TakeEach counts one use of name by each of whos in one round trip, and returns for each
// 0 when that use is allowed, else how long until the next use is. Someone named
// several times (an expert a burst of questions is pushed to) is counted with one script
// call, their first uses allowed first.
func (q *Quota) TakeEach(ctx context.Context, name string, whos []int64, limit int, window time.Duration) ([]time.Duration, error) {
	if len(whos) == 0 {
		return nil, nil
	}
	var order []int64
	uses := map[int64]int{}
	for _, who := range whos {
		if uses[who] == 0 {
			order = append(order, who)
		}
		uses[who]++
	}
	run := func() ([]*redis.Cmd, error) {
		pipe := q.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(order))
		for i, who := range order {
			cmds[i] = takeManyScript.EvalSha(ctx, pipe, []string{q.quotaKey(name, who)}, limit, window.Milliseconds(), uses[who])
		}
		_, err := pipe.Exec(ctx)
		return cmds, err
	}
	cmds, err := run()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// The first time on this Redis (or after a restart): load the script, once.
		if err := takeManyScript.Load(ctx, q.rdb).Err(); err != nil {
			return nil, fmt.Errorf("quota %s: %w", name, err)
		}
		cmds, err = run()
	}
	if err != nil {
		return nil, fmt.Errorf("quota %s: %w", name, err)
	}
	allowed, wait := map[int64]int64{}, map[int64]time.Duration{}
	for i, c := range cmds {
		r, err := c.Int64Slice()
		if err != nil || len(r) != 2 {
			return nil, fmt.Errorf("quota %s: %v %w", name, r, err)
		}
		allowed[order[i]], wait[order[i]] = r[0], time.Duration(r[1])*time.Millisecond
	}
	out := make([]time.Duration, len(whos))
	for i, who := range whos {
		if allowed[who] > 0 {
			allowed[who]--
			continue
		}
		out[i] = wait[who]
	}
	return out, nil
}
