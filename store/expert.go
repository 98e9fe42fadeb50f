package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Statuses of an expert request.
const (
	RequestPending    = "pending"
	RequestApproved   = "approved"
	RequestRejected   = "rejected"
	RequestSuperseded = "superseded"
)

// ExpertRequest is one /expert request and, once decided, who decided it.
type ExpertRequest struct {
	ID          int64
	CountyID    string
	UserID      int64
	Name        string
	Username    string
	Language    string // the person's Telegram app language, for messages to them
	Categories  []string
	Status      string
	RequestedAt time.Time
	DecidedBy   int64
	DecidedAt   time.Time
}

// Expert is an approved expert of a county.
type Expert struct {
	CountyID   string
	UserID     int64
	Name       string
	Username   string
	Language   string
	Categories []string
	OnDuty     bool
	ApprovedBy int64
	ApprovedAt time.Time
}

const expertRequestColumns = `id, county_id, user_id, name, username, language, categories, status,
	requested_at, coalesce(decided_by, 0), coalesce(decided_at, 'epoch'::timestamptz)`

func scanExpertRequest(row pgx.Row) (ExpertRequest, error) {
	var r ExpertRequest
	err := row.Scan(&r.ID, &r.CountyID, &r.UserID, &r.Name, &r.Username, &r.Language, &r.Categories, &r.Status,
		&r.RequestedAt, &r.DecidedBy, &r.DecidedAt)
	return r, err
}

// CreateExpertRequest stores a request, superseding the person's earlier pending request in
// the same county. updateID is the Telegram update that carried it; a redelivered update
// returns ErrDuplicate.
func (d *queries) CreateExpertRequest(ctx context.Context, r ExpertRequest, updateID int64) (ExpertRequest, error) {
	var out ExpertRequest
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		var err error
		out, err = scanExpertRequest(tx.QueryRow(ctx, `
			INSERT INTO expert_requests (county_id, user_id, name, username, language, categories, update_id, requested_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (update_id) DO NOTHING
			RETURNING `+expertRequestColumns,
			r.CountyID, r.UserID, r.Name, r.Username, r.Language, r.Categories, updateID, r.RequestedAt))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrDuplicate
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE expert_requests SET status = 'superseded'
			WHERE county_id = $1 AND user_id = $2 AND status = 'pending' AND id <> $3`,
			r.CountyID, r.UserID, out.ID)
		return err
	})
	if errors.Is(err, ErrDuplicate) {
		return ExpertRequest{}, ErrDuplicate
	}
	return out, wrap("create expert request", err)
}

// ExpertRequest returns one request.
func (d *queries) ExpertRequest(ctx context.Context, id int64) (ExpertRequest, error) {
	r, err := scanExpertRequest(d.dbtx.QueryRow(ctx,
		`SELECT `+expertRequestColumns+` FROM expert_requests WHERE id = $1`, id))
	return r, wrap("expert request", err)
}

// DecideExpertRequest approves or rejects a pending request. Approval registers the expert
// for the requested categories, on duty. If the request is no longer pending (another admin
// was faster, or the person sent a newer request) it returns the request as it stands and
// ErrConflict.
func (d *queries) DecideExpertRequest(ctx context.Context, id int64, approve bool, adminID int64, at time.Time) (ExpertRequest, error) {
	status := RequestRejected
	if approve {
		status = RequestApproved
	}
	var out ExpertRequest
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		var err error
		out, err = scanExpertRequest(tx.QueryRow(ctx, `
			UPDATE expert_requests SET status = $2, decided_by = $3, decided_at = $4
			WHERE id = $1 AND status = 'pending'
			RETURNING `+expertRequestColumns, id, status, adminID, at))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrConflict
		}
		if err != nil || !approve {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO experts (county_id, user_id, name, username, language, categories, on_duty, approved_by, approved_at)
			VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8)
			ON CONFLICT (county_id, user_id) DO UPDATE SET name = $3, username = $4, language = $5,
				categories = $6, on_duty = true, approved_by = $7, approved_at = $8`,
			out.CountyID, out.UserID, out.Name, out.Username, out.Language, out.Categories, adminID, at)
		return err
	})
	if errors.Is(err, ErrConflict) {
		current, cerr := d.ExpertRequest(ctx, id)
		if cerr != nil {
			return ExpertRequest{}, cerr
		}
		return current, ErrConflict
	}
	return out, wrap("decide expert request", err)
}

const expertColumns = `county_id, user_id, name, username, language, categories, on_duty, approved_by, approved_at`

func scanExpert(row pgx.Row) (Expert, error) {
	var e Expert
	err := row.Scan(&e.CountyID, &e.UserID, &e.Name, &e.Username, &e.Language, &e.Categories, &e.OnDuty, &e.ApprovedBy, &e.ApprovedAt)
	return e, err
}

// Expert returns an approved expert of a county, or ErrNotFound.
func (d *queries) Expert(ctx context.Context, countyID string, userID int64) (Expert, error) {
	e, err := scanExpert(d.dbtx.QueryRow(ctx,
		`SELECT `+expertColumns+` FROM experts WHERE county_id = $1 AND user_id = $2`, countyID, userID))
	return e, wrap("expert", err)
}

// ExpertCounties returns the person's expert registrations in every county.
func (d *queries) ExpertCounties(ctx context.Context, userID int64) ([]Expert, error) {
	rows, err := d.dbtx.Query(ctx,
		`SELECT `+expertColumns+` FROM experts WHERE user_id = $1 ORDER BY county_id`, userID)
	if err != nil {
		return nil, wrap("expert counties", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Expert, error) { return scanExpert(r) })
	return out, wrap("expert counties", err)
}

// OnDutyExperts returns the on-duty experts of a county's category who can be reached,
// oldest approval first.
func (d *queries) OnDutyExperts(ctx context.Context, countyID, category string) ([]Expert, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+expertColumns+` FROM experts
		WHERE county_id = $1 AND categories @> ARRAY[$2::text] AND on_duty AND `+reachable+`
		ORDER BY approved_at, user_id`, countyID, category)
	if err != nil {
		return nil, wrap("on-duty experts", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Expert, error) { return scanExpert(r) })
	return out, wrap("on-duty experts", err)
}

// SetOnDuty puts the person on or off duty in every county where they are an expert and
// returns in how many.
func (d *queries) SetOnDuty(ctx context.Context, userID int64, on bool) (int64, error) {
	tag, err := d.dbtx.Exec(ctx, `UPDATE experts SET on_duty = $2 WHERE user_id = $1`, userID, on)
	if err != nil {
		return 0, wrap("set on duty", err)
	}
	return tag.RowsAffected(), nil
}
