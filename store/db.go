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

// DBTX is what queries need: a pool or a transaction.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// DB is the Postgres archive.
type DB struct {
	pool *pgxpool.Pool
}

// NewDB wraps a pool.
func NewDB(pool *pgxpool.Pool) *DB {
	return &DB{pool: pool}
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
