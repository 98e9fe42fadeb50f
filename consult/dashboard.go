package consult

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// Sign-in to the dashboard has no password: the bot, which knows who is writing, sends a
// one-time link; the link opens a session.
const (
	linkLife    = 10 * time.Minute
	sessionLife = 12 * time.Hour
)

// DashboardLink is a one-time sign-in link's token for one county and role.
type DashboardLink struct {
	County *County
	Role   string
	Token  string
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// DashboardLinks makes a sign-in link for each county the person runs (admin) or
// reviews; none gives ErrNotPermitted.
func (s *Service) DashboardLinks(ctx context.Context, userID int64) ([]DashboardLink, error) {
	var out []DashboardLink
	for _, c := range s.AdminCounties(userID) {
		out = append(out, DashboardLink{County: c, Role: store.RoleAdmin})
	}
	reviews, err := s.db.ReviewerCounties(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, id := range reviews {
		c, ok := s.byID[id]
		if !ok || slices.ContainsFunc(out, func(l DashboardLink) bool { return l.County.ID == id }) {
			continue
		}
		out = append(out, DashboardLink{County: c, Role: store.RoleReviewer})
	}
	if len(out) == 0 {
		return nil, ErrNotPermitted
	}
	now := s.now()
	for i := range out {
		out[i].Token = newToken()
		if err := s.db.CreateDashboardLink(ctx, out[i].Token, store.DashboardGrant{UserID: userID, CountyID: out[i].County.ID, Role: out[i].Role}, now, now.Add(linkLife)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Session is a signed-in dashboard browser.
type Session struct {
	store.DashboardSession
	County *County
	// Token is the cookie's value (only after SignIn).
	Token string
}

// ErrSignIn is a link that is unknown, used or expired, or whose role is gone.
var ErrSignIn = errors.New("sign-in link not valid")

// SignIn spends a one-time link and opens a session, if the person still has the role.
func (s *Service) SignIn(ctx context.Context, linkToken string) (Session, error) {
	now := s.now()
	g, err := s.db.UseDashboardLink(ctx, linkToken, now)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrSignIn
	}
	if err != nil {
		return Session{}, err
	}
	if ok, err := s.holdsRole(ctx, g); err != nil || !ok {
		return Session{}, cmpErr(err, ErrSignIn)
	}
	sess := Session{DashboardSession: store.DashboardSession{DashboardGrant: g, CSRF: newToken(), ExpiresAt: now.Add(sessionLife)},
		County: s.byID[g.CountyID], Token: newToken()}
	return sess, s.db.CreateDashboardSession(ctx, sess.Token, sess.DashboardSession, now)
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func (s *Service) holdsRole(ctx context.Context, g store.DashboardGrant) (bool, error) {
	c, ok := s.byID[g.CountyID]
	if !ok {
		return false, nil
	}
	if g.Role == store.RoleAdmin {
		return c.IsAdmin(g.UserID), nil
	}
	reviews, err := s.db.ReviewerCounties(ctx, g.UserID)
	return slices.Contains(reviews, g.CountyID), err
}

// SessionFor returns the live session of a cookie's token, or ErrSignIn. An admin
// removed from the county file loses the session at once.
func (s *Service) SessionFor(ctx context.Context, token string) (Session, error) {
	ds, err := s.db.DashboardSessionByToken(ctx, token, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrSignIn
	}
	if err != nil {
		return Session{}, err
	}
	c, ok := s.byID[ds.CountyID]
	if !ok || (ds.Role == store.RoleAdmin && !c.IsAdmin(ds.UserID)) {
		return Session{}, ErrSignIn
	}
	return Session{DashboardSession: ds, County: c}, nil
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.db.EndDashboardSession(ctx, token, s.now())
}

// SetReviewer grants (or revokes) the read-only reviewer role of the admin's county.
func (s *Service) SetReviewer(ctx context.Context, adminID, userID int64, grant bool) (*County, bool, error) {
	c, err := s.adminCounty(adminID, "")
	if err != nil {
		return nil, false, err
	}
	if grant {
		return c, true, s.db.GrantReviewer(ctx, c.ID, userID, adminID, s.now())
	}
	had, err := s.db.RevokeReviewer(ctx, c.ID, userID)
	return c, had, err
}
