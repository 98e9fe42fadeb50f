package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Kinds of bot message about visits and forms.
const (
	// MessageVisitOrder is a visit order shown to a county admin with the buttons that
	// decide it (ref: the visit); once it is decided every copy is edited to say how.
	MessageVisitOrder = "visit_order"
	// MessageVisitProposal is another time an admin proposed, shown to the township with
	// Accept and Decline (ref: the visit).
	MessageVisitProposal = "visit_proposal"
	// MessageFormPrompt is a form's question to a person (ref: the form, user: the
	// person); in a group, their reply to it answers the form.
	MessageFormPrompt = "form_prompt"
)

// Statuses of a visit: ordered, then approved (a date and experts), proposed (another
// date, for the township to accept) or declined; approved, then done once reported.
const (
	VisitOrdered   = "ordered"
	VisitProposed  = "proposed"
	VisitApproved  = "approved"
	VisitDeclined  = "declined"
	VisitDone      = "done"
	VisitCancelled = "cancelled"
)

// Sources of a visit.
const (
	SourceOrder    = "order"    // a township ordered it (/visit)
	SourceAlert    = "alert"    // an admin, from an outbreak alert
	SourceQuestion = "question" // an expert, from a question that needs a field visit
)

// Coordinator is a township coordinator (乡镇联络员): someone of the township who may order
// visits for it.
type Coordinator struct {
	CountyID  string
	Township  string
	UserID    int64
	Name      string
	Username  string
	Language  string
	GrantedBy int64
	GrantedAt time.Time
}

// GrantCoordinator makes a person a coordinator of a township, or updates their name.
func (d *queries) GrantCoordinator(ctx context.Context, c Coordinator) error {
	_, err := d.dbtx.Exec(ctx, `INSERT INTO coordinators (county_id, township, user_id, name, username, language, granted_by, granted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (county_id, township, user_id) DO UPDATE SET
			name = CASE WHEN $4 = '' THEN coordinators.name ELSE $4 END,
			username = CASE WHEN $4 = '' THEN coordinators.username ELSE $5 END,
			language = CASE WHEN $6 = '' THEN coordinators.language ELSE $6 END,
			granted_by = $7, granted_at = $8`,
		c.CountyID, c.Township, c.UserID, c.Name, c.Username, c.Language, c.GrantedBy, c.GrantedAt)
	return wrap("grant coordinator", err)
}

// RevokeCoordinator ends a person's coordination of a township and returns what it was;
// ErrNotFound when they were none.
func (d *queries) RevokeCoordinator(ctx context.Context, countyID, township string, userID int64) (Coordinator, error) {
	c, err := scanCoordinator(d.dbtx.QueryRow(ctx, `DELETE FROM coordinators
		WHERE county_id = $1 AND township = $2 AND user_id = $3 RETURNING `+coordinatorColumns, countyID, township, userID))
	return c, wrap("revoke coordinator", err)
}

// CoordinatorRoles returns the townships a person coordinates, in every county.
func (d *queries) CoordinatorRoles(ctx context.Context, userID int64) ([]Coordinator, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+coordinatorColumns+` FROM coordinators
		WHERE user_id = $1 ORDER BY county_id, township`, userID)
	if err != nil {
		return nil, wrap("coordinator roles", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Coordinator, error) { return scanCoordinator(r) })
	return out, wrap("coordinator roles", err)
}

const coordinatorColumns = `county_id, township, user_id, name, username, language, granted_by, granted_at`

func scanCoordinator(row pgx.Row) (Coordinator, error) {
	var c Coordinator
	err := row.Scan(&c.CountyID, &c.Township, &c.UserID, &c.Name, &c.Username, &c.Language, &c.GrantedBy, &c.GrantedAt)
	return c, err
}

