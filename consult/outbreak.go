package consult

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// Outbreaks sets when a pest or disease counts as breaking out in a township.
type Outbreaks struct {
	// Min is the fewest questions naming it in the last 7 days for an alert.
	Min int
	// Terms are watched besides the lexicon's pests and diseases (e.g. a local name).
	Terms []string
}

// DefaultOutbreaks alerts on three questions in a week that are at least twice the
// township's usual weekly number (plus one).
var DefaultOutbreaks = Outbreaks{Min: 3}

// outbreakWindow is the week counted; outbreakHistory the weeks before it that make the
// township's usual level.
const (
	outbreakWindow  = 7 * 24 * time.Hour
	outbreakHistory = 8
)

// watched is every term outbreaks are watched for.
func (s *Service) watched() []string {
	var out []string
	for _, t := range lexicon {
		if t.Kind == TermPest {
			out = append(out, t.Name)
		}
	}
	for _, t := range s.outbreaks.Terms {
		if t = normalize(strings.TrimSpace(t)); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// extraTerms are the configured watch words a text contains (the lexicon's are found by
// Terms).
func (s *Service) extraTerms(text string) []string {
	text = normalize(text)
	var out []string
	for _, t := range s.outbreaks.Terms {
		if t = normalize(strings.TrimSpace(t)); t != "" && strings.Contains(text, t) {
			out = append(out, t)
		}
	}
	return out
}

// Outbreak is a pest or disease many questions of one township named this week.
type Outbreak struct {
	Alert    store.OutbreakAlert
	County   *County
	Count    int
	Baseline float64 // the township's usual questions a week
	// Questions are the week's questions naming it, oldest first (at most 10).
	Questions []store.Question
	// AdminLanguages is each admin's chosen language ("" for the default).
	AdminLanguages map[int64]string
}

// DetectOutbreaks alerts the county admins, once per township, term and week, when the
// questions naming a pest or disease in the last 7 days are at least Min and well above
// the township's own usual level (twice its weekly average over the 8 weeks before, plus
// one). It returns how many alerts it sent.
func (s *Service) DetectOutbreaks(ctx context.Context, out Out[Outbreak]) (int, error) {
	if s.outbreaks.Min <= 0 {
		return 0, nil
	}
	now := s.now()
	since := now.Add(-outbreakWindow)
	counts, err := s.db.RecentTermCounts(ctx, since, s.watched())
	if err != nil {
		return 0, err
	}
	// The usual level is counted only for the terms that reached Min somewhere.
	var judged []string
	for _, c := range counts {
		if c.Count >= s.outbreaks.Min && !slices.Contains(judged, c.Term) {
			judged = append(judged, c.Term)
		}
	}
	before, err := s.db.TermCountsBetween(ctx, since.Add(-outbreakHistory*outbreakWindow), since, judged)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, c := range counts {
		county, ok := s.byID[c.CountyID]
		if !ok || c.Count < s.outbreaks.Min {
			continue
		}
		baseline := float64(before[store.TermKey{CountyID: c.CountyID, Township: c.Township, Term: c.Term}]) / outbreakHistory
		if float64(c.Count) < 2*baseline+1 {
			continue // usual for this township
		}
		ids := c.IDs
		if len(ids) > 10 {
			ids = ids[:10]
		}
		qs, err := s.db.Questions(ctx, ids)
		if err != nil {
			return sent, err
		}
		langs := map[int64]string{}
		for _, a := range county.Admins {
			langs[a] = s.language(ctx, a)
		}
		o := Outbreak{County: county, Count: c.Count, Baseline: baseline, Questions: qs, AdminLanguages: langs}
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			o.Alert, err = tx.ClaimOutbreakAlert(ctx, store.OutbreakAlert{CountyID: c.CountyID, Township: c.Township, Term: c.Term,
				Week: weekOf(now, county), Questions: c.IDs, Baseline: baseline, SentAt: now})
			if err != nil {
				return err
			}
			return tx.Enqueue(ctx, out.render(o)...)
		})
		if errors.Is(err, store.ErrDuplicate) {
			continue // alerted this week already
		}
		if err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// weekOf is the Monday starting t's week in the county's time zone, as a date.
func weekOf(t time.Time, c *County) time.Time {
	if c.Location != nil {
		t = t.In(c.Location)
	}
	days := (int(t.Weekday()) + 6) % 7
	y, m, d := t.AddDate(0, 0, -days).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// VisitFromAlert orders a door-to-door visit to the township of an outbreak alert; an
// alert orders one visit, and pressing again returns it with store.ErrDuplicate.
func (s *Service) VisitFromAlert(ctx context.Context, alertID, adminID int64) (store.Visit, error) {
	a, err := s.db.OutbreakAlertByID(ctx, alertID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Visit{}, ErrNoSuchRequest
	}
	if err != nil {
		return store.Visit{}, err
	}
	county, ok := s.byID[a.CountyID]
	if !ok || !county.IsAdmin(adminID) {
		return store.Visit{}, ErrNotAdmin
	}
	return s.db.CreateVisit(ctx, store.Visit{CountyID: a.CountyID, Township: a.Township, Topic: a.Term,
		Problem: a.Term, Source: "alert", OrderedBy: adminID, OrderedAt: s.now(), AlertID: a.ID})
}
