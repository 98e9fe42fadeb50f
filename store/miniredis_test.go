package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/store"
)

// `agriclinic demo` runs on miniredis, an embedded Redis written in Go, when REDIS_URL is
// unset. These tests run every Redis command and Lua script the product uses (the queue,
// the limiter, the quota and the leases) against it, so a script miniredis cannot run, or
// runs differently, fails here and not in front of someone trying the demo. miniredis
// only lets time pass for expiry when told (FastForward); the demo moves it with the
// real clock.

func newMiniredis(t *testing.T) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return mr, rdb
}

func TestMiniredisRunsTheQueue(t *testing.T) {
	t.Parallel()
	_, rdb := newMiniredis(t)
	q := store.NewQueue(rdb, "demo:")
	ctx := context.Background()
	base := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	if err := q.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	for _, e := range []store.Entry{
		{QuestionID: 3, Category: "tea", AskedAt: base.Add(3 * time.Minute)},
		{QuestionID: 1, Category: "rice", AskedAt: base.Add(time.Minute)},
		{QuestionID: 2, Category: "tea", AskedAt: base.Add(2 * time.Minute)},
		{QuestionID: 4, Category: "rice", AskedAt: base.Add(4 * time.Minute), Priority: base.Add(10 * time.Minute)},
	} {
		if err := q.Push(ctx, "yuqing", e); err != nil {
			t.Fatal(err)
		}
	}
	entries, total, err := q.Peek(ctx, "yuqing", []string{"rice", "tea"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range entries {
		ids = append(ids, e.QuestionID)
	}
	if !slices.Equal(ids, []int64{4, 1, 2}) || total != 4 {
		t.Errorf("Peek = %v of %d, want the prioritised 4 first, then 1 and 2, of 4", ids, total)
	}
	if err := q.Remove(ctx, "yuqing", "tea", 2); err != nil {
		t.Fatal(err)
	}
	members, err := q.Members(ctx, "yuqing", "tea")
	if err != nil || !slices.Equal(members, []int64{3}) {
		t.Errorf("tea after Remove = %v, %v; want [3]", members, err)
	}
	stats, err := q.Stats(ctx, "yuqing", []string{"rice", "tea", "fruit"})
	if err != nil {
		t.Fatal(err)
	}
	if stats[0].Depth != 2 || !stats[1].Oldest.Equal(base.Add(3*time.Minute)) || stats[2].Depth != 0 || !stats[2].Oldest.IsZero() {
		t.Errorf("Stats = %+v", stats)
	}
}

func TestMiniredisRunsTheLimiterScript(t *testing.T) {
	t.Parallel()
	_, rdb := newMiniredis(t)
	rates := store.DefaultRates
	rates.Margin = 0 // Telegram's windows exactly, to check the script's arithmetic
	l := store.NewLimiter(rdb, "demo:", rates)
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	reserve := func(chat int64, offset time.Duration) time.Duration {
		t.Helper()
		wait, err := l.Reserve(ctx, chat, at.Add(offset))
		if err != nil {
			t.Fatalf("Reserve: %v", err)
		}
		return wait
	}
	if w := reserve(42, 0); w != 0 {
		t.Fatalf("first message to a chat waits %v", w)
	}
	if w := reserve(42, 100*time.Millisecond); w != 900*time.Millisecond {
		t.Errorf("second message 0.1 s later waits %v, want 0.9s", w)
	}
	if w := reserve(42, time.Second); w != 0 {
		t.Errorf("a second later waits %v, want 0", w)
	}
	// A group: 20 a minute, so one each 3 s.
	if w := reserve(-100, 2*time.Second); w != 0 {
		t.Fatalf("first group message waits %v", w)
	}
	if w := reserve(-100, 3*time.Second); w != 2*time.Second {
		t.Errorf("group message a second later waits %v, want 2s", w)
	}
	if w := reserve(-100, 5*time.Second); w != 0 {
		t.Errorf("group message 3 s later waits %v, want 0", w)
	}
}

func TestMiniredisCountsAQuotaAndItsWindowEnds(t *testing.T) {
	t.Parallel()
	mr, rdb := newMiniredis(t)
	q := store.NewQuota(rdb, "demo:")
	clock := time.Now() // moved with miniredis' own
	q.Now = func() time.Time { return clock }
	ctx := context.Background()
	take := func(who int64) (time.Duration, error) {
		waits, err := q.TakeEach(ctx, "ask", []int64{who}, 2, time.Minute)
		if err != nil {
			return 0, err
		}
		return waits[0], nil
	}
	for i := range 2 {
		if wait, err := take(7); err != nil || wait != 0 {
			t.Fatalf("use %d: wait %v, %v; want within the limit", i+1, wait, err)
		}
	}
	wait, err := take(7)
	if err != nil || wait <= 0 || wait > time.Minute {
		t.Fatalf("third use: wait %v, %v; want up to a minute", wait, err)
	}
	// Full, the count is remembered: Redis is not asked again within the window.
	before := mr.CommandCount()
	if wait, err := take(7); err != nil || wait <= 0 || mr.CommandCount() != before {
		t.Errorf("fourth use: wait %v, %v, %d commands; want a wait and no command", wait, err, mr.CommandCount()-before)
	}
	mr.FastForward(time.Minute)
	clock = clock.Add(time.Minute)
	if wait, err := take(7); err != nil || wait != 0 {
		t.Errorf("after the window: wait %v, %v; want a new window", wait, err)
	}
	// A use given back (the archive refused the question) is allowed again.
	if wait, err := take(7); err != nil || wait != 0 {
		t.Fatalf("second use of the new window: wait %v, %v", wait, err)
	}
	if err := q.GiveBack(ctx, "ask", 7); err != nil {
		t.Fatal(err)
	}
	if wait, err := take(7); err != nil || wait != 0 {
		t.Errorf("a use given back: wait %v, %v; want allowed", wait, err)
	}
}

func TestMiniredisRunsTheLeaseScripts(t *testing.T) {
	t.Parallel()
	mr, rdb := newMiniredis(t)
	l := store.NewLeases(rdb, "demo:")
	ctx := context.Background()
	acquire := func(holder string) bool {
		t.Helper()
		ok, err := l.Acquire(ctx, "poller", holder, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !acquire("a") {
		t.Fatal("a cannot take a free lease")
	}
	if !acquire("a") {
		t.Fatal("a cannot renew its lease")
	}
	if acquire("b") {
		t.Fatal("b took a lease a holds")
	}
	mr.FastForward(11 * time.Second)
	if !acquire("b") {
		t.Fatal("b cannot take the lease after a's expired")
	}
	if err := l.Release(ctx, "poller", "a"); err != nil {
		t.Fatal(err)
	}
	if acquire("a") {
		t.Fatal("a's release of a lease it no longer holds freed it")
	}
	if err := l.Release(ctx, "poller", "b"); err != nil {
		t.Fatal(err)
	}
	if !acquire("a") {
		t.Fatal("a cannot take the lease b released")
	}
}

func TestMiniredisRunsTheClaimArbitration(t *testing.T) {
	t.Parallel()
	mr, rdb := newMiniredis(t)
	q := store.NewQueue(rdb, "demo:")
	ctx := context.Background()
	if h, _, err := q.Arbitrate(ctx, 9, 11, time.Minute); err != nil || h != 11 {
		t.Fatalf("first claim = %d, %v; want 11 to win", h, err)
	}
	if err := q.Claimed(ctx, "yuqing", "rice", 9, 11, "刘农艺师"); err != nil {
		t.Fatal(err)
	}
	if h, name, err := q.Arbitrate(ctx, 9, 13, time.Minute); err != nil || h != 11 || name != "刘农艺师" {
		t.Errorf("second claim = %d %q, %v; want 11 刘农艺师", h, name, err)
	}
	if err := q.Forget(ctx, 9, 11); err != nil {
		t.Fatal(err)
	}
	if h, _, err := q.Arbitrate(ctx, 9, 13, time.Minute); err != nil || h != 13 {
		t.Errorf("after forget = %d, %v; want 13 to win", h, err)
	}
	mr.FastForward(time.Minute)
	if h, _, err := q.Arbitrate(ctx, 9, 11, time.Minute); err != nil || h != 11 {
		t.Errorf("after the mark expired = %d, %v; want 11 to win", h, err)
	}
}

func TestMiniredisTakesEachQuotaInOneRoundTrip(t *testing.T) {
	t.Parallel()
	_, rdb := newMiniredis(t)
	q := store.NewQuota(rdb, "demo:")
	ctx := context.Background()
	for range 2 {
		if _, err := q.TakeEach(ctx, "push", []int64{1, 2}, 2, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	waits, err := q.TakeEach(ctx, "push", []int64{1, 3, 3, 3}, 2, time.Minute)
	if err != nil || len(waits) != 4 || waits[0] <= 0 || waits[1] != 0 || waits[2] != 0 || waits[3] <= 0 {
		t.Errorf("TakeEach = %v, %v; want 1 over its limit, then 3 twice within and once over", waits, err)
	}
}
