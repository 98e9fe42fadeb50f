package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// TestTakeEachCountsSomeoneNamedSeveralTimesInOrder: an expert a batch of questions is
// pushed to is counted once per question, their first uses within the limit.
func TestTakeEachCountsSomeoneNamedSeveralTimesInOrder(t *testing.T) {
	t.Parallel()
	rdb, prefix := storetest.NewRedis(t)
	q := store.NewQuota(rdb, prefix)
	ctx := context.Background()
	allowed := func(waits []time.Duration) string {
		s := ""
		for _, w := range waits {
			if w < 0 || w > time.Minute {
				t.Errorf("wait %v outside the window", w)
			}
			s += fmt.Sprint(w == 0, " ")
		}
		return s
	}
	waits, err := q.TakeEach(ctx, "push", []int64{1, 1, 1, 2, 1}, 2, time.Minute)
	if got, want := allowed(waits), "true true false true false "; err != nil || got != want {
		t.Errorf("first batch: %s (%v), want %s", got, err, want)
	}
	waits, err = q.TakeEach(ctx, "push", []int64{2, 2, 1}, 2, time.Minute)
	if got, want := allowed(waits), "true false false "; err != nil || got != want {
		t.Errorf("second batch: %s (%v), want %s", got, err, want)
	}
	if waits, err := q.TakeEach(ctx, "push", []int64{3}, 2, time.Minute); err != nil || waits[0] != 0 {
		t.Errorf("someone new: %v, %v; want allowed", waits, err)
	}
}

// TestTakeEachGivesACountWithoutExpiryAWindow: a count that lost its expiry (restored
// from a dump, say) would otherwise refuse its owner for ever; the next use starts a
// window on it, and a refusal says how long that window has left.
func TestTakeEachGivesACountWithoutExpiryAWindow(t *testing.T) {
	t.Parallel()
	rdb, prefix := storetest.NewRedis(t)
	q := store.NewQuota(rdb, prefix)
	ctx := context.Background()
	key := prefix + "{quota}:ask:9"
	if err := rdb.Set(ctx, key, 5, 0).Err(); err != nil {
		t.Fatal(err)
	}
	waits, err := q.TakeEach(ctx, "ask", []int64{9}, 2, time.Minute)
	if err != nil || len(waits) != 1 || waits[0] <= 0 || waits[0] > time.Minute {
		t.Fatalf("TakeEach = %v, %v; want refused for at most the window", waits, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("the count's expiry is %v, want within the window", ttl)
	}
}

// TestAUseGivenBackIsAllowedAgain: a question counted but refused by the archive gives its
// use back, even when the count had reached its limit; a count is never taken below zero.
func TestAUseGivenBackIsAllowedAgain(t *testing.T) {
	t.Parallel()
	rdb, prefix := storetest.NewRedis(t)
	q := store.NewQuota(rdb, prefix)
	ctx := context.Background()
	for range 2 {
		if waits, err := q.TakeEach(ctx, "ask", []int64{4}, 2, time.Minute); err != nil || waits[0] != 0 {
			t.Fatalf("a use within the limit: %v, %v", waits, err)
		}
	}
	if waits, _ := q.TakeEach(ctx, "ask", []int64{4}, 2, time.Minute); waits[0] == 0 {
		t.Fatal("a third use was allowed with a limit of two")
	}
	// The refused third use and one that was allowed are given back.
	for range 2 {
		if err := q.GiveBack(ctx, "ask", 4); err != nil {
			t.Fatal(err)
		}
	}
	if waits, err := q.TakeEach(ctx, "ask", []int64{4}, 2, time.Minute); err != nil || waits[0] != 0 {
		t.Errorf("after giving back: %v, %v; want allowed", waits, err)
	}
	for range 5 {
		if err := q.GiveBack(ctx, "ask", 5); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := rdb.Get(ctx, prefix+"{quota}:ask:5").Int(); n != 0 {
		t.Errorf("a count given back below zero: %d", n)
	}
}
