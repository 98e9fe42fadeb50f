package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Quota counts how often someone does something in a window, so one person cannot flood
// the experts (a farmer sending twenty questions a minute).
type Quota struct {
	rdb    redis.UniversalClient
	prefix string
	// Now reads the clock the windows remembered in full end by (time.Now; a test whose
	// Redis keeps another time sets it to that).
	Now func() time.Time

	mu   sync.Mutex
	full map[fullKey]time.Time // counts at their limit, until their window ends
}

// fullKey is a count at a limit.
type fullKey struct {
	key   string
	limit int
}

// NewQuota keeps counts in rdb under prefix.
func NewQuota(rdb redis.UniversalClient, prefix string) *Quota {
	return &Quota{rdb: rdb, prefix: prefix, Now: time.Now, full: map[fullKey]time.Time{}}
}

// TakeEach counts one use of name by each of whos in one round trip, and returns for each
// 0 when that use is allowed, else how long until the next use is. Someone named
// several times (an expert a burst of questions is pushed to) is counted once with all
// their uses, their first uses allowed first. It needs Redis 7 (PEXPIRE … NX).
func (q *Quota) TakeEach(ctx context.Context, name string, whos []int64, limit int, window time.Duration) ([]time.Duration, error) {
	if len(whos) == 0 {
		return nil, nil
	}
	// A count at its limit stays there until its window ends: in a burst every expert
	// reaches their push limit within seconds, and asking Redis again for each of them
	// for each batch of questions (three commands a person) only confirmed it. Such
	// counts are remembered here; the uses they are not told of would all be over the
	// limit anyway, and the count starts again with its window whoever counts it.
	now := q.Now()
	var (
		order []int64  // the people Redis is asked about
		keys  []string // their counts' keys
	)
	uses := map[int64]int{}
	allowed, wait := map[int64]int64{}, map[int64]time.Duration{}
	q.mu.Lock()
	for _, who := range whos {
		if uses[who]++; uses[who] > 1 {
			continue
		}
		key := q.quotaKey(name, who)
		if until, full := q.full[fullKey{key, limit}]; full && until.After(now) {
			wait[who] = until.Sub(now)
			continue
		}
		order, keys = append(order, who), append(keys, key)
	}
	q.mu.Unlock()
	if len(order) == 0 {
		return waitsOf(whos, allowed, wait), nil
	}
	// Per person: add the uses, start the window if the count has none (a new count, or
	// one that lost its expiry), and read how long the window has left. Plain commands,
	// not a script: the count is exact either way (INCRBY is atomic), and three plain
	// commands cost Redis a third of what one script call does, for the hundred or more
	// people a burst's batch counts.
	pipe := q.rdb.Pipeline()
	counts := make([]*redis.IntCmd, len(order))
	ttls := make([]*redis.DurationCmd, len(order))
	for i, who := range order {
		key := keys[i]
		counts[i] = pipe.IncrBy(ctx, key, int64(uses[who]))
		pipe.Do(ctx, "PEXPIRE", key, window.Milliseconds(), "NX")
		ttls[i] = pipe.PTTL(ctx, key)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("quota %s: %w", name, err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.full) >= maxFull {
		clear(q.full) // remembered to save Redis a question, never needed
	}
	for i, who := range order {
		n, u := counts[i].Val(), int64(uses[who])
		allowed[who] = max(0, min(u, int64(limit)-(n-u)))
		ttl := ttls[i].Val()
		if ttl > 0 {
			wait[who] = ttl
		} else {
			wait[who] = window // the count expired just now: a whole window is the safe answer
		}
		if n >= int64(limit) && ttl > 0 {
			q.full[fullKey{keys[i], limit}] = now.Add(ttl) // an older entry is overwritten
		}
	}
	return waitsOf(whos, allowed, wait), nil
}

// maxFull bounds the counts remembered at their limit (a few bytes each).
const maxFull = 100_000

// waitsOf hands out, in the order of whos, each person's allowed uses first and then
// their wait.
func waitsOf(whos []int64, allowed map[int64]int64, wait map[int64]time.Duration) []time.Duration {
	out := make([]time.Duration, len(whos))
	for i, who := range whos {
		if allowed[who] > 0 {
			allowed[who]--
			continue
		}
		out[i] = wait[who]
	}
	return out
}

// GiveBack returns one use of name to who: a question counted but not stored (the archive
// refused it) is tried again, and its tries must not use up the farmer's allowance.
func (q *Quota) GiveBack(ctx context.Context, name string, who int64) error {
	key := q.quotaKey(name, who)
	q.mu.Lock()
	for k := range q.full {
		if k.key == key {
			delete(q.full, k)
		}
	}
	q.mu.Unlock()
	// Never below zero: a count that expired meanwhile stays gone.
	if err := giveBack.Run(ctx, q.rdb, []string{key}).Err(); err != nil {
		return fmt.Errorf("quota %s: give back: %w", name, err)
	}
	return nil
}

// giveBack decrements a count that exists and is above zero.
//
// KEYS[1]: the count. Result: the count after, or 0 when there was none.
var giveBack = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0`)
