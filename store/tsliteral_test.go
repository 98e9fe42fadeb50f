package store_test

import (
	"context"
	"testing"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// TestLiteralsReadAsPostgresReadsThem: the literals the service writes are what Postgres
// makes of them, quotes and backslashes included, and joining vectors here gives what
// Postgres' || gives.
func TestLiteralsReadAsPostgresReadsThem(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t)
	ctx := context.Background()
	a := store.VectorLiteral([]string{"水稻", "it's", `back\slash`}, 'A')
	b := store.VectorLiteral([]string{"稻飞", "水稻"}, 'B')
	var joined, concat string
	if err := pool.QueryRow(ctx, `SELECT $1::tsvector::text, ($2::tsvector || $3::tsvector)::text`,
		store.JoinVectors(a, "", b), a, b).Scan(&joined, &concat); err != nil {
		t.Fatal(err)
	}
	if joined != concat {
		t.Errorf("JoinVectors gives %s, Postgres' || gives %s", joined, concat)
	}
	query := store.AllOf([]store.QueryTerm{{Lexeme: "水稻"}, {Lexeme: "稻飞", Phrase: false}, {Lexeme: "飞虱", Phrase: true}, {Lexeme: "稻", Prefix: true}})
	var all, any bool
	if err := pool.QueryRow(ctx, `SELECT $1::tsvector @@ $2::tsquery, $1::tsvector @@ $3::tsquery`,
		store.VectorLiteral([]string{"水稻", "稻飞", "飞虱"}, 'A'), query, store.AnyOf([]string{"茶叶", "it's"})).Scan(&all, &any); err != nil {
		t.Fatal(err)
	}
	if !all || any {
		t.Errorf("all of = %v (want true), any of = %v (want false)", all, any)
	}
}
