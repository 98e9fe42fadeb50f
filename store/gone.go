package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Chats the bot can no longer reach (migrations/0024_gone_chats.sql): groups that removed
// it, people who blocked it, and the outbox rows that ended in failure.

// RemovedGroup is a bound group that removed or banned the bot.
type RemovedGroup struct {
	Group
	RemovedAt time.Time
	Reason    string
	// Open counts its questions not yet answered; they stay open.
	Open int
}

// RemoveGroup marks a bound group as one the bot is no longer in. changed is false when it
// was marked already or is not bound: either way there is nothing to tell, and asking
// which would cost a read for every refused message queued to the group.
func (d *queries) RemoveGroup(ctx context.Context, chatID int64, reason string, at time.Time) (RemovedGroup, bool, error) {
	var g RemovedGroup
	err := d.dbtx.QueryRow(ctx, `
		UPDATE groups SET removed_at = $3, removed_reason = $2 WHERE chat_id = $1 AND removed_at IS NULL
		RETURNING chat_id, county_id, township, title, bound_by, bound_at, mode, removed_at, removed_reason,
			(SELECT count(*) FROM questions q WHERE q.chat_id = $1 AND q.status <> 'answered')::int`,
		chatID, reason, at).Scan(&g.ChatID, &g.CountyID, &g.Township, &g.Title, &g.BoundBy, &g.BoundAt, &g.Mode,
		&g.RemovedAt, &g.Reason, &g.Open)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, false, nil
	}
	return g, err == nil, wrap("remove group", err)
}

// RestoreGroup marks a group the bot is in again as active. changed is false when it was
// not marked removed (or is not bound).
func (d *queries) RestoreGroup(ctx context.Context, chatID int64) (RemovedGroup, bool, error) {
	var g RemovedGroup
	err := d.dbtx.QueryRow(ctx, `
		WITH old AS (SELECT chat_id, removed_at, removed_reason FROM groups WHERE chat_id = $1 AND removed_at IS NOT NULL FOR UPDATE)
		UPDATE groups SET removed_at = NULL, removed_reason = '' FROM old WHERE groups.chat_id = old.chat_id
		RETURNING groups.chat_id, county_id, township, title, bound_by, bound_at, mode, old.removed_at, old.removed_reason,
			(SELECT count(*) FROM questions q WHERE q.chat_id = $1 AND q.status <> 'answered')::int`,
		chatID).Scan(&g.ChatID, &g.CountyID, &g.Township, &g.Title, &g.BoundBy, &g.BoundAt, &g.Mode,
		&g.RemovedAt, &g.Reason, &g.Open)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, false, nil
	}
	return g, err == nil, wrap("restore group", err)
}

// RemovedGroups lists a county's groups the bot is no longer in, most recently removed first.
func (d *queries) RemovedGroups(ctx context.Context, county string) ([]RemovedGroup, error) {
	rows, err := d.dbtx.Query(ctx, `
		SELECT g.chat_id, g.county_id, g.township, g.title, g.bound_by, g.bound_at, g.mode, g.removed_at, g.removed_reason,
			(SELECT count(*) FROM questions q WHERE q.chat_id = g.chat_id AND q.status <> 'answered')::int
		FROM groups g WHERE g.county_id = $1 AND g.removed_at IS NOT NULL
		ORDER BY g.removed_at DESC, g.chat_id`, county)
	if err != nil {
		return nil, wrap("removed groups", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RemovedGroup, error) {
		var g RemovedGroup
		err := r.Scan(&g.ChatID, &g.CountyID, &g.Township, &g.Title, &g.BoundBy, &g.BoundAt, &g.Mode,
			&g.RemovedAt, &g.Reason, &g.Open)
		return g, err
	})
	return out, wrap("removed groups", err)
}

// StartPrivateChat records that the person started the bot (/start, or unblocked it):
// the bot may write to them. wasBlocked says they had blocked it until now.
func (d *queries) StartPrivateChat(ctx context.Context, userID int64, at time.Time) (wasBlocked bool, err error) {
	// Of two starts at once only one finds the block: the other waits for its row and
	// finds it cleared.
	err = d.dbtx.QueryRow(ctx, `UPDATE private_chats SET blocked_at = NULL, blocked_reason = '',
			started_at = coalesce(started_at, $2)
		WHERE user_id = $1 AND blocked_at IS NOT NULL RETURNING true`, userID, at).Scan(&wasBlocked)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		_, err = d.dbtx.Exec(ctx, `INSERT INTO private_chats (user_id, started_at) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET started_at = $2 WHERE private_chats.started_at IS NULL`, userID, at)
		return false, wrap("start private chat", err)
	case err != nil:
		return false, wrap("start private chat", err)
	}
	return true, nil
}

// BlockPrivateChat records that the bot may not write to the person (they blocked it).
// changed is false when that was known already.
func (d *queries) BlockPrivateChat(ctx context.Context, userID int64, reason string, at time.Time) (changed bool, err error) {
	err = d.dbtx.QueryRow(ctx, `
		INSERT INTO private_chats AS p (user_id, blocked_at, blocked_reason) VALUES ($1, $3, $2)
		ON CONFLICT (user_id) DO UPDATE SET blocked_at = $3, blocked_reason = $2 WHERE p.blocked_at IS NULL
		RETURNING true`, userID, reason, at).Scan(&changed)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return changed, wrap("block private chat", err)
}

