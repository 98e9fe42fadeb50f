package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// QueryRowForTest reads inside a transaction, for tests that look at its state.
func (d *queries) QueryRowForTest(ctx context.Context, sql string, args ...any) pgx.Row {
	return d.dbtx.QueryRow(ctx, sql, args...)
}