const visitColumns = `id, county_id, township, topic, crops, problem, households, place, preferred, status, source,
	ordered_by, ordered_at, chat_id, coalesce(question_id, 0), coalesce(alert_id, 0), category_id, ordered_by_name,
	orderer_language, thread_id, coalesce(scheduled_at, 'epoch'::timestamptz), coalesce(proposed_at, 'epoch'::timestamptz),
	coalesce(decided_by, 0), coalesce(decided_at, 'epoch'::timestamptz), decline_reason, coalesce(done_at, 'epoch'::timestamptz)`

func scanVisit(row pgx.Row) (Visit, error) {
	var v Visit
	err := row.Scan(&v.ID, &v.CountyID, &v.Township, &v.Topic, &v.Crops, &v.Problem, &v.Households, &v.Place, &v.Preferred,
		&v.Status, &v.Source, &v.OrderedBy, &v.OrderedAt, &v.ChatID, &v.QuestionID, &v.AlertID, &v.CategoryID, &v.OrderedByName,
		&v.OrdererLanguage, &v.ThreadID, &v.ScheduledAt, &v.ProposedAt, &v.DecidedBy, &v.DecidedAt, &v.DeclineReason, &v.DoneAt)
	for _, t := range []*time.Time{&v.ScheduledAt, &v.ProposedAt, &v.DecidedAt, &v.DoneAt} {
		*t = zeroEpoch(*t)
	}
	return v, err
}

func collectVisits(rows pgx.Rows) ([]Visit, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Visit, error) { return scanVisit(r) })
}

// CreateVisitOrder records a new visit order, and its first event, in one transaction. A
// question has at most one visit under way: ordering another returns that one and
// ErrDuplicate.
func (d *queries) CreateVisitOrder(ctx context.Context, v Visit) (Visit, error) {
	var question *int64
	if v.QuestionID != 0 {
		question = &v.QuestionID
	}
	var out Visit
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		var err error
		out, err = scanVisit(tx.QueryRow(ctx, `INSERT INTO visits (county_id, township, topic, crops, problem, households,
				place, preferred, source, ordered_by, ordered_at, chat_id, question_id, category_id, ordered_by_name,
				orderer_language, thread_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
			ON CONFLICT DO NOTHING RETURNING `+visitColumns,
			v.CountyID, v.Township, v.Topic, v.Crops, v.Problem, v.Households, v.Place, v.Preferred, v.Source,
			v.OrderedBy, v.OrderedAt, v.ChatID, question, v.CategoryID, v.OrderedByName, v.OrdererLanguage, v.ThreadID))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrDuplicate
		}
		if err != nil {
			return err
		}
		return insertVisitEvent(ctx, tx, VisitEvent{VisitID: out.ID, Kind: "ordered", ActorID: v.OrderedBy,
			Detail: map[string]any{"source": v.Source}, At: v.OrderedAt})
	})
	if errors.Is(err, ErrDuplicate) && question != nil {
		existing, err := scanVisit(d.dbtx.QueryRow(ctx, `SELECT `+visitColumns+` FROM visits
			WHERE question_id = $1 AND status IN ('ordered', 'proposed', 'approved')`, v.QuestionID))
		if err != nil {
			return Visit{}, wrap("create visit order", err)
		}
		return existing, ErrDuplicate
	}
	return out, wrap("create visit order", err)
}

// Visit returns one visit by its number.
func (d *queries) Visit(ctx context.Context, id int64) (Visit, error) {
	v, err := scanVisit(d.dbtx.QueryRow(ctx, `SELECT `+visitColumns+` FROM visits WHERE id = $1`, id))
	return v, wrap("visit", err)
}

