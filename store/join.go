package store

import (
	"context"
	"time"
)

// GroupJoin is the bot's privacy mode as it was when it joined a group (0025_group_joins):
// Telegram applies a privacy change to a group only once the bot joins it again.
type GroupJoin struct {
	// ReadsAll is getMe's can_read_all_group_messages at the join: privacy was off, and
	// every message of the group reaches the bot.
	ReadsAll bool
	// JoinedAt is the join's date; zero for a group first looked at, with no join seen,
	// while privacy was on (ReadsAll false).
	JoinedAt time.Time
	NotedAt  time.Time
}

// SaveGroupJoin records that the bot joined a group with the privacy mode j says. A join
// older than the one recorded changes nothing (an update handled again after a newer
// one); a first look (JoinedAt zero) never replaces a join.
func (d *queries) SaveGroupJoin(ctx context.Context, chatID int64, j GroupJoin) error {
	var joinedAt *time.Time
	if !j.JoinedAt.IsZero() {
		joinedAt = &j.JoinedAt
	}
	_, err := d.dbtx.Exec(ctx, `INSERT INTO group_joins (chat_id, reads_all, joined_at, noted_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (chat_id) DO UPDATE SET reads_all = excluded.reads_all, joined_at = excluded.joined_at, noted_at = excluded.noted_at
		WHERE excluded.joined_at IS NOT NULL AND (group_joins.joined_at IS NULL OR group_joins.joined_at <= excluded.joined_at)`,
		chatID, j.ReadsAll, joinedAt, j.NotedAt)
	return wrap("save group join", err)
}

// NoteGroupsSeen records, for the groups among chatIDs that have no join recorded, that
// the bot first looked at them while its privacy mode was on: they count as joined with
// privacy on (GroupJoin.JoinedAt zero).
func (d *queries) NoteGroupsSeen(ctx context.Context, chatIDs []int64, at time.Time) error {
	if len(chatIDs) == 0 {
		return nil
	}
	_, err := d.dbtx.Exec(ctx, `INSERT INTO group_joins (chat_id, reads_all, joined_at, noted_at)
		SELECT id, false, NULL, $2 FROM unnest($1::bigint[]) AS id
		ON CONFLICT (chat_id) DO NOTHING`, chatIDs, at)
	return wrap("note groups seen", err)
}

// ForgetGroupJoin drops a group's join: the bot left it, and whatever mode it comes back
// with is its next join's.
func (d *queries) ForgetGroupJoin(ctx context.Context, chatID int64) error {
	_, err := d.dbtx.Exec(ctx, `DELETE FROM group_joins WHERE chat_id = $1`, chatID)
	return wrap("forget group join", err)
}

// GroupJoins returns the joins recorded for chatIDs; a group with none is absent.
func (d *queries) GroupJoins(ctx context.Context, chatIDs []int64) (map[int64]GroupJoin, error) {
	out := make(map[int64]GroupJoin, len(chatIDs))
	if len(chatIDs) == 0 {
		return out, nil
	}
	rows, err := d.dbtx.Query(ctx, `SELECT chat_id, reads_all, joined_at, noted_at FROM group_joins WHERE chat_id = ANY ($1)`, chatIDs)
	if err != nil {
		return out, wrap("group joins", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id       int64
			j        GroupJoin
			joinedAt *time.Time
		)
		if err := rows.Scan(&id, &j.ReadsAll, &joinedAt, &j.NotedAt); err != nil {
			return out, wrap("group joins", err)
		}
		if joinedAt != nil {
			j.JoinedAt = *joinedAt
		}
		out[id] = j
	}
	return out, wrap("group joins", rows.Err())
}

// BoundGroupJoins counts the bound groups the bot is in (not marked removed) by the
// privacy mode it joined them with: off, on (or first looked at while on), and not known.
func (d *queries) BoundGroupJoins(ctx context.Context) (off, on, unknown int, err error) {
	err = d.dbtx.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE j.reads_all),
			count(*) FILTER (WHERE NOT j.reads_all),
			count(*) FILTER (WHERE j.chat_id IS NULL)
		FROM groups g LEFT JOIN group_joins j ON j.chat_id = g.chat_id
		WHERE g.removed_at IS NULL`).Scan(&off, &on, &unknown)
	return off, on, unknown, wrap("bound group joins", err)
}
