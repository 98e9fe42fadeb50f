package store

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// An update's handling is stamped on its context (WithUpdate): every Enqueue made under
// it is a numbered step of that update, recorded in handled_updates in the same statement
// as its messages (migrations/0020_handled_updates.sql).

type updateKey struct{}

// updateStamp counts the steps of one handling of an update.
type updateStamp struct {
	id    int64
	steps atomic.Int32
}

// step is one write of an update's handling; update 0 is no update.
type step struct {
	update int64
	n      int32
}

// WithUpdate stamps ctx with the Telegram update being handled. Handling it again starts a
// new stamp: its steps are counted from one again, and a step that a failed try already
// stored is not written twice.
func WithUpdate(ctx context.Context, updateID int64) context.Context {
	return context.WithValue(ctx, updateKey{}, &updateStamp{id: updateID})
}

// WithoutUpdate removes the stamp: for work done for several updates at once (a batch of
// claims or questions, which have their own guards against a second try) and for work
// that outlives the update.
func WithoutUpdate(ctx context.Context) context.Context {
	if ctx.Value(updateKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, updateKey{}, (*updateStamp)(nil))
}

// nextStep numbers the next write of the update ctx is stamped with.
func nextStep(ctx context.Context) step {
	s, _ := ctx.Value(updateKey{}).(*updateStamp)
	if s == nil {
		return step{}
	}
	return step{update: s.id, n: s.steps.Add(1)}
}

// MarkHandled records that updates were handled to the end (step 0), so that a
// redelivery is skipped (see Handled).
func (d *queries) MarkHandled(ctx context.Context, updateIDs []int64, now time.Time) error {
	if len(updateIDs) == 0 {
		return nil
	}
	_, err := d.dbtx.Exec(ctx, `INSERT INTO handled_updates (update_id, step, handled_at)
		SELECT id, 0, $2 FROM unnest($1::bigint[]) AS id
		ON CONFLICT DO NOTHING`, updateIDs, now)
	return wrap("mark handled", err)
}

