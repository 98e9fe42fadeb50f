package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClaimAdminDigest records that a county's morning digest of day (a date in the county's
// zone, "2006-01-02") is being sent, and reports whether this call recorded it. Only the
// first of any number of callers gets true: a second instance, or a restart in the same
// minute, blocks on the first one's transaction and then gets false.
func (d *queries) ClaimAdminDigest(ctx context.Context, countyID, day string, at time.Time) (bool, error) {
	tag, err := d.dbtx.Exec(ctx, `INSERT INTO admin_digests (county_id, day, sent_at) VALUES ($1, $2::date, $3)
		ON CONFLICT (county_id, day) DO NOTHING`, countyID, day, at)
	if err != nil {
		return false, wrap("claim admin digest", err)
	}
	return tag.RowsAffected() == 1, nil
}

// CategoryActivity is what happened to one category's questions: asked and answered in
// a period, and waiting for an answer (open or claimed) now, overdue among them.
type CategoryActivity struct {
	CategoryID string
	Asked      int
	Answered   int
	Waiting    int
	Overdue    int
}

// CountyActivity counts a county's questions by category: asked in [from, to), answered
// in [from, to), waiting now, and waiting since before overdue. Categories with nothing
// to count are left out.
func (d *queries) CountyActivity(ctx context.Context, countyID string, from, to, overdue time.Time) ([]CategoryActivity, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT category_id,
			count(*) FILTER (WHERE asked_at >= $2 AND asked_at < $3),
			count(*) FILTER (WHERE answered_at >= $2 AND answered_at < $3),
			count(*) FILTER (WHERE status IN ('open', 'claimed')),
			count(*) FILTER (WHERE status IN ('open', 'claimed') AND asked_at < $4)
		FROM questions
		WHERE county_id = $1 AND (asked_at >= $2 AND asked_at < $3
			OR answered_at >= $2 AND answered_at < $3
			OR status IN ('open', 'claimed'))
		GROUP BY category_id ORDER BY category_id`, countyID, from, to, overdue)
	if err != nil {
		return nil, wrap("county activity", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[CategoryActivity])
	return out, wrap("county activity", err)
}

// OldestWaiting returns the county's question that has waited longest for an answer
// (open or claimed), or ErrNotFound when none waits.
func (d *queries) OldestWaiting(ctx context.Context, countyID string) (Question, error) {
	q, err := scanQuestion(d.dbtx.QueryRow(ctx, `SELECT `+questionColumns+` FROM questions
		WHERE county_id = $1 AND status IN ('open', 'claimed') ORDER BY asked_at, id LIMIT 1`, countyID))
	return q, wrap("oldest waiting", err)
}
