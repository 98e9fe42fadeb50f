package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// CountyRecord is a county as the county file describes it.
type CountyRecord struct {
	ID         string
	Name       string
	Timezone   string
	Admins     []int64
	Townships  []string
	Categories []CategoryRecord
}

// CategoryRecord is one category of a county.
type CategoryRecord struct {
	ID       string
	Name     string
	NameEn   string
	Keywords []string
}

// UpsertCounties writes the county file into the archive in one transaction. Categories
// that left the file stay in the table, because archived questions still point at them.
func (d *queries) UpsertCounties(ctx context.Context, counties []CountyRecord) error {
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		for _, c := range counties {
			_, err := tx.Exec(ctx, `
				INSERT INTO counties (id, name, timezone, admins, townships, updated_at)
				VALUES ($1, $2, $3, $4, $5, now())
				ON CONFLICT (id) DO UPDATE SET name = $2, timezone = $3, admins = $4,
					townships = $5, updated_at = now()`,
				c.ID, c.Name, c.Timezone, orEmpty(c.Admins), orEmpty(c.Townships))
			if err != nil {
				return err
			}
			for i, cat := range c.Categories {
				_, err := tx.Exec(ctx, `
					INSERT INTO categories (county_id, id, name, name_en, keywords, position)
					VALUES ($1, $2, $3, $4, $5, $6)
					ON CONFLICT (county_id, id) DO UPDATE SET name = $3, name_en = $4,
						keywords = $5, position = $6`,
					c.ID, cat.ID, cat.Name, cat.NameEn, orEmpty(cat.Keywords), i)
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	return wrap("upsert counties", err)
}

// orEmpty keeps a nil slice from becoming NULL in a NOT NULL array column.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
