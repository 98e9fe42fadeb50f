//go:build !nodemo

package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestThePrivatePostgresIsMadeOnceStoppedAndReused runs the demo's own Postgres cluster
// from the machine's PostgreSQL in a data folder of the test: made and started, a table
// written, stopped, started again without a second initdb, and the table still there.
func TestThePrivatePostgresIsMadeOnceStoppedAndReused(t *testing.T) {
	t.Parallel()
	if _, err := findPostgresBin(); err != nil {
		t.Skipf("no PostgreSQL installed to make a private cluster with: %v", err)
	}
	data := t.TempDir()
	if os.Geteuid() == 0 {
		// As root the cluster runs as the postgres user, who must reach the folder.
		for d := data; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	getenv := func(name string) string {
		if name == "XDG_DATA_HOME" {
			return data
		}
		return ""
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()

	pg, err := startPrivatePostgres(ctx, getenv, log)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = pg.Stop(context.Background())
		}
	})
	if want := filepath.Join(data, "agriclinic", "demo-pg"); pg.dir != want {
		t.Errorf("cluster in %s, want %s", pg.dir, want)
	}
	pool, err := openPostgres(ctx, pg.URL()) // creates the agriclinic database
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if _, ok := pg.runningPort(ctx); ok {
		t.Fatal("the cluster still runs after Stop")
	}
	version, err := os.Stat(filepath.Join(pg.dir, "PG_VERSION"))
	if err != nil {
		t.Fatal(err)
	}

	again, err := startPrivatePostgres(ctx, getenv, log)
	if err != nil {
		t.Fatal(err)
	}
	stopped = false
	pg = again
	if v, err := os.Stat(filepath.Join(pg.dir, "PG_VERSION")); err != nil || !v.ModTime().Equal(version.ModTime()) {
		t.Errorf("the second start made the cluster again")
	}
	conn, err := pgx.Connect(ctx, again.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT n FROM kept`).Scan(&n); err != nil || n != 7 {
		t.Errorf("after a restart the table reads %d, %v; want 7", n, err)
	}
}

// TestNoPostgresIsOneLineSayingHowToInstallIt keeps the message for a machine without
// PostgreSQL: how to install it, and the alternatives.
func TestNoPostgresIsOneLineSayingHowToInstallIt(t *testing.T) {
	t.Parallel()
	msg := errNoPostgres.Error()
	for _, want := range []string{"apt-get install postgresql", "DATABASE_URL", "docker compose"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
}
