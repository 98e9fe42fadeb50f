package store_test

import (
	"context"
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
