package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// TestSharedAcknowledgementsOpenJoinAndFillUp: with a burst from the third farmer on and
// three questions to a list, questions asked one batch at a time in one group open a
// shared acknowledgement, join it until it is full, and then open the next, which a lone
// farmer's question does only because the farmers before it asked within the window
// (JoinGroupAcks reads them only when a question may open one). A question after the
// window is a quiet group's again; a batch fills a list and opens the next itself.
func TestSharedAcknowledgementsOpenJoinAndFillUp(t *testing.T) {
	t.Parallel()
	db := store.NewDB(storetest.NewPool(t))
	ctx := context.Background()
	if err := db.UpsertCounties(ctx, []store.CountyRecord{{ID: "yuqing", Name: "余庆县", Timezone: "Asia/Shanghai",
		Townships: []string{"白泥镇"}, Categories: []store.CategoryRecord{{ID: "rice", Name: "水稻"}}}}); err != nil {
		t.Fatal(err)
	}
	rule := store.BurstRule{Window: time.Minute, After: 2, Max: 3}
	const chat = -100
	base := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	update := int64(0)
	// ask stores one batch of questions from farmers at at and returns, for each, the
	// acknowledgement it joined (0: none) and how many questions that one lists.
	ask := func(at time.Time, farmers ...int64) (acks []int64, items []int) {
		t.Helper()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var qs []store.NewQuestion
			for _, f := range farmers {
				update++
				qs = append(qs, store.NewQuestion{UpdateID: update, Question: store.Question{CountyID: "yuqing", Township: "白泥镇",
					ChatID: chat, MessageID: update, FarmerID: f, FarmerName: "农户", CategoryID: "rice", Text: "水稻发黄", AskedAt: at}})
			}
			created, facts, err := tx.CreateQuestionsInBursts(ctx, qs, false, rule, at)
			if err != nil {
				return err
			}
			var joins []store.AckJoin
			for _, q := range qs {
				joins = append(joins, store.AckJoin{Question: created[q.UpdateID]})
			}
			joined, err := tx.JoinGroupAcks(ctx, facts, joins)
			if err != nil {
				return err
			}
			for _, j := range joins {
				if a := joined[j.Question.ID]; a != nil {
					acks, items = append(acks, a.ID), append(items, len(a.Items))
				} else {
					acks, items = append(acks, 0), append(items, 0)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return acks, items
	}
	var got []int64
	for i := range int64(6) {
		a, _ := ask(base.Add(time.Duration(i)*time.Second), 1+i)
		got = append(got, a[0])
	}
	first, second := got[2], got[5]
	if got[0] != 0 || got[1] != 0 || first == 0 || got[3] != first || got[4] != first || second == 0 || second == first {
		t.Fatalf("acknowledgements of six farmers one after another = %v, want none, none, A, A, A, B", got)
	}
	// Two minutes later the group is quiet: one farmer's question is acknowledged alone.
	if a, _ := ask(base.Add(2*time.Minute), 7); a[0] != 0 {
		t.Errorf("a question after a quiet minute joined acknowledgement %d, want none", a[0])
	}
	// Five farmers at once, after one: the second of them opens a list (the one before
	// and the first asked), the next two fill it, and the last opens the next.
	acks, items := ask(base.Add(2*time.Minute+time.Second), 8, 9, 10, 11, 12)
	if acks[0] != 0 || acks[1] == 0 || acks[2] != acks[1] || acks[3] != acks[1] || acks[4] == 0 || acks[4] == acks[1] ||
		items[1] != 3 || items[4] != 1 {
		t.Errorf("a batch of five farmers joined %v listing %v, want none, C (3), C, C, D (1)", acks, items)
	}
}
