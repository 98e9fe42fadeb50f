package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// TermCount is how many questions of a township named a term.
type TermCount struct {
	CountyID string
	Township string
	Term     string
	Count    int
	IDs      []int64
}

// RecentTermCounts counts, per county, township and term, the questions asked since a
// time that name one of the watched terms.
func (d *queries) RecentTermCounts(ctx context.Context, since time.Time, watch []string) ([]TermCount, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT county_id, township, t, count(*)::int, array_agg(id ORDER BY id)
		FROM questions, unnest(terms) t
		WHERE asked_at >= $1 AND terms && $2 AND t = ANY ($2)
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, since, watch)
	if err != nil {
		return nil, wrap("recent term counts", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TermCount])
	return out, wrap("recent term counts", err)
}

// TermCountsBetween counts, per county, township and term, the questions asked in
// [from, to) that name one of terms: one pass over the window's questions, however many
// townships are being judged (a count per township and term read the window again for
// each, and an outbreak has many).
func (d *queries) TermCountsBetween(ctx context.Context, from, to time.Time, terms []string) (map[TermKey]int, error) {
	out := map[TermKey]int{}
	if len(terms) == 0 {
		return out, nil
	}
	rows, err := d.dbtx.Query(ctx, `SELECT county_id, township, t, count(*)::int
		FROM questions, unnest(terms) t
		WHERE asked_at >= $1 AND asked_at < $2 AND terms && $3 AND t = ANY ($3)
		GROUP BY 1, 2, 3`, from, to, terms)
	if err != nil {
		return nil, wrap("term counts between", err)
	}
	var k TermKey
	var n int
	_, err = pgx.ForEachRow(rows, []any{&k.CountyID, &k.Township, &k.Term, &n}, func() error {
		out[k] = n
		return nil
	})
	return out, wrap("term counts between", err)
}

// TermKey names a term in one township.
type TermKey struct {
	CountyID, Township, Term string
}

// OutbreakAlert is an alert sent (or to be sent) to a county's admins.
type OutbreakAlert struct {
	ID        int64
	CountyID  string
	Township  string
	Term      string
	Week      time.Time
	Questions []int64
	Baseline  float64
	SentAt    time.Time
}

// ClaimOutbreakAlert records an alert unless one was recorded for the township, term and
// week; then it returns ErrDuplicate.
func (d *queries) ClaimOutbreakAlert(ctx context.Context, a OutbreakAlert) (OutbreakAlert, error) {
	err := d.dbtx.QueryRow(ctx, `INSERT INTO outbreak_alerts (county_id, township, term, week, questions, baseline, sent_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
		a.CountyID, a.Township, a.Term, a.Week, a.Questions, a.Baseline, a.SentAt).Scan(&a.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrDuplicate
	}
	return a, wrap("claim outbreak alert", err)
}

// OutbreakAlertByID returns one alert.
func (d *queries) OutbreakAlertByID(ctx context.Context, id int64) (OutbreakAlert, error) {
	var a OutbreakAlert
	err := d.dbtx.QueryRow(ctx, `SELECT id, county_id, township, term, week, questions, baseline, sent_at
		FROM outbreak_alerts WHERE id = $1`, id).
		Scan(&a.ID, &a.CountyID, &a.Township, &a.Term, &a.Week, &a.Questions, &a.Baseline, &a.SentAt)
	return a, wrap("outbreak alert", err)
}

// Visit is a door-to-door visit order.
type Visit struct {
	ID         int64
	CountyID   string
	Township   string
	Topic      string
	Crops      string
	Problem    string
	Households int
	Place      string
	Preferred  string
	Status     string
	Source     string
	OrderedBy  int64
	OrderedAt  time.Time
	ChatID     int64
	QuestionID int64
	AlertID    int64
	// CategoryID is whose experts are offered; ThreadID the forum topic it was ordered
	// in; OrdererLanguage the orderer's app language then.
	CategoryID      string
	OrderedByName   string
	OrdererLanguage string
	ThreadID        int64
	// Set as the order is decided and carried out (zero until then).
	ScheduledAt   time.Time
	ProposedAt    time.Time
	DecidedBy     int64
	DecidedAt     time.Time
	DeclineReason string
	DoneAt        time.Time
}

// CreateVisit records a visit order; one alert orders at most one visit (ErrDuplicate,
// with the existing one).
func (d *queries) CreateVisit(ctx context.Context, v Visit) (Visit, error) {
	var alert, question *int64
	if v.AlertID != 0 {
		alert = &v.AlertID
	}
	if v.QuestionID != 0 {
		question = &v.QuestionID
	}
	err := d.dbtx.QueryRow(ctx, `INSERT INTO visits (county_id, township, topic, crops, problem, households,
			place, preferred, source, ordered_by, ordered_at, chat_id, question_id, alert_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (alert_id) WHERE alert_id IS NOT NULL DO NOTHING RETURNING id, status`,
		v.CountyID, v.Township, v.Topic, v.Crops, v.Problem, v.Households, v.Place, v.Preferred, v.Source,
		v.OrderedBy, v.OrderedAt, v.ChatID, question, alert).Scan(&v.ID, &v.Status)
	if errors.Is(err, pgx.ErrNoRows) && v.AlertID != 0 {
		err = d.dbtx.QueryRow(ctx, `SELECT id, status FROM visits WHERE alert_id = $1`, v.AlertID).Scan(&v.ID, &v.Status)
		if err == nil {
			return v, ErrDuplicate
		}
	}
	return v, wrap("create visit", err)
}
