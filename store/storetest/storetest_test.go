package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/agriclinic/agriclinic/store"
)

func TestNewDatabaseGivesEachParallelTestAFullyMigratedDatabaseOfItsOwn(t *testing.T) {
	t.Parallel()
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := NewPool(t)
			applied, err := store.Migrate(ctx, pool)
			if err != nil {
				t.Fatalf("migrate: %v", err)
			}
			if len(applied) != 0 {
				t.Fatalf("the copy lacked migrations %v", applied)
			}
			if _, err := pool.Exec(ctx, `CREATE TABLE mine (id int)`); err != nil {
				t.Fatalf("a table no other test has: %v", err)
			}
		})
	}
}
