package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agriclinic/agriclinic/store"
)

// templateLock is the advisory lock key under which one process at a time looks for, builds
// or drops a template database ("tmpl" in ASCII). Every package's test binary runs in a
// process of its own, and go test runs several at once on one server.
const templateLock = 0x746d706c

// cloneLock is the advisory lock key held around each CREATE DATABASE … TEMPLATE ("cpdb"):
// Postgres refuses to copy a database that another session is using, and a copy in
// progress can count as one, so copies take turns. One copy of the small template
// takes tens of milliseconds.
const cloneLock = 0x63706462

// templatePrefix names the template databases; the rest of the name is a digest of the
// migrations, so a template built from another set of migrations is never reused.
const templatePrefix = "agriclinic_tmpl_"

// completeMark begins the comment on a template whose migrations all went in; a template
// without it was left half-built by a process that died, and is built again.
const completeMark = "agriclinic test template, complete, built "

// staleAfter is how long a template from another set of migrations is kept: a test binary
// built before the migrations changed may still be cloning it.
const staleAfter = time.Hour

var template struct {
	once sync.Once
	name string
	err  error
}

// migratedTemplate returns the name of a database with every embedded migration applied,
// for NewDatabase to copy. The first call in a process finds it or builds it; the
// template is kept between runs and reused as long as the migrations do not change.
func migratedTemplate(ctx context.Context, adminURL string) (string, error) {
	template.once.Do(func() {
		template.name, template.err = ensureTemplate(ctx, adminURL)
	})
	return template.name, template.err
}

func ensureTemplate(ctx context.Context, adminURL string) (string, error) {
	digest, err := store.MigrationsDigest()
	if err != nil {
		return "", err
	}
	name := templatePrefix + digest
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w (is Postgres running? `bash .ci/services`)", redact(adminURL), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock($1)`, templateLock); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer admin.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, templateLock) //nolint:errcheck // the lock also ends with the session

	var comment string
	err = admin.QueryRow(ctx, `SELECT coalesce(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE datname = $1`, name).Scan(&comment)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if err := buildTemplate(ctx, admin, adminURL, name); err != nil {
			return "", err
		}
	case err != nil:
		return "", fmt.Errorf("look for %s: %w", name, err)
	case !strings.HasPrefix(comment, completeMark):
		if err := dropTemplate(ctx, admin, name); err != nil {
			return "", err
		}
		if err := buildTemplate(ctx, admin, adminURL, name); err != nil {
			return "", err
		}
	}
	dropStaleTemplates(ctx, admin, name)
	dropOrphanedIdle(ctx, admin)
	return name, nil
}

// buildTemplate creates name, migrates it, and marks it complete. Connections to it are
// then refused, so nothing holds it open when a test copies it.
func buildTemplate(ctx context.Context, admin *pgx.Conn, adminURL, name string) error {
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	url, err := databaseURL(adminURL, name)
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", name, err)
	}
	_, err = store.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"); err != nil {
		return fmt.Errorf("seal %s: %w", name, err)
	}
	mark := completeMark + time.Now().UTC().Format(time.RFC3339)
	if _, err := admin.Exec(ctx, "COMMENT ON DATABASE "+name+" IS '"+mark+"'"); err != nil {
		return fmt.Errorf("mark %s complete: %w", name, err)
	}
	return nil
}

func dropTemplate(ctx context.Context, admin *pgx.Conn, name string) error {
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE false"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return nil
}

// dropStaleTemplates drops the templates of other sets of migrations once they are old
// enough that no test binary still copies them. It is tidying: a failure is not the
// test's.
func dropStaleTemplates(ctx context.Context, admin *pgx.Conn, keep string) {
	rows, err := admin.Query(ctx, `SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2`, templatePrefix, keep)
	if err != nil {
		return
	}
	type db struct{ name, comment string }
	dbs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (db, error) {
		var d db
		err := r.Scan(&d.name, &d.comment)
		return d, err
	})
	if err != nil {
		return
	}
	for _, d := range dbs {
		built, err := time.Parse(time.RFC3339, strings.TrimPrefix(d.comment, completeMark))
		if err == nil && time.Since(built) < staleAfter {
			continue
		}
		_ = dropTemplate(ctx, admin, d.name)
	}
}

// dropOrphanedIdle drops the idle databases (see recycle.go) of templates that were
// dropped: no test binary takes them any more. Tidying too.
func dropOrphanedIdle(ctx context.Context, admin *pgx.Conn) {
	rows, err := admin.Query(ctx, `SELECT d.datname FROM pg_database d
		WHERE starts_with(d.datname, $1) AND NOT EXISTS (SELECT FROM pg_database t
			WHERE t.datname = $2 || split_part(substr(d.datname, length($1) + 1), '_', 1))`, idlePrefix, templatePrefix)
	if err != nil {
		return
	}
	idle, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range idle {
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
}

// clone creates name as a copy of tmpl. The copies take turns under cloneLock, so that
// one never finds the template in use by another (SQLSTATE 55006).
func clone(ctx context.Context, admin *pgx.Conn, tmpl, name string) error {
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock($1)`, cloneLock); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer admin.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, cloneLock) //nolint:errcheck // the lock also ends with the session
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55006" {
			return fmt.Errorf("copy %s: %w (a session is connected to the template)", tmpl, err)
		}
		return fmt.Errorf("copy %s: %w", tmpl, err)
	}
	// A test's commits need not wait for the disk: its database is thrown away, and a
	// crash of Postgres itself is no test's subject. Most of a test's time was that wait.
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" SET synchronous_commit = off"); err != nil {
		return fmt.Errorf("set synchronous_commit on %s: %w", name, err)
	}
	return nil
}
