package store

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/jackc/pgx/v5"
)

// Dashboard roles: an admin runs the county; a reviewer reads its archive.
const (
	RoleAdmin    = "admin"
	RoleReviewer = "reviewer"
)

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// DashboardGrant is who a link or session is for.
type DashboardGrant struct {
	UserID   int64
	CountyID string
	Role     string
}

// CreateDashboardLink records a one-time sign-in link's token until expires.
func (d *queries) CreateDashboardLink(ctx context.Context, token string, g DashboardGrant, now, expires time.Time) error {
	_, err := d.dbtx.Exec(ctx, `INSERT INTO dashboard_links (token_hash, user_id, county_id, role, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, tokenHash(token), g.UserID, g.CountyID, g.Role, now, expires)
	return wrap("create dashboard link", err)
}

// UseDashboardLink spends a link: it works once, before it expires; otherwise
// ErrNotFound.
func (d *queries) UseDashboardLink(ctx context.Context, token string, now time.Time) (DashboardGrant, error) {
	var g DashboardGrant
	err := d.dbtx.QueryRow(ctx, `UPDATE dashboard_links SET used_at = $2
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
		RETURNING user_id, county_id, role`, tokenHash(token), now).Scan(&g.UserID, &g.CountyID, &g.Role)
	return g, wrap("use dashboard link", err)
}

// DashboardSession is a signed-in browser.
type DashboardSession struct {
	DashboardGrant
	CSRF      string
	ExpiresAt time.Time
}

// CreateDashboardSession records a session under its token.
func (d *queries) CreateDashboardSession(ctx context.Context, token string, s DashboardSession, now time.Time) error {
	_, err := d.dbtx.Exec(ctx, `INSERT INTO dashboard_sessions (token_hash, user_id, county_id, role, csrf, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, tokenHash(token), s.UserID, s.CountyID, s.Role, s.CSRF, now, s.ExpiresAt)
	return wrap("create dashboard session", err)
}

// DashboardSessionByToken returns a live session, or ErrNotFound.
func (d *queries) DashboardSessionByToken(ctx context.Context, token string, now time.Time) (DashboardSession, error) {
	var s DashboardSession
	err := d.dbtx.QueryRow(ctx, `SELECT user_id, county_id, role, csrf, expires_at FROM dashboard_sessions
		WHERE token_hash = $1 AND expires_at > $2`, tokenHash(token), now).
		Scan(&s.UserID, &s.CountyID, &s.Role, &s.CSRF, &s.ExpiresAt)
	return s, wrap("dashboard session", err)
}

// EndDashboardSession signs a browser out, and clears every expired session on the way.
func (d *queries) EndDashboardSession(ctx context.Context, token string, now time.Time) error {
	_, err := d.dbtx.Exec(ctx, `DELETE FROM dashboard_sessions WHERE token_hash = $1 OR expires_at <= $2`, tokenHash(token), now)
	return wrap("end dashboard session", err)
}

// GrantReviewer lets a person read a county's archive.
func (d *queries) GrantReviewer(ctx context.Context, county string, userID, by int64, at time.Time) error {
	_, err := d.dbtx.Exec(ctx, `INSERT INTO reviewers (county_id, user_id, granted_by, granted_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, county, userID, by, at)
	return wrap("grant reviewer", err)
}

// RevokeReviewer takes the role back, and ends the person's reviewer sessions of the
// county. It reports whether they had it.
func (d *queries) RevokeReviewer(ctx context.Context, county string, userID int64) (bool, error) {
	var had bool
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM reviewers WHERE county_id = $1 AND user_id = $2`, county, userID)
		if err != nil {
			return err
		}
		had = tag.RowsAffected() > 0
		_, err = tx.Exec(ctx, `DELETE FROM dashboard_sessions WHERE county_id = $1 AND user_id = $2 AND role = 'reviewer'`, county, userID)
		return err
	})
	return had, wrap("revoke reviewer", err)
}

// ReviewerCounties returns the counties whose archive the person reviews.
func (d *queries) ReviewerCounties(ctx context.Context, userID int64) ([]string, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT county_id FROM reviewers WHERE user_id = $1 ORDER BY county_id`, userID)
	if err != nil {
		return nil, wrap("reviewer counties", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, wrap("reviewer counties", err)
}