// changeVisit runs an UPDATE of one visit (sql, without RETURNING), then then, and records
// the event, in one transaction. No row updated means the visit is not in the state the
// change expects: the caller gets the visit as it stands and ErrConflict.
func (d *queries) changeVisit(ctx context.Context, e VisitEvent, then func(tx pgx.Tx) error, sql string, args ...any) (Visit, error) {
	var v Visit
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		var err error
		v, err = scanVisit(tx.QueryRow(ctx, sql+` RETURNING `+visitColumns, args...))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		if then != nil {
			if err := then(tx); err != nil {
				return err
			}
		}
		return insertVisitEvent(ctx, tx, e)
	})
	if errors.Is(err, ErrConflict) {
		current, cerr := d.Visit(ctx, e.VisitID)
		if cerr != nil {
			return Visit{}, cerr
		}
		return current, ErrConflict
	}
	return v, wrap(e.Kind+" visit", err)
}

// addExperts assigns experts to a visit.
func addExperts(ctx context.Context, tx pgx.Tx, visitID, adminID int64, experts []int64, at time.Time) error {
	for _, e := range experts {
		if _, err := tx.Exec(ctx, `INSERT INTO visit_experts (visit_id, user_id, assigned_by, assigned_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, visitID, e, adminID, at); err != nil {
			return err
		}
	}
	return nil
}

// ApproveVisit approves an ordered visit for a time with its experts.
func (d *queries) ApproveVisit(ctx context.Context, id, adminID int64, scheduled time.Time, experts []int64, at time.Time) (Visit, error) {
	return d.changeVisit(ctx, VisitEvent{VisitID: id, Kind: "approved", ActorID: adminID,
		Detail: map[string]any{"scheduled_at": scheduled, "experts": experts}, At: at},
		func(tx pgx.Tx) error { return addExperts(ctx, tx, id, adminID, experts, at) },
		`UPDATE visits SET status = 'approved', scheduled_at = $2, decided_by = $3, decided_at = $4, proposed_at = NULL
		WHERE id = $1 AND status = 'ordered'`, id, scheduled, adminID, at)
}

// ProposeVisit answers an ordered visit with another time, for the township to accept.
func (d *queries) ProposeVisit(ctx context.Context, id, adminID int64, proposed time.Time, at time.Time) (Visit, error) {
	return d.changeVisit(ctx, VisitEvent{VisitID: id, Kind: "proposed", ActorID: adminID,
		Detail: map[string]any{"proposed_at": proposed}, At: at}, nil,
		`UPDATE visits SET status = 'proposed', proposed_at = $2, decided_by = $3, decided_at = $4
		WHERE id = $1 AND status = 'ordered'`, id, proposed, adminID, at)
}

// AcceptProposal approves a proposed visit for the time proposed.
func (d *queries) AcceptProposal(ctx context.Context, id, userID int64, at time.Time) (Visit, error) {
	return d.changeVisit(ctx, VisitEvent{VisitID: id, Kind: "accepted", ActorID: userID, At: at}, nil,
		`UPDATE visits SET status = 'approved', scheduled_at = proposed_at, proposed_at = NULL
		WHERE id = $1 AND status = 'proposed'`, id)
}

// RejectProposal turns a proposed time down: the visit is ordered again, for the admins
// to decide anew.
func (d *queries) RejectProposal(ctx context.Context, id, userID int64, at time.Time) (Visit, error) {
	return d.changeVisit(ctx, VisitEvent{VisitID: id, Kind: "rejected", ActorID: userID, At: at}, nil,
		`UPDATE visits SET status = 'ordered', proposed_at = NULL, decided_by = NULL, decided_at = NULL
		WHERE id = $1 AND status = 'proposed'`, id)
}

// DeclineVisit declines an ordered visit, with the reason the township is given.
func (d *queries) DeclineVisit(ctx context.Context, id, adminID int64, reason string, at time.Time) (Visit, error) {
	return d.changeVisit(ctx, VisitEvent{VisitID: id, Kind: "declined", ActorID: adminID,
		Detail: map[string]any{"reason": reason}, At: at}, nil,
		`UPDATE visits SET status = 'declined', decline_reason = $2, decided_by = $3, decided_at = $4
		WHERE id = $1 AND status = 'ordered'`, id, reason, adminID, at)
}

// AssignVisitExperts gives an approved visit that has no experts yet (its time was
// accepted from a proposal) its experts.
func (d *queries) AssignVisitExperts(ctx context.Context, id, adminID int64, experts []int64, at time.Time) (Visit, error) {
	return d.changeVisit(ctx, VisitEvent{VisitID: id, Kind: "assigned", ActorID: adminID,
		Detail: map[string]any{"experts": experts}, At: at},
		func(tx pgx.Tx) error { return addExperts(ctx, tx, id, adminID, experts, at) },
		`UPDATE visits SET decided_by = $2, decided_at = $3
		WHERE id = $1 AND status = 'approved' AND NOT EXISTS (SELECT 1 FROM visit_experts WHERE visit_id = $1)`, id, adminID, at)
}

// VisitReport is what the experts found and did on a visit.
type VisitReport struct {
	VisitID    int64
	QuestionID int64
	ExpertID   int64
	ExpertName string
	Found      string
	Advice     string
	Households int
	Photos     []string
	ReportedAt time.Time
}

// FileVisitReport archives the report of an approved visit by one of its experts and marks
// the visit done. A visit not approved, or an expert not of it, gets ErrConflict.
func (d *queries) FileVisitReport(ctx context.Context, r VisitReport) (Visit, error) {
	var question *int64
	if r.QuestionID != 0 {
		question = &r.QuestionID
	}
	return d.changeVisit(ctx, VisitEvent{VisitID: r.VisitID, Kind: "reported", ActorID: r.ExpertID, At: r.ReportedAt},
		func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO visit_reports (visit_id, question_id, expert_id, expert_name, found, advice,
				households, photos, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				r.VisitID, question, r.ExpertID, r.ExpertName, r.Found, r.Advice, r.Households, nonNil(r.Photos), r.ReportedAt)
			return err
		},
		`UPDATE visits SET status = 'done', done_at = $3
		WHERE id = $1 AND status = 'approved'
			AND EXISTS (SELECT 1 FROM visit_experts WHERE visit_id = $1 AND user_id = $2)`, r.VisitID, r.ExpertID, r.ReportedAt)
}

// VisitReportOf returns a visit's report, or ErrNotFound.
func (d *queries) VisitReportOf(ctx context.Context, visitID int64) (VisitReport, error) {
	var r VisitReport
	err := d.dbtx.QueryRow(ctx, `SELECT visit_id, coalesce(question_id, 0), expert_id, expert_name, found, advice,
		households, photos, reported_at FROM visit_reports WHERE visit_id = $1`, visitID).
		Scan(&r.VisitID, &r.QuestionID, &r.ExpertID, &r.ExpertName, &r.Found, &r.Advice, &r.Households, &r.Photos, &r.ReportedAt)
	return r, wrap("visit report", err)
}

// VisitExperts returns the experts assigned to each of these visits, in the order they
// were assigned. An expert no longer registered keeps their id, with no name.
func (d *queries) VisitExperts(ctx context.Context, visitIDs []int64) (map[int64][]Expert, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT ve.visit_id, v.county_id, ve.user_id, coalesce(e.name, ''), coalesce(e.username, ''),
			coalesce(e.language, ''), coalesce(e.categories, '{}'), coalesce(e.on_duty, false), coalesce(e.approved_by, 0),
			coalesce(e.approved_at, 'epoch'::timestamptz)
		FROM visit_experts ve JOIN visits v ON v.id = ve.visit_id
			LEFT JOIN experts e ON e.county_id = v.county_id AND e.user_id = ve.user_id
		WHERE ve.visit_id = ANY ($1) ORDER BY ve.visit_id, ve.assigned_at, ve.user_id`, visitIDs)
	if err != nil {
		return nil, wrap("visit experts", err)
	}
	out := map[int64][]Expert{}
	var visitID int64
	var e Expert
	_, err = pgx.ForEachRow(rows, []any{&visitID, &e.CountyID, &e.UserID, &e.Name, &e.Username, &e.Language, &e.Categories,
		&e.OnDuty, &e.ApprovedBy, &e.ApprovedAt}, func() error {
		out[visitID] = append(out[visitID], e)
		return nil
	})
	return out, wrap("visit experts", err)
}

// VisitCandidate is an expert who could go on a visit, with how many other visits
// (approved or done) they have in its week.
type VisitCandidate struct {
	Expert
	Week int
}

// VisitCandidates returns up to limit approved experts of a county (of a category, unless
// category is ""), on duty first, each with their other visits in [weekFrom, weekTo).
func (d *queries) VisitCandidates(ctx context.Context, countyID, category string, visitID int64, weekFrom, weekTo time.Time, limit int) ([]VisitCandidate, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+expertColumns+`,
			(SELECT count(*) FROM visit_experts ve JOIN visits v ON v.id = ve.visit_id
				WHERE ve.user_id = experts.user_id AND v.id <> $3 AND v.status IN ('approved', 'done')
					AND v.scheduled_at >= $4 AND v.scheduled_at < $5)
		FROM experts WHERE county_id = $1 AND ($2 = '' OR categories @> ARRAY[$2::text])
		ORDER BY on_duty DESC, approved_at, user_id LIMIT $6`, countyID, category, visitID, weekFrom, weekTo, limit)
	if err != nil {
		return nil, wrap("visit candidates", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (VisitCandidate, error) {
		var c VisitCandidate
		err := r.Scan(&c.CountyID, &c.UserID, &c.Name, &c.Username, &c.Language, &c.Categories, &c.OnDuty,
			&c.ApprovedBy, &c.ApprovedAt, &c.Week)
		return c, err
	})
	return out, wrap("visit candidates", err)
}

// Lists of visits: those waiting for a decision (ordered, proposed) and those approved for
// [from, until), the soonest first.
const visitListOrder = ` ORDER BY coalesce(scheduled_at, proposed_at, ordered_at), id`

// CountyVisits lists a county's visits waiting or approved for [from, until).
func (d *queries) CountyVisits(ctx context.Context, countyID string, from, until time.Time) ([]Visit, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+visitColumns+` FROM visits WHERE county_id = $1
		AND (status IN ('ordered', 'proposed') OR (status = 'approved' AND scheduled_at >= $2 AND scheduled_at < $3))`+visitListOrder,
		countyID, from, until)
	if err != nil {
		return nil, wrap("county visits", err)
	}
	out, err := collectVisits(rows)
	return out, wrap("county visits", err)
}

