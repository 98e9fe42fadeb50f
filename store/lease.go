package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Leases elects one instance for work that must not run twice at once: the long poller
// (Telegram answers a second getUpdates with 409) and periodic jobs. A lease is a Redis
// key holding its holder's id with a time to live; the holder renews it, and when the
// holder dies the key expires and another instance takes over.
type Leases struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewLeases returns leases kept in rdb under prefix.
func NewLeases(rdb redis.UniversalClient, prefix string) *Leases {
	return &Leases{rdb: rdb, prefix: prefix}
}

// acquireScript takes a free lease or renews one the caller holds.
//
// KEYS[1]: the lease. ARGV[1]: the holder's id; ARGV[2]: time to live in milliseconds.
// Returns 1 when the caller holds the lease afterwards, 0 when someone else does.
var acquireScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`)

// releaseScript gives a lease up if the caller still holds it.
//
// KEYS[1]: the lease. ARGV[1]: the holder's id. Returns 1 when released.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Acquire takes or renews the named lease for holder; it reports whether holder has it.
func (l *Leases) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	n, err := acquireScript.Run(ctx, l.rdb, []string{l.leaseKey(name)}, holder, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Release gives the lease up so another instance need not wait for it to expire.
func (l *Leases) Release(ctx context.Context, name, holder string) error {
	if err := releaseScript.Run(ctx, l.rdb, []string{l.leaseKey(name)}, holder).Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
