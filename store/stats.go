package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// WeekCount is how many questions a category or township got in a week.
type WeekCount struct {
	Week  time.Time
	Key   string
	Count int
}

// Stats is a county's work over a period.
type Stats struct {
	Questions int
	Answered  int
	// Times in seconds, from asking (0 when nothing counted).
	ClaimMedian, ClaimP90   float64
	AnswerMedian, AnswerP90 float64
	WithinSLA               int // answered within the SLA
	Feedback                map[string]int
	ByCategoryWeek          []WeekCount
	ByTownshipWeek          []WeekCount
	ByTownship              []WeekCount // Week unset: the whole period
	Experts                 []ExpertStats
	Sessions                int
	VisitsDone              int
}

// ExpertStats is one expert's work.
type ExpertStats struct {
	UserID       int64
	Name         string
	Answered     int
	MedianAnswer float64 // seconds from asking
	Solved       int
	Rated        int // answers with the farmer's solved / not solved
}

// CountyStats reads a county's statistics for questions asked in [from, to); weeks
// start on Monday in tz.
func (d *queries) CountyStats(ctx context.Context, county string, from, to time.Time, sla time.Duration, tz string) (Stats, error) {
	s := Stats{Feedback: map[string]int{}}
	err := d.dbtx.QueryRow(ctx, `SELECT count(*), count(answered_at),
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM claimed_first - asked_at)), 0),
			coalesce(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM claimed_first - asked_at)), 0),
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_answer - asked_at)), 0),
			coalesce(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first_answer - asked_at)), 0),
			count(*) FILTER (WHERE first_answer - asked_at <= $4)
		FROM (SELECT q.*, (SELECT min(answered_at) FROM answers a WHERE a.question_id = q.id) AS first_answer,
				(SELECT min(e.at) FROM question_events e WHERE e.question_id = q.id AND e.kind IN ('claimed', 'assigned')) AS claimed_first
			FROM questions q WHERE county_id = $1 AND asked_at >= $2 AND asked_at < $3) q`,
		county, from, to, sla).Scan(&s.Questions, &s.Answered, &s.ClaimMedian, &s.ClaimP90, &s.AnswerMedian, &s.AnswerP90, &s.WithinSLA)
	if err != nil {
		return s, wrap("stats", err)
	}
	rows, err := d.dbtx.Query(ctx, `SELECT coalesce(feedback, ''), count(*) FROM questions
		WHERE county_id = $1 AND asked_at >= $2 AND asked_at < $3 AND feedback IS NOT NULL GROUP BY 1`, county, from, to)
	if err != nil {
		return s, wrap("stats feedback", err)
	}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			rows.Close()
			return s, wrap("stats feedback", err)
		}
		s.Feedback[k] = n
	}
	rows.Close()
	if rows, err = d.dbtx.Query(ctx, `SELECT date_trunc('week', asked_at AT TIME ZONE $4) AS week, category_id, count(*)::int
		FROM questions WHERE county_id = $1 AND asked_at >= $2 AND asked_at < $3 GROUP BY 1, 2 ORDER BY 1, 2`, county, from, to, tz); err != nil {
		return s, wrap("stats weeks", err)
	}
	if s.ByCategoryWeek, err = pgx.CollectRows(rows, pgx.RowToStructByPos[WeekCount]); err != nil {
		return s, wrap("stats weeks", err)
	}
	if rows, err = d.dbtx.Query(ctx, `SELECT date_trunc('week', asked_at AT TIME ZONE $4) AS week, township, count(*)::int
		FROM questions WHERE county_id = $1 AND asked_at >= $2 AND asked_at < $3 GROUP BY 1, 2 ORDER BY 1, 2`, county, from, to, tz); err != nil {
		return s, wrap("stats township weeks", err)
	}
	if s.ByTownshipWeek, err = pgx.CollectRows(rows, pgx.RowToStructByPos[WeekCount]); err != nil {
		return s, wrap("stats township weeks", err)
	}
	if rows, err = d.dbtx.Query(ctx, `SELECT 'epoch'::timestamp, township, count(*)::int
		FROM questions WHERE county_id = $1 AND asked_at >= $2 AND asked_at < $3 GROUP BY 2 ORDER BY 3 DESC, 2`, county, from, to); err != nil {
		return s, wrap("stats townships", err)
	}
	if s.ByTownship, err = pgx.CollectRows(rows, pgx.RowToStructByPos[WeekCount]); err != nil {
		return s, wrap("stats townships", err)
	}
	if rows, err = d.dbtx.Query(ctx, `SELECT a.expert_id, max(a.expert_name), count(*)::int,
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.answered_at - q.asked_at)), 0),
			count(*) FILTER (WHERE q.feedback IN ('solved', 'archive'))::int,
			count(*) FILTER (WHERE q.feedback IN ('solved', 'unsolved'))::int
		FROM answers a JOIN questions q ON q.id = a.question_id
		WHERE q.county_id = $1 AND a.answered_at >= $2 AND a.answered_at < $3
		GROUP BY a.expert_id ORDER BY 3 DESC, 2`, county, from, to); err != nil {
		return s, wrap("stats experts", err)
	}
	if s.Experts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ExpertStats]); err != nil {
		return s, wrap("stats experts", err)
	}
	err = d.dbtx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM clinic_sessions WHERE county_id = $1 AND starts_at >= $2 AND starts_at < $3),
			(SELECT count(*) FROM visits WHERE county_id = $1 AND status = 'done' AND scheduled_at >= $2 AND scheduled_at < $3)`,
		county, from, to).Scan(&s.Sessions, &s.VisitsDone)
	return s, wrap("stats sessions", err)
}