// TownshipVisits lists a township's visits waiting or approved for [from, until).
func (d *queries) TownshipVisits(ctx context.Context, countyID, township string, from, until time.Time) ([]Visit, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+visitColumns+` FROM visits WHERE county_id = $1 AND township = $2
		AND (status IN ('ordered', 'proposed') OR (status = 'approved' AND scheduled_at >= $3 AND scheduled_at < $4))`+visitListOrder,
		countyID, township, from, until)
	if err != nil {
		return nil, wrap("township visits", err)
	}
	out, err := collectVisits(rows)
	return out, wrap("township visits", err)
}

// ExpertVisits lists the approved visits an expert goes on in [from, until).
func (d *queries) ExpertVisits(ctx context.Context, userID int64, from, until time.Time) ([]Visit, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+visitColumns+` FROM visits WHERE status = 'approved'
		AND scheduled_at >= $2 AND scheduled_at < $3
		AND id IN (SELECT visit_id FROM visit_experts WHERE user_id = $1)`+visitListOrder, userID, from, until)
	if err != nil {
		return nil, wrap("expert visits", err)
	}
	out, err := collectVisits(rows)
	return out, wrap("expert visits", err)
}

// VisitDraft is what an admin picked so far while approving a visit.
type VisitDraft struct {
	VisitID     int64
	AdminID     int64
	ScheduledAt time.Time
	Experts     []int64
}