// Skippable returns which of updateIDs need no handling: handled to the end, or set aside
// (and not handed back).
func (d *queries) Skippable(ctx context.Context, updateIDs []int64) (map[int64]bool, error) {
	rows, err := d.dbtx.Query(ctx, `
		SELECT update_id FROM handled_updates WHERE update_id = ANY ($1) AND step = 0
		UNION
		SELECT update_id FROM dead_updates WHERE update_id = ANY ($1) AND set_aside_at IS NOT NULL AND resolved_at IS NULL`,
		updateIDs)
	if err != nil {
		return nil, wrap("skippable updates", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, wrap("skippable updates", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// ForgetHandled deletes the records of updates handled before cutoff: Telegram keeps an
// unconfirmed update for a day, so none older comes again.
func (db *DB) ForgetHandled(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM handled_updates WHERE handled_at < $1`, cutoff)
	if err != nil {
		return 0, wrap("forget handled updates", err)
	}
	return tag.RowsAffected(), nil
}

// FailedUpdate is an update whose handling failed while the archive was reachable.
type FailedUpdate struct {
	UpdateID int64
	Raw      string // the update's JSON, as received (cleaned of NUL and invalid UTF-8)
	Kind     string // e.g. "command:ask", "button:claim"
	ChatID   int64
	CountyID string // the county whose admins are told; "" when it cannot be told
	Err      string
}

// DeadUpdate is a failed update as the archive keeps it.
type DeadUpdate struct {
	FailedUpdate
	Tries         int
	FirstFailedAt time.Time
	LastFailedAt  time.Time
	SetAsideAt    time.Time // zero while it is still being tried
}

// RecordFailure counts a failure of an update and sets it aside once it has failed
// maxTries times. It returns true when the update is set aside (now or before).
func (db *DB) RecordFailure(ctx context.Context, f FailedUpdate, maxTries int, now time.Time) (bool, error) {
	var setAside bool
	err := db.pool.QueryRow(ctx, `
		INSERT INTO dead_updates AS d (update_id, raw, kind, chat_id, county_id, last_error, tries,
			first_failed_at, last_failed_at, set_aside_at)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, CASE WHEN $8 <= 1 THEN $7::timestamptz END)
		ON CONFLICT (update_id) DO UPDATE SET
			raw = excluded.raw, last_error = excluded.last_error, last_failed_at = $7,
			tries = d.tries + 1,
			county_id = CASE WHEN excluded.county_id <> '' THEN excluded.county_id ELSE d.county_id END,
			set_aside_at = CASE
				WHEN d.set_aside_at IS NOT NULL AND d.resolved_at IS NULL THEN d.set_aside_at
				WHEN d.tries + 1 >= $8 THEN $7::timestamptz END,
			resolved_at = CASE WHEN d.tries + 1 >= $8 THEN NULL ELSE d.resolved_at END
		RETURNING set_aside_at IS NOT NULL`,
		f.UpdateID, f.Raw, f.Kind, f.ChatID, f.CountyID, f.Err, now, maxTries).Scan(&setAside)
	if err != nil {
		return false, wrap("record failed update", err)
	}
	return setAside, nil
}

// DeadUpdates lists the updates set aside and not handed back, newest first: those of
// county, and those whose county could not be told.
func (db *DB) DeadUpdates(ctx context.Context, county string, limit int) ([]DeadUpdate, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT update_id, raw, kind, chat_id, county_id, last_error, tries, first_failed_at, last_failed_at, set_aside_at
		FROM dead_updates
		WHERE set_aside_at IS NOT NULL AND resolved_at IS NULL AND county_id IN ($1, '')
		ORDER BY set_aside_at DESC, update_id DESC LIMIT $2`, county, limit)
	if err != nil {
		return nil, wrap("dead updates", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadUpdate, error) {
		var d DeadUpdate
		err := r.Scan(&d.UpdateID, &d.Raw, &d.Kind, &d.ChatID, &d.CountyID, &d.Err, &d.Tries,
			&d.FirstFailedAt, &d.LastFailedAt, &d.SetAsideAt)
		return d, err
	})
	return out, wrap("dead updates", err)
}

// DeadUpdate returns one update set aside (and not handed back) of county or of no county.
func (db *DB) DeadUpdate(ctx context.Context, county string, updateID int64) (DeadUpdate, error) {
	var d DeadUpdate
	err := db.pool.QueryRow(ctx, `
		SELECT update_id, raw, kind, chat_id, county_id, last_error, tries, first_failed_at, last_failed_at, set_aside_at
		FROM dead_updates
		WHERE update_id = $1 AND set_aside_at IS NOT NULL AND resolved_at IS NULL AND county_id IN ($2, '')`,
		updateID, county).Scan(&d.UpdateID, &d.Raw, &d.Kind, &d.ChatID, &d.CountyID, &d.Err, &d.Tries,
		&d.FirstFailedAt, &d.LastFailedAt, &d.SetAsideAt)
	return d, wrap("dead update", err)
}

// ResolveDead records that an update set aside was handed back and handled.
func (db *DB) ResolveDead(ctx context.Context, updateID int64, now time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE dead_updates SET resolved_at = $2 WHERE update_id = $1`, updateID, now)
	return wrap("resolve dead update", err)
}

// RetryFailed records that handing an update back failed again: it stays set aside.
func (db *DB) RetryFailed(ctx context.Context, updateID int64, reason string, now time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE dead_updates SET tries = tries + 1, last_error = $2, last_failed_at = $3
		WHERE update_id = $1`, updateID, reason, now)
	return wrap("retry dead update", err)
}

// DeadToTell returns, per county, how many updates were set aside and not yet told to
// its admins, for the counties whose admins were last told a day or more before now.
func (db *DB) DeadToTell(ctx context.Context, now time.Time) (map[string]int, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT county_id, count(*) FROM dead_updates d
		WHERE set_aside_at IS NOT NULL AND notified_at IS NULL AND county_id <> ''
		  AND NOT EXISTS (SELECT 1 FROM dead_updates t
			WHERE t.county_id = d.county_id AND t.notified_at > $1::timestamptz - interval '1 day')
		GROUP BY county_id`, now)
	if err != nil {
		return nil, wrap("dead updates to tell", err)
	}
	out := map[string]int{}
	var county string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&county, &n}, func() error {
		out[county] = n
		return nil
	})
	return out, wrap("dead updates to tell", err)
}

// TellDead records that county's admins were told of its updates set aside, with msgs
// (their notices) in the same transaction.
func (db *DB) TellDead(ctx context.Context, county string, now time.Time, msgs []Message) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.dbtx.Exec(ctx, `UPDATE dead_updates SET notified_at = $2
			WHERE county_id = $1 AND set_aside_at IS NOT NULL AND notified_at IS NULL`, county, now); err != nil {
			return wrap("tell dead updates", err)
		}
		return tx.Enqueue(WithoutUpdate(ctx), msgs...)
	})
}
