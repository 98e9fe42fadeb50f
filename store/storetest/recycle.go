package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A test's database is recycled when the test ends: emptied back to what a copy of the
// template holds, and left idle under a name that says so, for the next test of any test
// binary to take by renaming it. Copying the template (CREATE DATABASE … TEMPLATE) and
// dropping a database (which waits for a checkpoint) took over a second a test on a
// busy server, most of the suite's time; emptying one takes a few hundredths of that.
//
// The database's name is what makes it one test's: a database is taken, put aside for
// emptying and made idle by renaming it, which Postgres refuses while anyone is connected,
// and which one session at a time wins. A goroutine of the finished test that reconnects
// afterwards finds no database under the old name, never the next test's data.

// idlePrefix names the idle databases: the rest is the template's digest, so that a
// database is only given to a test binary built from the same migrations, and a random
// part.
const idlePrefix = "agriclinic_idle_"

// resetPrefix names a database while it is emptied.
const resetPrefix = "agriclinic_reset_"

// maxIdle is how many idle databases of one template are kept; more are dropped. It is
// more than go test runs at once here (two packages, each a few tests at a time).
const maxIdle = 24

// pristine is what a fresh copy of the template holds, recorded in the copy's comment
// when it is made and checked before it is recycled: the digest of its schema, the
// digest of the rows the migrations left, by table, and every sequence's last value
// (nil for one never used).
type pristine struct {
	Schema    string            `json:"schema"`
	Rows      map[string]string `json:"rows"`
	Sequences map[string]*int64 `json:"sequences"`
}

// schemaDigestSQL digests everything a test could add to or change in a database's
// schema, and the settings of the database itself. A test that changed any of it gets
// its database dropped, not recycled.
const schemaDigestSQL = `
WITH ns AS (
	SELECT oid, nspname FROM pg_namespace
	WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
		AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
)
SELECT md5(coalesce(string_agg(d, E'\n' ORDER BY d), '')) FROM (
	SELECT format('schema %s %s', nspname, (SELECT nspacl FROM pg_namespace n WHERE n.oid = ns.oid)) FROM ns
	UNION ALL
	SELECT format('relation %s.%s %s %s %s %s', ns.nspname, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relacl)
		FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
	UNION ALL
	SELECT format('column %s.%s %s %s %s %s', ns.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
			a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid))
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns ON ns.oid = c.relnamespace
		LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
		WHERE a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT format('constraint %s.%s %s', ns.nspname, co.conname, pg_get_constraintdef(co.oid))
		FROM pg_constraint co JOIN ns ON ns.oid = co.connamespace
	UNION ALL
	SELECT 'index ' || pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns ON ns.oid = c.relnamespace
	UNION ALL
	SELECT format('function %s %s %s', p.oid::regprocedure, md5(coalesce(p.prosrc, '')), p.proacl)
		FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
	UNION ALL
	SELECT 'trigger ' || pg_get_triggerdef(tg.oid) FROM pg_trigger tg WHERE NOT tg.tgisinternal
	UNION ALL
	SELECT format('rule %s %s', r.ev_class::regclass, md5(pg_get_ruledef(r.oid)))
		FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN ns ON ns.oid = c.relnamespace
	UNION ALL
	SELECT format('type %s %s', t.oid::regtype, t.typtype) FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
	UNION ALL
	SELECT format('text search %s', cfgname) FROM pg_ts_config tc JOIN ns ON ns.oid = tc.cfgnamespace
	UNION ALL
	SELECT format('policy %s %s', polrelid::regclass, polname) FROM pg_policy
	UNION ALL
	SELECT format('extension %s %s', extname, extversion) FROM pg_extension
	UNION ALL
	SELECT 'event trigger ' || evtname FROM pg_event_trigger
	UNION ALL
	SELECT 'publication ' || pubname FROM pg_publication
	UNION ALL
	SELECT format('large objects %s', count(*)) FROM pg_largeobject_metadata
	UNION ALL
	SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
		WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
) s(d)`