// SetDraftTime starts or updates an admin's draft with the time picked; experts picked
// before are kept.
func (d *queries) SetDraftTime(ctx context.Context, visitID, adminID int64, scheduled, at time.Time) (VisitDraft, error) {
	var v VisitDraft
	err := d.dbtx.QueryRow(ctx, `INSERT INTO visit_drafts (visit_id, admin_id, scheduled_at, updated_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (visit_id, admin_id) DO UPDATE SET scheduled_at = $3, updated_at = $4
		RETURNING visit_id, admin_id, scheduled_at, experts`, visitID, adminID, scheduled, at).
		Scan(&v.VisitID, &v.AdminID, &v.ScheduledAt, &v.Experts)
	return v, wrap("set draft time", err)
}

// SetDraftExpert adds an expert to an admin's draft, or takes them off; ErrNotFound when
// the admin has no draft.
func (d *queries) SetDraftExpert(ctx context.Context, visitID, adminID, expertID int64, on bool, at time.Time) (VisitDraft, error) {
	var v VisitDraft
	err := d.dbtx.QueryRow(ctx, `UPDATE visit_drafts SET updated_at = $5, experts = CASE
			WHEN NOT $4 THEN array_remove(experts, $3)
			WHEN $3 = ANY (experts) THEN experts
			ELSE experts || $3 END
		WHERE visit_id = $1 AND admin_id = $2
		RETURNING visit_id, admin_id, scheduled_at, experts`, visitID, adminID, expertID, on, at).
		Scan(&v.VisitID, &v.AdminID, &v.ScheduledAt, &v.Experts)
	return v, wrap("set draft expert", err)
}

