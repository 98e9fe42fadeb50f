package consult

import (
	"context"
	"errors"

	"github.com/agriclinic/agriclinic/store"
)

// QuestionView is a question with its county and category resolved.
type QuestionView struct {
	Question store.Question
	County   *County
	Category *Category
}

// Question returns a question by number with its county and category.
func (s *Service) Question(ctx context.Context, id int64) (QuestionView, error) {
	q, err := s.db.Question(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return QuestionView{}, ErrNoSuchQuestion
	}
	if err != nil {
		return QuestionView{}, err
	}
	return s.view(q)
}

func (s *Service) view(q store.Question) (QuestionView, error) {
	c, ok := s.byID[q.CountyID]
	if !ok {
		return QuestionView{}, ErrNoSuchQuestion
	}
	cat, ok := c.Category(q.CategoryID)
	if !ok {
		// A category that left the file still names its archived questions.
		cat = &Category{ID: q.CategoryID, Name: q.CategoryID, NameEn: q.CategoryID}
	}
	return QuestionView{Question: q, County: c, Category: cat}, nil
}
