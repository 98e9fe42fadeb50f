package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Kinds of schedule.
const (
	ScheduleClinic    = "clinic"
	ScheduleVisitPlan = "visit_plan"
)

// Schedule is a recurring clinic session or visit plan.
type Schedule struct {
	ID         int64
	CountyID   string
	Kind       string
	Spec       string
	Duration   time.Duration
	CategoryID string
	Experts    []int64
	Township   string
	Topic      string
	Active     bool
	NextRunAt  time.Time // zero when inactive
	CreatedBy  int64
	CreatedAt  time.Time
}

const scheduleColumns = `id, county_id, kind, spec, duration, category_id, experts, township, topic, active,
	coalesce(next_run_at, 'epoch'::timestamptz), created_by, created_at`

func scanSchedule(row pgx.Row) (Schedule, error) {
	var s Schedule
	err := row.Scan(&s.ID, &s.CountyID, &s.Kind, &s.Spec, &s.Duration, &s.CategoryID, &s.Experts, &s.Township,
		&s.Topic, &s.Active, &s.NextRunAt, &s.CreatedBy, &s.CreatedAt)
	s.NextRunAt = zeroEpoch(s.NextRunAt)
	return s, err
}

func collectSchedules(rows pgx.Rows) ([]Schedule, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Schedule, error) { return scanSchedule(r) })
}

// CreateSchedule records a schedule.
func (d *queries) CreateSchedule(ctx context.Context, s Schedule) (Schedule, error) {
	var next *time.Time
	if !s.NextRunAt.IsZero() {
		next = &s.NextRunAt
	}
	out, err := scanSchedule(d.dbtx.QueryRow(ctx, `INSERT INTO schedules (county_id, kind, spec, duration,
			category_id, experts, township, topic, active, next_run_at, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING `+scheduleColumns,
		s.CountyID, s.Kind, s.Spec, s.Duration, s.CategoryID, nonNil64(s.Experts), s.Township, s.Topic, s.Active, next, s.CreatedBy, s.CreatedAt))
	return out, wrap("create schedule", err)
}

