package consult

import (
	"context"
	"errors"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// SetDuty puts an expert on or off duty in every county where they are one: on-duty
// experts are told of new questions; off-duty ones still see them in /queue.
func (s *Service) SetDuty(ctx context.Context, userID int64, on bool) error {
	n, err := s.db.SetOnDuty(ctx, userID, on)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotExpert
	}
	return nil
}

// Mine lists the questions the expert holds, oldest first.
func (s *Service) Mine(ctx context.Context, userID int64) ([]QuestionView, error) {
	experts, err := s.db.ExpertCounties(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(experts) == 0 {
		return nil, ErrNotExpert
	}
	held, err := s.db.HeldQuestions(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]QuestionView, 0, len(held))
	for _, q := range held {
		if v, err := s.view(q); err == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// Release gives a question the expert holds back to the head of its queue.
func (s *Service) Release(ctx context.Context, questionID, userID int64, out Out[QuestionView]) (QuestionView, error) {
	v, err := s.Question(ctx, questionID)
	if err != nil {
		return v, err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q, err := tx.ReleaseQuestion(ctx, questionID, userID, s.now())
		v.Question = q
		if err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: questionID, Kind: "released", ActorID: userID, At: s.now()}); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(v)...)
	})
	if errors.Is(err, store.ErrConflict) {
		return v, ErrNotHolder
	}
	if err != nil {
		return v, err
	}
	if err := s.queue.Push(ctx, v.County.ID, v.Question.Entry()); err != nil {
		s.log.Warn("question released but not queued; the reconciler will add it", "question", v.Question.ID, "err", err)
	}
	return v, nil
}

// ExpiredClaim is a claim that ran out: the question is open again, its former holder is
// to be told, and so are the on-duty experts who could take it now.
type ExpiredClaim struct {
	QuestionView
	Holder  store.Expert
	Experts []store.Expert // on duty in the category, the former holder left out
}

// ExpireClaims returns to their queues the questions claimed longer than lease ago and
// not answered; out renders the messages for each. It returns how many it released.
func (s *Service) ExpireClaims(ctx context.Context, lease time.Duration, out Out[ExpiredClaim]) (int, error) {
	cutoff := s.now().Add(-lease)
	old, err := s.db.ClaimsOlderThan(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	released := 0
	for _, q := range old {
		v, err := s.view(q)
		if err != nil {
			continue
		}
		holderID := q.ExpertID
		res := ExpiredClaim{QuestionView: v}
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			q, err := tx.ExpireClaim(ctx, q.ID, holderID, cutoff, s.now())
			if err != nil {
				return err
			}
			if err := tx.AddEvent(ctx, store.Event{QuestionID: q.ID, Kind: "expired", ActorID: holderID, At: s.now()}); err != nil {
				return err
			}
			res.Question = q
			if res.Holder, err = tx.Expert(ctx, v.County.ID, holderID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			experts, err := tx.OnDutyExperts(ctx, v.County.ID, v.Category.ID)
			if err != nil {
				return err
			}
			for _, e := range experts {
				if e.UserID != holderID {
					res.Experts = append(res.Experts, e)
				}
			}
			return tx.Enqueue(ctx, out.render(res)...)
		})
		if errors.Is(err, store.ErrConflict) {
			continue // answered or released meanwhile
		}
		if err != nil {
			return released, err
		}
		released++
		if err := s.queue.Push(ctx, v.County.ID, res.Question.Entry()); err != nil {
			s.log.Warn("expired claim not queued; the reconciler will add it", "question", q.ID, "err", err)
		}
	}
	return released, nil
}

// RepushUnclaimed pushes once more to the on-duty experts of its category every question
// still unclaimed sla after it was asked; out renders the push. It returns how many.
func (s *Service) RepushUnclaimed(ctx context.Context, sla time.Duration, out Out[AskResult]) (int, error) {
	late, err := s.db.UnclaimedSince(ctx, s.now().Add(-sla))
	if err != nil {
		return 0, err
	}
	pushed := 0
	for _, q := range late {
		v, err := s.view(q)
		if err != nil {
			continue
		}
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.MarkRepushed(ctx, q.ID, s.now()); err != nil {
				return err
			}
			experts, err := tx.OnDutyExperts(ctx, v.County.ID, v.Category.ID)
			if err != nil {
				return err
			}
			return tx.Enqueue(ctx, out.render(AskResult{Question: q, County: v.County, Category: v.Category, Experts: experts})...)
		})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return pushed, err
		}
		pushed++
	}
	return pushed, nil
}