// Reach is whether a question's answer can go where answers go: its group, or else the
// farmer's private chat.
type Reach struct {
	// GroupRemoved says the bot is no longer in the question's group.
	GroupRemoved bool
	// FarmerStarted says the farmer started the bot and has not blocked it since: the bot
	// may write to them privately.
	FarmerStarted bool
	// FarmerLanguage is the farmer's /lang choice ("" when none).
	FarmerLanguage string
}

// ReachOf says where an answer to a question asked in chatID by farmerID can go.
func (d *queries) ReachOf(ctx context.Context, chatID, farmerID int64) (Reach, error) {
	var r Reach
	err := d.dbtx.QueryRow(ctx, `SELECT
			coalesce((SELECT removed_at IS NOT NULL FROM groups WHERE chat_id = $1), false),
			EXISTS (SELECT 1 FROM private_chats WHERE user_id = $2 AND started_at IS NOT NULL AND blocked_at IS NULL),
			coalesce((SELECT lang FROM language_prefs WHERE chat_id = $2), '')`,
		chatID, farmerID).Scan(&r.GroupRemoved, &r.FarmerStarted, &r.FarmerLanguage)
	return r, wrap("reach", err)
}

// FailedMessage is an outbox row given up on.
type FailedMessage struct {
	ID       int64
	ChatID   int64
	Method   string // MethodSend, MethodEdit, or the Bot API method of a MethodCall
	Attempts int
	Reason   string
	FailedAt time.Time
}

// FailedMessages lists the messages given up on, newest first: those to chats of county
// (its groups, experts, admins and coordinators) and those to chats no county knows (a
// farmer's private chat). Messages superseded by a newer version are no failures.
func (db *DB) FailedMessages(ctx context.Context, county string, limit int) ([]FailedMessage, error) {
	rows, err := db.pool.Query(ctx, `
		WITH known AS (
			SELECT chat_id, county_id FROM groups
			UNION ALL SELECT user_id, county_id FROM experts
			UNION ALL SELECT user_id, county_id FROM coordinators
			UNION ALL SELECT unnest(admins), id FROM counties
		)
		SELECT o.id, o.chat_id, CASE WHEN o.method = 'call' THEN o.api_method ELSE o.method END,
			o.attempts, o.last_error, o.failed_at
		FROM outbox o
		WHERE o.failed_at IS NOT NULL AND o.last_error <> 'superseded before delivery'
			AND (EXISTS (SELECT 1 FROM known k WHERE k.chat_id = o.chat_id AND k.county_id = $1)
				OR NOT EXISTS (SELECT 1 FROM known k WHERE k.chat_id = o.chat_id))
		ORDER BY o.failed_at DESC, o.id DESC LIMIT $2`, county, limit)
	if err != nil {
		return nil, wrap("failed messages", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FailedMessage, error) {
		var m FailedMessage
		err := r.Scan(&m.ID, &m.ChatID, &m.Method, &m.Attempts, &m.Reason, &m.FailedAt)
		return m, err
	})
	return out, wrap("failed messages", err)
}

// RetryWithin schedules another attempt of a message that failed for a reason that may
// pass (a 429, a 5xx, the network) at, unless it has been failing for giveUp or longer
// since its first failure: then it is given up now, with the reason and how many times it
// was tried. gaveUp says which.
func (db *DB) RetryWithin(ctx context.Context, id int64, now, at time.Time, reason string, giveUp time.Duration) (gaveUp bool, err error) {
	err = db.pool.QueryRow(ctx, `
		UPDATE outbox SET first_failed_at = coalesce(first_failed_at, $2), locked_until = NULL,
			next_attempt_at = $3,
			failed_at = CASE WHEN coalesce(first_failed_at, $2) <= $2 - $5::bigint * interval '1 microsecond' THEN $2::timestamptz END,
			last_error = CASE WHEN coalesce(first_failed_at, $2) <= $2 - $5::bigint * interval '1 microsecond'
				THEN 'gave up after ' || attempts || ' attempts: ' || $4 ELSE $4 END
		WHERE id = $1 RETURNING failed_at IS NOT NULL`, id, now, at, reason, giveUp.Microseconds()).Scan(&gaveUp)
	return gaveUp, wrap("retry", err)
}

// reachable is the condition on an experts row that the bot may write to the expert: an
// expert who blocked the bot is unreachable and is pushed nothing until their next /start.
const reachable = `NOT EXISTS (SELECT 1 FROM private_chats pc WHERE pc.user_id = experts.user_id AND pc.blocked_at IS NOT NULL)`

// AnswerOf returns one answer by its id.
func (d *queries) AnswerOf(ctx context.Context, id int64) (Answer, error) {
	var a Answer
	err := d.dbtx.QueryRow(ctx, `SELECT id, question_id, expert_id, expert_name, text,
		coalesce(group_message_id, 0), answered_at, kind, file_id FROM answers WHERE id = $1`, id).
		Scan(&a.ID, &a.QuestionID, &a.ExpertID, &a.ExpertName, &a.Text, &a.GroupMessageID, &a.AnsweredAt, &a.Kind, &a.FileID)
	return a, wrap("answer", err)
}

// SupersedeAfter drops the unsent messages that were to go once outboxID was delivered
// (Message.After): it will not be, and what they say ("your answer is posted") is not
// true. It returns how many it dropped.
func (d *queries) SupersedeAfter(ctx context.Context, outboxID int64, now time.Time) (int64, error) {
	tag, err := d.dbtx.Exec(ctx, `UPDATE outbox SET failed_at = $2, last_error = 'superseded before delivery'
		WHERE after_id = $1 AND sent_at IS NULL AND failed_at IS NULL`, outboxID, now)
	return tag.RowsAffected(), wrap("supersede after", err)
}
