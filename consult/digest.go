package consult

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// Digest is a county's morning summary for its admins: the day before, per category and
// in total, and what still waits now.
type Digest struct {
	County *County
	// Day is the local day summed up, at midnight in the county's zone; the digest goes
	// out the morning after.
	Day time.Time
	// Rows are the categories with something to count, in the county file's order, then
	// categories no longer in the file.
	Rows  []DigestRow
	Total DigestRow
	// Oldest is the question waiting longest now (Oldest.Question.ID is 0 when none
	// waits), its holder (zero when open) and how long it has waited.
	Oldest       QuestionView
	OldestHolder store.Expert
	OldestWaited time.Duration
	// Overdue is the SLA a waiting question is overdue after (SLA_ESCALATE).
	Overdue time.Duration
	Admins  []AdminContact
}

// DigestRow counts one category's questions (Category is nil in the total): asked and
// answered during the day, and waiting for an answer (open or claimed) now, of which
// overdue.
type DigestRow struct {
	Category *Category
	Asked    int
	Answered int
	Waiting  int
	Overdue  int
}

// ParseTimeOfDay reads a local time of day such as "08:00".
func ParseTimeOfDay(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a time of day like 08:00", s)
	}
	return t.Hour(), t.Minute(), nil
}

// MorningDigest sends each county's digest of yesterday to its admins once the county's
// local clock has passed at ("08:00") today; escalate is the SLA after which a waiting
// question counts as overdue. It is meant to be called again and again: each county's
// digest goes out once a day, by whichever instance records it first, and a bot that was
// down at that time sends it when it comes back the same day — but never a digest of an
// earlier day. It returns for how many counties it sent one.
func (s *Service) MorningDigest(ctx context.Context, at string, escalate time.Duration, out Out[Digest]) (int, error) {
	hour, minute, err := ParseTimeOfDay(at)
	if err != nil {
		return 0, fmt.Errorf("morning digest: %w", err)
	}
	sent := 0
	var errs []error
	for i := range s.counties {
		c := &s.counties[i]
		ok, err := s.countyDigest(ctx, c, hour, minute, escalate, out)
		if err != nil {
			// One county's failure must not keep the others' admins waiting.
			errs = append(errs, fmt.Errorf("morning digest of %s: %w", c.ID, err))
		}
		if ok {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// countyDigest sends one county's digest if it is due and nobody sent it yet today.
func (s *Service) countyDigest(ctx context.Context, c *County, hour, minute int, escalate time.Duration, out Out[Digest]) (bool, error) {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	now := s.now().In(loc)
	y, m, d := now.Date()
	if now.Before(time.Date(y, m, d, hour, minute, 0, 0, loc)) {
		return false, nil
	}
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	dg := Digest{County: c, Day: time.Date(y, m, d-1, 0, 0, 0, 0, loc), Overdue: escalate}
	sent := false
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		// The row is the once-a-day guard: a second instance waits here for the first
		// one's commit and then finds the row, so only one of them goes on.
		first, err := tx.ClaimAdminDigest(ctx, c.ID, today.Format(time.DateOnly), now)
		if err != nil || !first {
			return err
		}
		activity, err := tx.CountyActivity(ctx, c.ID, dg.Day, today, now.Add(-escalate))
		if err != nil {
			return err
		}
		dg.Rows, dg.Total = digestRows(c, activity)
		q, err := tx.OldestWaiting(ctx, c.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if dg.Oldest, err = s.view(q); err != nil {
				return err
			}
			dg.OldestWaited = now.Sub(q.AskedAt)
			if q.ExpertID != 0 {
				if dg.OldestHolder, err = tx.Expert(ctx, c.ID, q.ExpertID); errors.Is(err, store.ErrNotFound) {
					dg.OldestHolder = store.Expert{UserID: q.ExpertID}
				} else if err != nil {
					return err
				}
			}
		}
		if dg.Admins, err = adminContacts(ctx, tx, c); err != nil {
			return err
		}
		sent = true
		return tx.Enqueue(ctx, out.render(dg)...)
	})
	if err != nil {
		return false, err
	}
	return sent, nil
}

// digestRows orders the counts as the county file lists its categories, archived ones
// after, and adds them up.
func digestRows(c *County, activity []store.CategoryActivity) ([]DigestRow, DigestRow) {
	byID := make(map[string]store.CategoryActivity, len(activity))
	for _, a := range activity {
		byID[a.CategoryID] = a
	}
	var rows []DigestRow
	var total DigestRow
	add := func(cat *Category, a store.CategoryActivity) {
		rows = append(rows, DigestRow{Category: cat, Asked: a.Asked, Answered: a.Answered, Waiting: a.Waiting, Overdue: a.Overdue})
		total.Asked += a.Asked
		total.Answered += a.Answered
		total.Waiting += a.Waiting
		total.Overdue += a.Overdue
	}
	for i := range c.Categories {
		if a, ok := byID[c.Categories[i].ID]; ok {
			add(&c.Categories[i], a)
			delete(byID, c.Categories[i].ID)
		}
	}
	for _, a := range activity { // sorted by id
		if _, left := byID[a.CategoryID]; left {
			add(&Category{ID: a.CategoryID, Name: a.CategoryID, NameEn: a.CategoryID}, a)
		}
	}
	return rows, total
}