// Draft returns an admin's draft of a visit, or ErrNotFound.
func (d *queries) Draft(ctx context.Context, visitID, adminID int64) (VisitDraft, error) {
	var v VisitDraft
	err := d.dbtx.QueryRow(ctx, `SELECT visit_id, admin_id, scheduled_at, experts FROM visit_drafts
		WHERE visit_id = $1 AND admin_id = $2`, visitID, adminID).Scan(&v.VisitID, &v.AdminID, &v.ScheduledAt, &v.Experts)
	return v, wrap("draft", err)
}

// DropDrafts forgets the drafts of a visit: of one admin, or of all when adminID is 0.
func (d *queries) DropDrafts(ctx context.Context, visitID, adminID int64) error {
	_, err := d.dbtx.Exec(ctx, `DELETE FROM visit_drafts WHERE visit_id = $1 AND ($2::bigint = 0 OR admin_id = $2)`, visitID, adminID)
	return wrap("drop drafts", err)
}

// VisitEvent is one step of a visit's timeline.
type VisitEvent struct {
	ID      int64
	VisitID int64
	Kind    string
	ActorID int64
	Detail  map[string]any
	At      time.Time
}

func insertVisitEvent(ctx context.Context, tx pgx.Tx, e VisitEvent) error {
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO visit_events (visit_id, kind, actor_id, detail, at) VALUES ($1, $2, $3, $4, $5)`,
		e.VisitID, e.Kind, e.ActorID, detail, e.At)
	return err
}

// VisitEvents returns a visit's timeline, oldest first.
func (d *queries) VisitEvents(ctx context.Context, visitID int64) ([]VisitEvent, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT id, visit_id, kind, actor_id, detail, at FROM visit_events
		WHERE visit_id = $1 ORDER BY id`, visitID)
	if err != nil {
		return nil, wrap("visit events", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[VisitEvent])
	return out, wrap("visit events", err)
}

// Kinds of form.
const (
	FormVisit   = "visit"   // a visit order (/visit)
	FormReport  = "report"  // a visit's report (/report)
	FormDecline = "decline" // an admin's reason for declining a visit
)

