package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Group is a Telegram group bound to a township.
type Group struct {
	ChatID   int64
	CountyID string
	Township string
	Title    string
	BoundBy  int64
	BoundAt  time.Time
	// Mode is GroupModeAsk or GroupModeOpen.
	Mode string
}

// Group modes: in ask mode only /ask, mentions and replies are questions; in open mode
// (the bot is an admin and sees everything) so are messages that look like questions.
const (
	GroupModeAsk  = "ask"
	GroupModeOpen = "open"
)

// BindGroup binds a group to a township, or moves an already bound group to another one.
func (d *queries) BindGroup(ctx context.Context, g Group) error {
	_, err := d.dbtx.Exec(ctx, `
		INSERT INTO groups (chat_id, county_id, township, title, bound_by, bound_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (chat_id) DO UPDATE SET county_id = $2, township = $3, title = $4,
			bound_by = $5, bound_at = $6`,
		g.ChatID, g.CountyID, g.Township, g.Title, g.BoundBy, g.BoundAt)
	return wrap("bind group", err)
}

// Group returns the binding of a chat, or ErrNotFound when the chat is not bound.
func (d *queries) Group(ctx context.Context, chatID int64) (Group, error) {
	var g Group
	err := d.dbtx.QueryRow(ctx, `
		SELECT chat_id, county_id, township, title, bound_by, bound_at, mode
		FROM groups WHERE chat_id = $1`, chatID).
		Scan(&g.ChatID, &g.CountyID, &g.Township, &g.Title, &g.BoundBy, &g.BoundAt, &g.Mode)
	return g, wrap("group", err)
}

// MigrateGroup follows a group that Telegram turned into a supergroup with a new chat id,
// so its binding and its questions keep working.
func (d *queries) MigrateGroup(ctx context.Context, from, to int64) error {
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE groups SET chat_id = $2 WHERE chat_id = $1
			AND NOT EXISTS (SELECT 1 FROM groups WHERE chat_id = $2)`, from, to); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE questions SET chat_id = $2 WHERE chat_id = $1`, from, to)
		return err
	})
	return wrap("migrate group", err)
}
