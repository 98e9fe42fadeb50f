package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the row is not in the state the change expected: a question someone
	// else claimed, a request another admin already decided.
	ErrConflict = errors.New("state changed")
	// ErrDuplicate means the Telegram update that would cause this change was stored before;
	// Telegram redelivers updates that were not confirmed, and a redelivery must change nothing.
	ErrDuplicate = errors.New("update already handled")
)

// DBTX is what queries need: a pool or a transaction. Begin on a transaction opens a
// savepoint, so a query that needs its own transaction also works inside a larger one.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Begin(ctx context.Context) (pgx.Tx, error)
}

// queries holds every query; DB runs them on the pool, Tx inside one transaction.
type queries struct {
	dbtx DBTX
}

// DB is the Postgres archive.
type DB struct {
	queries
	pool *pgxpool.Pool
}

// TunePool sets what the service's connections need of Postgres besides the defaults:
// the search index's pending list limit (migrations/0019_pending_list_per_session.sql).
// A pool without it works, with slower searches while new questions wait to be merged.
func TunePool(cfg *pgxpool.Config) {
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["gin_pending_list_limit"] = pendingListQuiet
}

// The search index's pending list limit: pendingListQuiet for every session,
// pendingListBurst for the transaction of a batch of questions.
const (
	pendingListQuiet = "64kB"
	pendingListBurst = "1MB"
)

// NewDB wraps a pool.
func NewDB(pool *pgxpool.Pool) *DB {
	return &DB{queries: queries{dbtx: pool}, pool: pool}
}

// Tx is the archive inside one transaction: a state change and the messages it causes
// (see Enqueue) commit together or not at all.
type Tx struct {
	queries
}

// InTx runs fn in a transaction, committed when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, func(t pgx.Tx) error {
		return fn(&Tx{queries: queries{dbtx: t}})
	})
}

// Ping checks that Postgres answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.pool.Ping(ctx)
}

// notFound translates pgx's no-rows error into ErrNotFound so callers need not import pgx.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// wrap names the operation that failed, keeping the cause for errors.Is.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, notFound(err))
}