// Form is a guided form in progress: the step it asks now and the answers so far.
type Form struct {
	ID       int64
	ChatID   int64
	UserID   int64
	Kind     string
	Step     string
	RefID    int64
	CountyID string
	Township string
	ThreadID int64
	Answers  map[string]string
	Files    []string
	// LastUpdate is the last Telegram update that answered a step.
	LastUpdate int64
	StartedAt  time.Time
	UpdatedAt  time.Time
}

const formColumns = `id, chat_id, user_id, kind, step, ref_id, county_id, township, thread_id, answers, files,
	last_update, started_at, updated_at`

func scanForm(row pgx.Row) (Form, error) {
	var f Form
	err := row.Scan(&f.ID, &f.ChatID, &f.UserID, &f.Kind, &f.Step, &f.RefID, &f.CountyID, &f.Township, &f.ThreadID,
		&f.Answers, &f.Files, &f.LastUpdate, &f.StartedAt, &f.UpdatedAt)
	if f.Answers == nil {
		f.Answers = map[string]string{}
	}
	return f, err
}

// StartForm starts a form for a person in a chat, replacing the one they had there.
func (d *queries) StartForm(ctx context.Context, f Form) (Form, error) {
	var out Form
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM forms WHERE chat_id = $1 AND user_id = $2`, f.ChatID, f.UserID); err != nil {
			return err
		}
		answers := f.Answers
		if answers == nil {
			answers = map[string]string{}
		}
		var err error
		out, err = scanForm(tx.QueryRow(ctx, `INSERT INTO forms (chat_id, user_id, kind, step, ref_id, county_id, township,
				thread_id, answers, files, last_update, started_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING `+formColumns,
			f.ChatID, f.UserID, f.Kind, f.Step, f.RefID, f.CountyID, f.Township, f.ThreadID, answers, nonNil(f.Files),
			f.LastUpdate, f.StartedAt))
		return err
	})
	return out, wrap("start form", err)
}

// Form returns a person's form in a chat, or ErrNotFound.
func (d *queries) Form(ctx context.Context, chatID, userID int64) (Form, error) {
	f, err := scanForm(d.dbtx.QueryRow(ctx, `SELECT `+formColumns+` FROM forms WHERE chat_id = $1 AND user_id = $2`, chatID, userID))
	return f, wrap("form", err)
}

// FormByID returns a form by its id, or ErrNotFound once it ended or was replaced.
func (d *queries) FormByID(ctx context.Context, id int64) (Form, error) {
	f, err := scanForm(d.dbtx.QueryRow(ctx, `SELECT `+formColumns+` FROM forms WHERE id = $1`, id))
	return f, wrap("form", err)
}

// SaveFormStep stores a form's answers and next step (f.Step), if the form still asks
// step and, for an update (updateID > 0), no later update answered it; otherwise
// ErrConflict.
func (d *queries) SaveFormStep(ctx context.Context, f Form, step string, updateID int64, at time.Time) (Form, error) {
	out, err := scanForm(d.dbtx.QueryRow(ctx, `UPDATE forms SET step = $3, answers = $4, files = $5,
			last_update = greatest(last_update, $6::bigint), updated_at = $7
		WHERE id = $1 AND step = $2 AND ($6::bigint = 0 OR last_update < $6) RETURNING `+formColumns,
		f.ID, step, f.Step, f.Answers, nonNil(f.Files), updateID, at))
	if errors.Is(err, pgx.ErrNoRows) {
		return Form{}, ErrConflict
	}
	return out, wrap("save form step", err)
}

// EndForm deletes a form; a form already gone is no error.
func (d *queries) EndForm(ctx context.Context, id int64) error {
	_, err := d.dbtx.Exec(ctx, `DELETE FROM forms WHERE id = $1`, id)
	return wrap("end form", err)
}
