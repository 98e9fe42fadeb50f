package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// BookGlobal books a slot of the overall schedule alone, for a call that is not a
// message to a chat (a reaction): it takes nothing from any chat's allowance.
func (l *Limiter) BookGlobal(ctx context.Context, now time.Time, ahead time.Duration) (Booking, time.Duration, error) {
	keys := []string{l.limitKey("global")}
	args := []any{now.UnixMicro(), ahead.Microseconds(), interval(l.rates.Global, time.Second+l.rates.Margin)}
	res, err := bookScript.Run(ctx, l.rdb, keys, args...).Int64Slice()
	if err != nil || len(res) != 2 {
		return Full, 0, fmt.Errorf("rate limit: %w", cmp.Or(err, errors.New("unexpected answer")))
	}
	return Booking(res[0]), time.Duration(res[1]) * time.Microsecond, nil
}
