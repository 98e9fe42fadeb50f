package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

func TestMigrateTwiceAppliesNothingTheSecondTime(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t) // already migrated once
	applied, err := store.Migrate(context.Background(), pool)
	if err != nil || len(applied) != 0 {
		t.Errorf("second migrate applied %v, %v; want nothing", applied, err)
	}
}

func TestPeekMergesCategoriesOldestFirst(t *testing.T) {
	t.Parallel()
	rdb, prefix := storetest.NewRedis(t)
	q := store.NewQueue(rdb, prefix)
	ctx := context.Background()
	base := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	push := func(id int64, cat string, minutes int) {
		t.Helper()
		if err := q.Push(ctx, "yuqing", store.Entry{QuestionID: id, Category: cat, AskedAt: base.Add(time.Duration(minutes) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	push(3, "tea", 3)
	push(1, "rice", 1)
	push(2, "tea", 2)
	push(4, "rice", 4)
	push(1, "rice", 1) // pushed again: keeps its place

	entries, total, err := q.Peek(ctx, "yuqing", []string{"rice", "tea"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range entries {
		ids = append(ids, e.QuestionID)
	}
	if total != 4 || len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 {
		t.Errorf("peek = %v of %d, want [1 2 3] of 4", ids, total)
	}
	// A question given priority (reopened, expired claim) goes before everything asked.
	if err := q.Push(ctx, "yuqing", store.Entry{QuestionID: 4, Category: "rice", AskedAt: base.Add(4 * time.Minute), Priority: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if entries, _, _ := q.Peek(ctx, "yuqing", []string{"rice", "tea"}, 2); len(entries) != 2 || entries[0].QuestionID != 4 || entries[1].QuestionID != 1 {
		t.Errorf("after priority push: %v, want 4 first then 1", entries)
	}
	if err := q.Remove(ctx, "yuqing", "rice", 4); err != nil {
		t.Fatal(err)
	}
	if err := q.Remove(ctx, "yuqing", "rice", 1); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := q.Peek(ctx, "yuqing", []string{"rice", "tea"}, 3); total != 2 {
		t.Errorf("after remove: %d waiting, want 2", total)
	}
	// Another county's queue of the same category is separate.
	if _, total, _ := q.Peek(ctx, "meitan", []string{"rice", "tea"}, 3); total != 0 {
		t.Errorf("meitan: %d waiting, want 0", total)
	}
}

// Presses settled together are settled in order: the first press for a question wins it,
// the later ones in the same round trip learn who holds it, and each question has its own
// race.
func TestArbitrateManySettlesPressesInTheirOrder(t *testing.T) {
	t.Parallel()
	rdb, prefix := storetest.NewRedis(t)
	q := store.NewQueue(rdb, prefix)
	ctx := context.Background()
	if h, _, err := q.Arbitrate(ctx, 8, 21, time.Minute); err != nil || h != 21 {
		t.Fatalf("an earlier press: %d, %v", h, err)
	}
	presses := []store.Press{{QuestionID: 7, ExpertID: 13}, {QuestionID: 7, ExpertID: 11}, {QuestionID: 8, ExpertID: 11}, {QuestionID: 9, ExpertID: 11}}
	if err := q.ArbitrateMany(ctx, presses, time.Minute); err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, p := range presses {
		got = append(got, p.Holder)
	}
	if fmt.Sprint(got) != "[13 13 21 11]" {
		t.Errorf("holders = %v, want [13 13 21 11]", got)
	}
}

func TestArbitrateGivesAQuestionToTheFirstClaimantUntilItIsQueuedAgain(t *testing.T) {
	t.Parallel()
	rdb, prefix := storetest.NewRedis(t)
	q := store.NewQueue(rdb, prefix)
	ctx := context.Background()
	claim := func(expert int64) (int64, string) {
		t.Helper()
		holder, name, err := q.Arbitrate(ctx, 7, expert, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return holder, name
	}
	if h, _ := claim(11); h != 11 {
		t.Fatalf("first claimant got %d, want to win", h)
	}
	if h, name := claim(13); h != 11 || name != "" {
		t.Errorf("second claimant got %d %q, want the winner 11 not yet named", h, name)
	}
	// Once the claim is stored the winner is named for those who press later; nobody else can be.
	if err := q.Claimed(ctx, "yuqing", "rice", 7, 13, "冒名"); err != nil {
		t.Fatal(err)
	}
	if err := q.Claimed(ctx, "yuqing", "rice", 7, 11, "李 专家"); err != nil {
		t.Fatal(err)
	}
	if h, name := claim(13); h != 11 || name != "李 专家" {
		t.Errorf("after naming: %d %q, want 11 李 专家", h, name)
	}
	// Only the winner can give the race up.
	for _, loser := range []int64{13, 1} { // 11 begins with 1
		if err := q.Forget(ctx, 7, loser); err != nil {
			t.Fatal(err)
		}
	}
	if h, _ := claim(13); h != 11 {
		t.Errorf("after a loser's forget: %d, want 11 still", h)
	}
	if err := q.Forget(ctx, 7, 11); err != nil {
		t.Fatal(err)
	}
	if h, _ := claim(13); h != 13 {
		t.Errorf("after the winner's forget: %d, want 13 to win", h)
	}
	// Back in the queue (released, expired, reopened), the question is raced for anew.
	if err := q.Push(ctx, "yuqing", store.Entry{QuestionID: 7, Category: "rice", AskedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if h, _ := claim(11); h != 11 {
		t.Errorf("after a push: %d, want 11 to win again", h)
	}
	// The mark ends by itself: a winner that died cannot hold the question for ever.
	if ttl := rdb.PTTL(ctx, prefix+"{claim:7}").Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("claim mark lives %v, want at most a minute", ttl)
	}
}
