package store_test

import (
	"context"
	"testing"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// A question naming no crop or pest has no terms; indexing it must not fail (a NULL
// there stopped the whole background indexing batch).
func TestSetSearchTakesAQuestionWithoutTerms(t *testing.T) {
	t.Parallel()
	db := store.NewDB(storetest.NewPool(t))
	a := newAnswer(t, db)
	ctx := context.Background()
	if err := db.SetSearch(ctx, a.QuestionID, "'水稻':1A", "", nil, true); err != nil {
		t.Fatalf("SetSearch without terms: %v", err)
	}
}
