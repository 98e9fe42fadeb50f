package consult

import (
	"cmp"
	"context"
	"slices"

	"github.com/agriclinic/agriclinic/store"
)

// QueueItem is an open question waiting for an expert.
type QueueItem struct {
	QuestionView
}

// Queue lists the open questions of the person's categories in every county where they
// are an expert, oldest first, up to limit, and how many wait in all.
func (s *Service) Queue(ctx context.Context, userID int64, limit int) ([]QueueItem, int64, error) {
	experts, err := s.db.ExpertCounties(ctx, userID)
	if err != nil {
		return nil, 0, err
	}
	if len(experts) == 0 {
		return nil, 0, ErrNotExpert
	}
	var ids []int64
	var total int64
	for _, e := range experts {
		entries, n, err := s.queue.Peek(ctx, e.CountyID, e.Categories, limit)
		if err != nil {
			return nil, 0, err
		}
		total += n
		for _, en := range entries {
			ids = append(ids, en.QuestionID)
		}
	}
	qs, err := s.db.Questions(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	var out []QueueItem
	for _, q := range qs {
		if q.Status != store.StatusOpen {
			continue // claimed since the queue was read
		}
		v, err := s.view(q)
		if err != nil {
			continue
		}
		out = append(out, QueueItem{v})
	}
	// Counties were read one after another; the expert sees one list, oldest first.
	slices.SortFunc(out, func(a, b QueueItem) int {
		return cmp.Or(a.Question.AskedAt.Compare(b.Question.AskedAt), cmp.Compare(a.Question.ID, b.Question.ID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, total, nil
}

// Experts returns the person's expert registrations.
func (s *Service) Experts(ctx context.Context, userID int64) ([]store.Expert, error) {
	return s.db.ExpertCounties(ctx, userID)
}
