package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// QueueKey names one queue: a county's category.
type QueueKey struct{ County, Category string }

// Depths counts the questions waiting in each queue, in one round trip. A question asked
// now goes behind every one of them (asked earlier, or put at the head), so this is how
// many are ahead of it.
func (q *Queue) Depths(ctx context.Context, keys []QueueKey) ([]int64, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	pipe := q.rdb.Pipeline()
	cards := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cards[i] = pipe.ZCard(ctx, q.queueKey(k.County, k.Category))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	out := make([]int64, len(keys))
	for i, c := range cards {
		out[i] = c.Val()
	}
	return out, nil
}
