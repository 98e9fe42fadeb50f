package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// TestAGroupsJoinIsItsNewestJoinAndAFirstLookNeverReplacesOne: the privacy mode a group
// goes by is the one of the bot's newest join; a join handled again after a newer one
// changes nothing, a first look fills in only a group with no join, a join replaces a
// first look, and leaving forgets the join.
func TestAGroupsJoinIsItsNewestJoinAndAFirstLookNeverReplacesOne(t *testing.T) {
	t.Parallel()
	db := store.NewDB(storetest.NewPool(t))
	ctx := context.Background()
	const group, other = -1001, -1002
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	joins := func() map[int64]store.GroupJoin {
		t.Helper()
		j, err := db.GroupJoins(ctx, []int64{group, other})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	step := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	if j := joins(); len(j) != 0 {
		t.Fatalf("joins before any = %+v, want none", j)
	}
	step("join with privacy off", db.SaveGroupJoin(ctx, group, store.GroupJoin{ReadsAll: true, JoinedAt: at, NotedAt: at}))
	step("an older join again", db.SaveGroupJoin(ctx, group, store.GroupJoin{ReadsAll: false, JoinedAt: at.Add(-time.Hour), NotedAt: at}))
	step("first look", db.NoteGroupsSeen(ctx, []int64{group, other}, at))
	j := joins()
	if g := j[group]; !g.ReadsAll || !g.JoinedAt.Equal(at) {
		t.Errorf("group after an older join and a first look = %+v, want the join with privacy off", g)
	}
	if o, ok := j[other]; !ok || o.ReadsAll || !o.JoinedAt.IsZero() {
		t.Errorf("other after a first look = %+v (%v), want privacy on, no join date", o, ok)
	}

	step("other joins with privacy off", db.SaveGroupJoin(ctx, other, store.GroupJoin{ReadsAll: true, JoinedAt: at.Add(time.Minute), NotedAt: at}))
	step("group leaves", db.ForgetGroupJoin(ctx, group))
	j = joins()
	if _, ok := j[group]; ok {
		t.Errorf("group after leaving = %+v, want no join", j[group])
	}
	if o := j[other]; !o.ReadsAll || !o.JoinedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("other after its join = %+v, want the join with privacy off", o)
	}
}
