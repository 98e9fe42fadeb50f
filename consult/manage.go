package consult

import (
	"context"
	"errors"
	"slices"

	"github.com/agriclinic/agriclinic/store"
)

// EditExpert changes one expert of the admin's county from the dashboard: categories
// (when not nil) and duty (when not nil). Unknown categories and another county's expert
// change nothing.
func (s *Service) EditExpert(ctx context.Context, adminID int64, countyID string, userID int64, categories []string, onDuty *bool) error {
	c, ok := s.byID[countyID]
	if !ok || !c.IsAdmin(adminID) {
		return ErrNotAdmin
	}
	if categories != nil {
		if len(categories) == 0 {
			return ErrNoCategories
		}
		for _, id := range categories {
			if _, ok := c.Category(id); !ok {
				return ErrUnknownCategory
			}
		}
		slices.Sort(categories)
		if err := s.db.SetExpertCategories(ctx, countyID, userID, slices.Compact(categories)); err != nil {
			return notExpert(err)
		}
	}
	if onDuty != nil {
		if err := s.db.SetExpertDuty(ctx, countyID, userID, *onDuty); err != nil {
			return notExpert(err)
		}
	}
	return nil
}

func notExpert(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotExpert
	}
	return err
}

// LearnedFor is the keywords admins added to a county's categories.
func (s *Service) LearnedFor(countyID string) map[string][]string { return s.learned.of(countyID) }

// RemoveExpert ends an expert's registration in the admin's county (they may apply
// again); the questions they held go back to the head of their queues. out tells them.
func (s *Service) RemoveExpert(ctx context.Context, adminID int64, countyID string, userID int64, out Out[store.Expert]) error {
	c, ok := s.byID[countyID]
	if !ok || !c.IsAdmin(adminID) {
		return ErrNotAdmin
	}
	var released []store.Question
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		e, qs, err := tx.RemoveExpert(ctx, countyID, userID, s.now())
		if err != nil {
			return err
		}
		released = qs
		return tx.Enqueue(ctx, out.render(e)...)
	})
	if err != nil {
		return notExpert(err)
	}
	for _, q := range released {
		s.requeue(ctx, countyID, q)
	}
	return nil
}
