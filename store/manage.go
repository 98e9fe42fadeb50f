package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// ExpertLoadRow is an expert of a county with what they are doing.
type ExpertLoadRow struct {
	Expert
	Holding  int // questions claimed and not answered
	Answered int // answers in the last 30 days
}

// CountyExpertLoad lists a county's experts with their load, by name.
func (d *queries) CountyExpertLoad(ctx context.Context, county string, now time.Time) ([]ExpertLoadRow, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+expertColumns+`,
			(SELECT count(*) FROM questions q WHERE q.county_id = e.county_id AND q.expert_id = e.user_id AND q.status = 'claimed')::int,
			(SELECT count(*) FROM answers a JOIN questions q ON q.id = a.question_id
				WHERE q.county_id = e.county_id AND a.expert_id = e.user_id AND a.answered_at >= $2)::int
		FROM experts e WHERE county_id = $1 ORDER BY name, user_id`, county, now.AddDate(0, 0, -30))
	if err != nil {
		return nil, wrap("county experts", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExpertLoadRow, error) {
		var x ExpertLoadRow
		e := &x.Expert
		err := r.Scan(&e.CountyID, &e.UserID, &e.Name, &e.Username, &e.Language, &e.Categories, &e.OnDuty, &e.ApprovedBy, &e.ApprovedAt,
			&x.Holding, &x.Answered)
		return x, err
	})
	return out, wrap("county experts", err)
}

// SetExpertCategories changes what an expert of a county answers.
func (d *queries) SetExpertCategories(ctx context.Context, county string, userID int64, categories []string) error {
	tag, err := d.dbtx.Exec(ctx, `UPDATE experts SET categories = $3 WHERE county_id = $1 AND user_id = $2`, county, userID, categories)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return wrap("set expert categories", err)
}

// SetExpertDuty puts one expert of a county on or off duty.
func (d *queries) SetExpertDuty(ctx context.Context, county string, userID int64, on bool) error {
	tag, err := d.dbtx.Exec(ctx, `UPDATE experts SET on_duty = $3 WHERE county_id = $1 AND user_id = $2`, county, userID, on)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return wrap("set expert duty", err)
}

// CountyGroupsOf lists the groups bound in a county (see CountyGroups) with how many
// questions each asked.
type GroupRow struct {
	Group
	Questions int
}

// CountyGroupRows lists a county's bound groups with their question counts.
func (d *queries) CountyGroupRows(ctx context.Context, county string) ([]GroupRow, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT g.chat_id, g.county_id, g.township, g.title, g.bound_by, g.bound_at, g.mode,
			(SELECT count(*) FROM questions q WHERE q.chat_id = g.chat_id)::int
		FROM groups g WHERE g.county_id = $1 ORDER BY g.township, g.title`, county)
	if err != nil {
		return nil, wrap("county groups", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (GroupRow, error) {
		var x GroupRow
		g := &x.Group
		err := r.Scan(&g.ChatID, &g.CountyID, &g.Township, &g.Title, &g.BoundBy, &g.BoundAt, &g.Mode, &x.Questions)
		return x, err
	})
	return out, wrap("county groups", err)
}

// PendingExpertRequests lists a county's undecided expert requests, oldest first.
func (d *queries) PendingExpertRequests(ctx context.Context, county string) ([]ExpertRequest, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+expertRequestColumns+` FROM expert_requests
		WHERE county_id = $1 AND status = 'pending' ORDER BY requested_at, id`, county)
	if err != nil {
		return nil, wrap("pending expert requests", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExpertRequest, error) { return scanExpertRequest(r) })
	return out, wrap("pending expert requests", err)
}

// MonthVisits lists a county's visits scheduled in [from, until) whatever became of them,
// and the orders still waiting for a decision: a month of the calendar.
func (d *queries) MonthVisits(ctx context.Context, countyID string, from, until time.Time) ([]Visit, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+visitColumns+` FROM visits WHERE county_id = $1
		AND (status IN ('ordered', 'proposed') OR (scheduled_at >= $2 AND scheduled_at < $3))`+visitListOrder,
		countyID, from, until)
	if err != nil {
		return nil, wrap("month visits", err)
	}
	out, err := collectVisits(rows)
	return out, wrap("month visits", err)
}

// QuestionVisits lists the visits a question led to.
func (d *queries) QuestionVisits(ctx context.Context, questionID int64) ([]Visit, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+visitColumns+` FROM visits WHERE question_id = $1`+visitListOrder, questionID)
	if err != nil {
		return nil, wrap("question visits", err)
	}
	out, err := collectVisits(rows)
	return out, wrap("question visits", err)
}

// RemoveExpert ends an expert's registration in a county and gives back to their queues
// the questions they held there (returned, at the head).
func (d *queries) RemoveExpert(ctx context.Context, county string, userID int64, at time.Time) (Expert, []Question, error) {
	e, err := d.Expert(ctx, county, userID)
	if err != nil {
		return e, nil, err
	}
	rows, err := d.dbtx.Query(ctx, `UPDATE questions SET status = 'open', expert_id = NULL, claimed_at = NULL, priority_at = $3
		WHERE county_id = $1 AND expert_id = $2 AND status = 'claimed' RETURNING `+questionColumns, county, userID, at)
	if err != nil {
		return e, nil, wrap("remove expert", err)
	}
	released, err := collectQuestions(rows)
	if err != nil {
		return e, nil, wrap("remove expert", err)
	}
	for _, q := range released {
		if err := d.AddEvent(ctx, Event{QuestionID: q.ID, Kind: "released", ActorID: userID, Detail: map[string]any{"reason": "expert removed"}, At: at}); err != nil {
			return e, nil, err
		}
	}
	_, err = d.dbtx.Exec(ctx, `DELETE FROM experts WHERE county_id = $1 AND user_id = $2`, county, userID)
	return e, released, wrap("remove expert", err)
}