func nonNil64(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

// Schedule returns one schedule.
func (d *queries) Schedule(ctx context.Context, id int64) (Schedule, error) {
	s, err := scanSchedule(d.dbtx.QueryRow(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE id = $1`, id))
	return s, wrap("schedule", err)
}

// Schedules returns a county's schedules, active first, by next run.
func (d *queries) Schedules(ctx context.Context, county string) ([]Schedule, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE county_id = $1
		ORDER BY active DESC, next_run_at, id`, county)
	if err != nil {
		return nil, wrap("schedules", err)
	}
	out, err := collectSchedules(rows)
	return out, wrap("schedules", err)
}

// ActiveSchedules returns every active schedule.
func (d *queries) ActiveSchedules(ctx context.Context) ([]Schedule, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE active ORDER BY next_run_at, id`)
	if err != nil {
		return nil, wrap("active schedules", err)
	}
	out, err := collectSchedules(rows)
	return out, wrap("active schedules", err)
}

// UpdateSchedule writes a schedule's experts, state and next run.
func (d *queries) UpdateSchedule(ctx context.Context, s Schedule) error {
	var next *time.Time
	if !s.NextRunAt.IsZero() {
		next = &s.NextRunAt
	}
	tag, err := d.dbtx.Exec(ctx, `UPDATE schedules SET experts = $2, active = $3, next_run_at = $4 WHERE id = $1`,
		s.ID, nonNil64(s.Experts), s.Active, next)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return wrap("update schedule", err)
}

// AdvanceSchedule moves a schedule's next run from one time to the next; another
// instance that advanced it first makes this ErrConflict.
func (d *queries) AdvanceSchedule(ctx context.Context, id int64, from, to time.Time) error {
	tag, err := d.dbtx.Exec(ctx, `UPDATE schedules SET next_run_at = $3 WHERE id = $1 AND next_run_at = $2`, id, from, to)
	if err != nil {
		return wrap("advance schedule", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrConflict
	}
	return nil
}

// Fire records that a piece of scheduled work is done; done before, it returns
// ErrDuplicate. Called in the work's transaction, the work commits with it or not at all.
func (d *queries) Fire(ctx context.Context, key string, at time.Time) error {
	tag, err := d.dbtx.Exec(ctx, `INSERT INTO firings (key, fired_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, key, at)
	if err != nil {
		return wrap("fire", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrDuplicate
	}
	return nil
}

// ClinicSession is a session held.
type ClinicSession struct {
	ID         int64
	ScheduleID int64
	CountyID   string
	Number     int
	CategoryID string
	Experts    []int64
	WereOff    []int64
	StartsAt   time.Time
	EndsAt     time.Time
	Answered   int
}

// StartSession records a session with the county's next number.
func (d *queries) StartSession(ctx context.Context, s ClinicSession) (ClinicSession, error) {
	err := d.dbtx.QueryRow(ctx, `INSERT INTO clinic_sessions (schedule_id, county_id, number, category_id, experts,
			were_off, starts_at, ends_at)
		VALUES ($1, $2, (SELECT coalesce(max(number), 0) + 1 FROM clinic_sessions WHERE county_id = $2), $3, $4, $5, $6, $7)
		RETURNING id, number`, s.ScheduleID, s.CountyID, s.CategoryID, nonNil64(s.Experts), nonNil64(s.WereOff), s.StartsAt, s.EndsAt).
		Scan(&s.ID, &s.Number)
	return s, wrap("start session", err)
}

// SessionsEndedBy returns the sessions that ended by now and were not closed yet.
func (d *queries) SessionsEndedBy(ctx context.Context, now time.Time) ([]ClinicSession, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT id, schedule_id, county_id, number, category_id, experts, were_off,
		starts_at, ends_at, coalesce(answered, 0) FROM clinic_sessions WHERE ended_at IS NULL AND ends_at <= $1 ORDER BY ends_at`, now)
	if err != nil {
		return nil, wrap("sessions ended", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ClinicSession])
	return out, wrap("sessions ended", err)
}

// EndSession closes a session with how many questions its experts answered.
func (d *queries) EndSession(ctx context.Context, id int64, answered int, at time.Time) error {
	tag, err := d.dbtx.Exec(ctx, `UPDATE clinic_sessions SET ended_at = $3, answered = $2 WHERE id = $1 AND ended_at IS NULL`, id, answered, at)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrConflict
	}
	return wrap("end session", err)
}

// PutOnDuty puts a county's experts on duty and returns those who were off.
func (d *queries) PutOnDuty(ctx context.Context, county string, experts []int64) ([]int64, error) {
	rows, err := d.dbtx.Query(ctx, `UPDATE experts SET on_duty = true
		WHERE county_id = $1 AND user_id = ANY ($2) AND NOT on_duty RETURNING user_id`, county, experts)
	if err != nil {
		return nil, wrap("put on duty", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return out, wrap("put on duty", err)
}

// PutOffDuty takes a county's experts off duty.
func (d *queries) PutOffDuty(ctx context.Context, county string, experts []int64) error {
	_, err := d.dbtx.Exec(ctx, `UPDATE experts SET on_duty = false WHERE county_id = $1 AND user_id = ANY ($2)`, county, experts)
	return wrap("put off duty", err)
}

// AnsweredBetween counts the answers the experts gave to a county's questions in [from, to).
func (d *queries) AnsweredBetween(ctx context.Context, county string, experts []int64, from, to time.Time) (int, error) {
	var n int
	err := d.dbtx.QueryRow(ctx, `SELECT count(*) FROM answers a JOIN questions q ON q.id = a.question_id
		WHERE q.county_id = $1 AND a.expert_id = ANY ($2) AND a.answered_at >= $3 AND a.answered_at < $4`,
		county, experts, from, to).Scan(&n)
	return n, wrap("answered between", err)
}

// CountyGroups returns the groups bound to a county's townships.
func (d *queries) CountyGroups(ctx context.Context, county string) ([]Group, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT chat_id, county_id, township, title, bound_by, bound_at, mode
		FROM groups WHERE county_id = $1 ORDER BY township, chat_id`, county)
	if err != nil {
		return nil, wrap("county groups", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Group])
	return out, wrap("county groups", err)
}

// VisitReminder is an approved visit with what its reminders say.
type VisitReminder struct {
	ID          int64
	CountyID    string
	Township    string
	Topic       string
	Place       string
	ChatID      int64
	ScheduledAt time.Time
	Experts     []int64
}

// ApprovedVisitsBetween returns the approved visits scheduled in (from, to].
func (d *queries) ApprovedVisitsBetween(ctx context.Context, from, to time.Time) ([]VisitReminder, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT v.id, v.county_id, v.township, v.topic, v.place, v.chat_id, v.scheduled_at,
			coalesce((SELECT array_agg(user_id ORDER BY user_id) FROM visit_experts WHERE visit_id = v.id), '{}')
		FROM visits v WHERE v.status = 'approved' AND v.scheduled_at > $1 AND v.scheduled_at <= $2
		ORDER BY v.scheduled_at, v.id`, from, to)
	if err != nil {
		return nil, wrap("approved visits", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[VisitReminder])
	return out, wrap("approved visits", err)
}

// CategoryExperts returns the approved experts of a county's category, on duty or not.
func (d *queries) CategoryExperts(ctx context.Context, countyID, category string) ([]Expert, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+expertColumns+` FROM experts
		WHERE county_id = $1 AND categories @> ARRAY[$2::text] ORDER BY approved_at, user_id`, countyID, category)
	if err != nil {
		return nil, wrap("category experts", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Expert, error) { return scanExpert(r) })
	return out, wrap("category experts", err)
}

// CalendarVisit is an approved (or done) visit as a calendar shows it.
type CalendarVisit struct {
	ID          int64
	Township    string
	Topic       string
	Problem     string
	Place       string
	Status      string
	ScheduledAt time.Time
	Experts     string // names, comma-separated
}

const calendarQuery = `SELECT v.id, v.township, v.topic, v.problem, v.place, v.status, v.scheduled_at,
		coalesce((SELECT string_agg(e.name, '、' ORDER BY e.name) FROM visit_experts ve
			JOIN experts e ON e.user_id = ve.user_id AND e.county_id = v.county_id WHERE ve.visit_id = v.id), '')
	FROM visits v WHERE v.status IN ('approved', 'done', 'cancelled') AND v.scheduled_at IS NOT NULL AND v.scheduled_at >= $2`

// CountyCalendar returns a county's visits scheduled since a time.
func (d *queries) CountyCalendar(ctx context.Context, county string, since time.Time) ([]CalendarVisit, error) {
	rows, err := d.dbtx.Query(ctx, calendarQuery+` AND v.county_id = $1 ORDER BY v.scheduled_at, v.id`, county, since)
	if err != nil {
		return nil, wrap("county calendar", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[CalendarVisit])
	return out, wrap("county calendar", err)
}

// ExpertCalendar returns an expert's visits scheduled since a time.
func (d *queries) ExpertCalendar(ctx context.Context, expertID int64, since time.Time) ([]CalendarVisit, error) {
	rows, err := d.dbtx.Query(ctx, calendarQuery+` AND EXISTS (SELECT 1 FROM visit_experts x WHERE x.visit_id = v.id AND x.user_id = $1)
		ORDER BY v.scheduled_at, v.id`, expertID, since)
	if err != nil {
		return nil, wrap("expert calendar", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[CalendarVisit])
	return out, wrap("expert calendar", err)
}
