package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// env is the bench's own database (dropped at the end unless kept), Redis under its own
// prefix, and the service on them.
type env struct {
	admin    string // the maintenance database URL
	name     string
	kept     bool // the database outlives the run (-keep)
	url      string
	pool     *pgxpool.Pool
	db       *store.DB
	rdb      *redis.Client
	prefix   string
	counties []consult.County
	svc      *consult.Service
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// keptDatabase is the database -keep leaves behind for the next run; drop it when done:
// psql -c 'DROP DATABASE agriclinic_bench_kept'.
const keptDatabase = "agriclinic_bench_kept"

func newEnv(ctx context.Context, keep bool) (*env, error) {
	e := &env{
		admin:  getenv("BENCH_DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		name:   fmt.Sprintf("agriclinic_bench_%d", os.Getpid()),
		kept:   keep,
		prefix: fmt.Sprintf("bench%d:", os.Getpid()),
	}
	if keep {
		e.name = keptDatabase
	}
	conn, err := pgx.Connect(ctx, e.admin)
	if err != nil {
		return nil, fmt.Errorf("postgres (bash .ci/services starts it): %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", e.name).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+e.name); err != nil {
			return nil, err
		}
	}
	cfg, err := pgxpool.ParseConfig(e.admin)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.Database = e.name
	cfg.MaxConns = 32
	store.TunePool(cfg) // as the service's own pool
	// ConnString is the URL parsed, not the config changed since: name the database in it.
	u, err := url.Parse(e.admin)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + e.name
	e.url = u.String()
	if e.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx, e.pool); err != nil {
		return nil, err
	}
	ropts, err := redis.ParseURL(getenv("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
	if err != nil {
		return nil, err
	}
	ropts.PoolSize = 600
	e.rdb = redis.NewClient(ropts)
	if e.counties, err = consult.ParseCounties(consult.ExampleCounties, "yuqing.yaml"); err != nil {
		return nil, err
	}
	e.db = store.NewDB(e.pool)
	e.svc = consult.NewService(e.db, store.NewQueue(e.rdb, e.prefix), e.counties,
		consult.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return e, e.svc.SaveCounties(ctx)
}

// databaseURL is the bench database's URL, for the binary it starts.
func (e *env) databaseURL() string { return e.url }

func (e *env) close() {
	ctx := context.Background()
	e.pool.Close()
	keys, _ := e.rdb.Keys(ctx, e.prefix+"*").Result()
	if len(keys) > 0 {
		e.rdb.Del(ctx, keys...)
	}
	e.rdb.Close()
	if e.kept {
		return
	}
	if conn, err := pgx.Connect(ctx, e.admin); err == nil {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+e.name+" WITH (FORCE)")
		conn.Close(ctx)
	}
}

// vacuum does what autovacuum would soon do after a benchmark deleted an earlier run's
// rows: this machine's PostgreSQL runs with autovacuum off (conf.d/90-ci.conf), and
// without it every rerun on a kept database left ~10,000 more dead questions in every
// index, the search one's posting lists included (333,000 after a day of reruns; the
// claim race fell from 1,736 to 476 claims/s).
func vacuum(ctx context.Context, e *env) error {
	_, err := e.pool.Exec(ctx, "VACUUM ANALYZE questions, question_search, question_events, outbox, bot_messages, experts, groups")
	return err
}
