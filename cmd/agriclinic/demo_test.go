//go:build !nodemo

package main

import (
	"context"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// TestTheDemoSeedIsMadeOnce seeds an empty archive twice: the second start finds the
// clinic the first made and adds nothing, and the archive is searchable.
func TestTheDemoSeedIsMadeOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewPool(t)
	rdb, prefix := storetest.NewRedis(t)
	counties, err := consult.ParseCounties(consult.ExampleCounties, "yuqing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc := consult.NewService(store.NewDB(pool), store.NewQueue(rdb, prefix), counties, consult.Options{})
	if err := svc.SaveCounties(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, want := range []bool{true, false} {
		seeded, err := seedDemo(ctx, pool, svc, now)
		if err != nil || seeded != want {
			t.Fatalf("seed %d = %v, %v; want %v", i+1, seeded, err, want)
		}
	}
	count := func(sql string) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	for sql, want := range map[string]int{
		`SELECT count(*) FROM questions`:                                                  demoArchiveSize + 1, // and one held
		`SELECT count(*) FROM held_answers WHERE state = 'review'`:                        1,
		`SELECT count(*) FROM answers`:                                                    demoArchiveSize,
		`SELECT count(*) FROM question_search`:                                            demoArchiveSize,
		`SELECT count(*) FROM search_pending`:                                             0,
		`SELECT count(*) FROM groups`:                                                     1,
		`SELECT count(*) FROM experts`:                                                    2,
		`SELECT count(*) FROM visits`:                                                     6,
		`SELECT count(DISTINCT township) FROM questions`:                                  10,
		`SELECT count(DISTINCT feedback) FROM questions`:                                  3,
		`SELECT (count(DISTINCT date_trunc('month', asked_at)) >= 4)::int FROM questions`: 1,
	} {
		if got := count(sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	res, err := svc.Search(ctx, []string{demoCounty}, consult.SearchInput{Text: "稻飞虱", Limit: 5})
	if err != nil || len(res.Hits) == 0 {
		t.Errorf("searching the archive for 稻飞虱 finds %d, %v; want the seeded planthopper questions", len(res.Hits), err)
	}
}