// tablesSQL lists the tables of the database's own schemas, with whether they hold
// anything: a table anyone wrote to has a page (emptied ones too, until a vacuum).
const tablesSQL = `
SELECT format('%I.%I', n.nspname, c.relname), pg_relation_size(c.oid) > 0
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
	AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
	AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
ORDER BY 1`

// sequencesSQL lists every sequence of the database's own schemas and its last value,
// null if it was never used.
const sequencesSQL = `SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`

// rowsDigest digests a table's rows.
func rowsDigest(ctx context.Context, conn *pgx.Conn, table string) (string, error) {
	var d string
	err := conn.QueryRow(ctx, `SELECT coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '') FROM `+table+` t`).Scan(&d)
	return d, err
}

// recordPristine reads what the fresh copy at url holds and keeps it in the database's
// comment, for recycle to check against.
func recordPristine(ctx context.Context, admin *pgx.Conn, url, name string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	p := pristine{Rows: map[string]string{}, Sequences: map[string]*int64{}}
	if err := conn.QueryRow(ctx, schemaDigestSQL).Scan(&p.Schema); err != nil {
		return fmt.Errorf("schema digest: %w", err)
	}
	tables, err := listTables(ctx, conn)
	if err != nil {
		return err
	}
	for table, written := range tables {
		if !written {
			continue
		}
		var any bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM `+table+`)`).Scan(&any); err != nil {
			return fmt.Errorf("rows of %s: %w", table, err)
		}
		if !any {
			continue
		}
		if p.Rows[table], err = rowsDigest(ctx, conn, table); err != nil {
			return fmt.Errorf("rows of %s: %w", table, err)
		}
	}
	if p.Sequences, err = listSequences(ctx, conn); err != nil {
		return err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = admin.Exec(ctx, "COMMENT ON DATABASE "+name+" IS '"+strings.ReplaceAll(string(b), "'", "''")+"'")
	return err
}

func listTables(ctx context.Context, conn *pgx.Conn) (map[string]bool, error) {
	rows, err := conn.Query(ctx, tablesSQL)
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	tables := map[string]bool{}
	var name string
	var written bool
	_, err = pgx.ForEachRow(rows, []any{&name, &written}, func() error {
		tables[name] = written
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	return tables, nil
}

func listSequences(ctx context.Context, conn *pgx.Conn) (map[string]*int64, error) {
	rows, err := conn.Query(ctx, sequencesSQL)
	if err != nil {
		return nil, fmt.Errorf("sequences: %w", err)
	}
	seqs := map[string]*int64{}
	var name string
	var last *int64
	_, err = pgx.ForEachRow(rows, []any{&name, &last}, func() error {
		seqs[name] = last
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sequences: %w", err)
	}
	return seqs, nil
}

// takeIdle renames an idle database of the template to name and reports whether it
// found one. Several processes may reach for the same one; the rename decides.
func takeIdle(ctx context.Context, admin *pgx.Conn, digest, name string) (bool, error) {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY random() LIMIT 8`,
		idlePrefix+digest+"_")
	if err != nil {
		return false, err
	}
	idle, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, err
	}
	for _, db := range idle {
		_, err := admin.Exec(ctx, "ALTER DATABASE "+db+" RENAME TO "+name)
		if err == nil {
			return true, nil
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "3D000" && pgErr.Code != "55006") {
			return false, err
		}
		// Another process took it first (3D000, gone) or is taking it (55006, in use).
	}
	return false, nil
}

// release recycles the database name after its test, or drops it when it cannot be
// recycled.
func release(ctx context.Context, admin *pgx.Conn, adminURL, digest, name string) error {
	current, err := recycle(ctx, admin, adminURL, digest, name)
	if err == nil {
		return nil
	}
	if _, dropErr := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+current+" WITH (FORCE)"); dropErr != nil {
		return fmt.Errorf("drop %s: %w", current, dropErr)
	}
	if errors.Is(err, errNotPristine) {
		return nil
	}
	return fmt.Errorf("recycle (dropped instead): %w", err)
}

