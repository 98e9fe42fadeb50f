package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// MessageGuide is the guide the bot posts (and pins) in a group: how to ask, what happens
// next, the duty hours. A reply to it is a question.
const MessageGuide = "guide"

// BotStanding is what the bot last saw of itself in a group (getMe, getChatMember).
type BotStanding struct {
	// Status is getChatMember's status of the bot: member, administrator, restricted…
	Status string
	CanPin bool
	// ReadsAll is getMe's can_read_all_group_messages: privacy mode is off.
	ReadsAll bool
	SeenAt   time.Time
}

// SaveBotStanding records what the bot saw of itself in a group and returns what it had
// seen before, or ErrNotFound when it never had.
func (d *queries) SaveBotStanding(ctx context.Context, chatID int64, st BotStanding) (BotStanding, error) {
	var prev BotStanding
	err := d.dbtx.QueryRow(ctx, `
		WITH old AS (SELECT status, can_pin, reads_all, seen_at FROM group_bot_standing WHERE chat_id = $1 FOR UPDATE),
		new AS (INSERT INTO group_bot_standing (chat_id, status, can_pin, reads_all, seen_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (chat_id) DO UPDATE SET status = $2, can_pin = $3, reads_all = $4, seen_at = $5)
		SELECT status, can_pin, reads_all, seen_at FROM old`,
		chatID, st.Status, st.CanPin, st.ReadsAll, st.SeenAt).Scan(&prev.Status, &prev.CanPin, &prev.ReadsAll, &prev.SeenAt)
	return prev, wrap("save bot standing", err)
}

// BotStandingOf returns what the bot last saw of itself in a group, or ErrNotFound.
func (d *queries) BotStandingOf(ctx context.Context, chatID int64) (BotStanding, error) {
	var st BotStanding
	err := d.dbtx.QueryRow(ctx, `SELECT status, can_pin, reads_all, seen_at FROM group_bot_standing WHERE chat_id = $1`, chatID).
		Scan(&st.Status, &st.CanPin, &st.ReadsAll, &st.SeenAt)
	return st, wrap("bot standing", err)
}

// GuideRow is a guide's outbox row: its id and, once sent, its Telegram message id.
type GuideRow struct {
	OutboxID  int64
	MessageID int64
}

// LastGuide returns the newest guide of a group that was sent or is on its way (not given
// up), or ErrNotFound.
func (d *queries) LastGuide(ctx context.Context, chatID int64) (GuideRow, error) {
	var g GuideRow
	// remember_kind is written out, not bound: only a literal lets Postgres prove the
	// partial index outbox_guides (0022) applies in a generic plan of the prepared query.
	err := d.dbtx.QueryRow(ctx, `SELECT id, coalesce(message_id, 0) FROM outbox
		WHERE chat_id = $1 AND remember_kind = '`+MessageGuide+`' AND failed_at IS NULL ORDER BY id DESC LIMIT 1`,
		chatID).Scan(&g.OutboxID, &g.MessageID)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, ErrNotFound
	}
	return g, wrap("last guide", err)
}
