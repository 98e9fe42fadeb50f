package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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

// copyForTest is what NewDatabase makes when no recycled database is idle: a copy of the
// template with its pristine state recorded.
func copyForTest(t *testing.T, admin *pgx.Conn) (name, url, digest string) {
	t.Helper()
	ctx := context.Background()
	adminURL := env("TEST_DATABASE_URL", DefaultDatabaseURL)
	tmpl, err := migratedTemplate(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	name = "agriclinic_test_" + randomName()
	if err := clone(ctx, admin, tmpl, name); err != nil {
		t.Fatal(err)
	}
	if url, err = databaseURL(adminURL, name); err != nil {
		t.Fatal(err)
	}
	if err := recordPristine(ctx, admin, url, name); err != nil {
		t.Fatal(err)
	}
	return name, url, strings.TrimPrefix(tmpl, templatePrefix)
}

func adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, env("TEST_DATABASE_URL", DefaultDatabaseURL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	return admin
}

func dropLater(t *testing.T, admin *pgx.Conn, name string) {
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
}

func TestARecycledDatabaseHoldsWhatAFreshCopyHoldsAndNoOneElseReachesIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin := adminConn(t)
	name, url, digest := copyForTest(t, admin)
	dropLater(t, admin, name)

	// The test writes, moves sequences on, and leaves a session open, as a goroutine
	// nobody joined would.
	left, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer left.Close(ctx)
	if _, err := left.Exec(ctx, `INSERT INTO language_prefs (chat_id, lang) VALUES (1, 'en'), (2, 'zh');
		SELECT nextval('questions_id_seq'), nextval('questions_id_seq'), nextval('outbox_id_seq')`); err != nil {
		t.Fatal(err)
	}

	idle, err := recycle(ctx, admin, env("TEST_DATABASE_URL", DefaultDatabaseURL), digest, name)
	if err != nil {
		t.Fatalf("recycle: %v", err)
	}
	dropLater(t, admin, idle)
	if !strings.HasPrefix(idle, idlePrefix+digest+"_") {
		t.Fatalf("recycled as %s, want an idle name of template %s", idle, digest)
	}
	if err := left.Ping(ctx); err == nil {
		t.Error("the test's session outlived its test")
	}
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Error("the finished test's URL still reaches its recycled database")
	}

	idleURL, err := databaseURL(env("TEST_DATABASE_URL", DefaultDatabaseURL), idle)
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPoolAt(t, idleURL)
	var prefs int
	var question, outbox int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM language_prefs), nextval('questions_id_seq'), nextval('outbox_id_seq')`).
		Scan(&prefs, &question, &outbox); err != nil {
		t.Fatal(err)
	}
	if prefs != 0 || question != 1 || outbox != 1 {
		t.Errorf("recycled: %d language preferences, next question id %d, next outbox id %d; want none, 1 and 1", prefs, question, outbox)
	}
	applied, err := store.Migrate(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("the recycled database lacks migrations %v", applied)
	}
}

func TestADatabaseWhoseSchemaOrMigrationRowsATestChangedIsDropped(t *testing.T) {
	t.Parallel()
	for _, change := range []string{
		`CREATE TABLE mine (id int)`,
		`ALTER TABLE questions ADD COLUMN mine int`,
		`CREATE INDEX mine ON questions (text)`,
		`CREATE FUNCTION mine() RETURNS int AS 'SELECT 1' LANGUAGE sql`,
		`DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`,
	} {
		t.Run(change, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			admin := adminConn(t)
			name, url, digest := copyForTest(t, admin)
			dropLater(t, admin, name)
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, change); err != nil {
				t.Fatal(err)
			}
			conn.Close(ctx)
			current, err := recycle(ctx, admin, env("TEST_DATABASE_URL", DefaultDatabaseURL), digest, name)
			dropLater(t, admin, current)
			if !errors.Is(err, errNotPristine) {
				t.Errorf("recycle = %s, %v; want it refused as %v", current, err, errNotPristine)
			}
		})
	}
}

func TestTheIdleDatabasesOfADroppedTemplateAreDropped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin := adminConn(t)
	orphan := idlePrefix + "0000000000000000_" + randomName()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+orphan); err != nil {
		t.Fatal(err)
	}
	dropLater(t, admin, orphan)
	dropOrphanedIdle(ctx, admin)
	var left bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, orphan).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left {
		t.Errorf("%s outlived its template", orphan)
	}
}