// errNotPristine: the test changed the schema, or the rows the migrations left, so the
// database is dropped rather than recycled. Not a failure.
var errNotPristine = errors.New("not as the template left it")

// recycle empties the database name and makes it idle, and returns its idle name; on an
// error it returns the name the database has by then, for release to drop.
func recycle(ctx context.Context, admin *pgx.Conn, adminURL, digest, name string) (string, error) {
	// Nobody may stay connected: end every session of the test, then take the database
	// away from its name, which fails if a session reconnected in between.
	resetting := resetPrefix + randomName()
	renamed := false
	for range 3 {
		if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
			return name, fmt.Errorf("end sessions: %w", err)
		}
		_, err := admin.Exec(ctx, "ALTER DATABASE "+name+" RENAME TO "+resetting)
		if err == nil {
			renamed = true
			break
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			return name, fmt.Errorf("rename: %w", err)
		}
	}
	if !renamed {
		return name, errors.New("sessions keep connecting")
	}

	var comment string
	if err := admin.QueryRow(ctx, `SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database
		WHERE datname = $1`, resetting).Scan(&comment); err != nil {
		return resetting, fmt.Errorf("comment: %w", err)
	}
	var want pristine
	if err := json.Unmarshal([]byte(comment), &want); err != nil || want.Schema == "" {
		return resetting, errNotPristine
	}
	url, err := databaseURL(adminURL, resetting)
	if err != nil {
		return resetting, err
	}
	if err := empty(ctx, url, want); err != nil {
		return resetting, err
	}

	var n int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE starts_with(datname, $1)`,
		idlePrefix+digest+"_").Scan(&n); err != nil {
		return resetting, err
	}
	if n >= maxIdle {
		return resetting, errNotPristine
	}
	idle := idlePrefix + digest + "_" + randomName()
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+resetting+" RENAME TO "+idle); err != nil {
		return resetting, fmt.Errorf("rename: %w", err)
	}
	return idle, nil
}

// empty brings the database at url back to want: every table emptied but those the
// migrations filled, which must hold what they held, and every sequence where it was.
func empty(ctx context.Context, url string, want pristine) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, schemaDigestSQL).Scan(&schema); err != nil {
		return fmt.Errorf("schema digest: %w", err)
	}
	if schema != want.Schema {
		return errNotPristine
	}
	var prepared bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_prepared_xacts WHERE database = current_database())`).Scan(&prepared); err != nil || prepared {
		return errors.Join(errNotPristine, err)
	}
	tables, err := listTables(ctx, conn)
	if err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit, a no-op
	var written []string
	for table, w := range tables {
		if _, filled := want.Rows[table]; w && !filled {
			written = append(written, table)
		}
	}
	if len(written) > 0 {
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(written, ", ")+" CASCADE"); err != nil {
			return fmt.Errorf("truncate: %w", err)
		}
	}
	for table, digest := range want.Rows {
		got, err := rowsDigest(ctx, tx.Conn(), table)
		if err != nil {
			return err
		}
		if got != digest {
			return errNotPristine
		}
	}
	seqs, err := listSequences(ctx, tx.Conn())
	if err != nil {
		return err
	}
	for seq, last := range seqs {
		was, ok := want.Sequences[seq]
		if !ok {
			return errNotPristine
		}
		switch {
		case was == nil && last != nil:
			_, err = tx.Exec(ctx, `SELECT setval($1::regclass, start_value, false) FROM pg_sequences
				WHERE format('%I.%I', schemaname, sequencename) = $2`, seq, seq)
		case was != nil && (last == nil || *last != *was):
			_, err = tx.Exec(ctx, `SELECT setval($1::regclass, $2, true)`, seq, *was)
		}
		if err != nil {
			return fmt.Errorf("sequence %s: %w", seq, err)
		}
	}
	return tx.Commit(ctx)
}
