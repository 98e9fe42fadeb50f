package consult

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"github.com/agriclinic/agriclinic/store"
)

// AnswerInput is an expert's answer.
type AnswerInput struct {
	QuestionID int64
	Expert     Person
	Text       string
	UpdateID   int64
	// Media is the photo, voice or document the expert answered with, if any.
	Media *store.Media
}

// AnswerResult is an archived answer and the question it closed.
type AnswerResult struct {
	QuestionView
	Answer        store.Answer
	Holder        store.Expert
	GroupLanguage string
	// Reach says whether the bot is still in the question's group and, if not, whether
	// the farmer may be written to privately (gone.go).
	Reach store.Reach
	// Held, when set, is the answer kept from the group for a senior's review (held.go):
	// nothing of it goes to the group but the notice that it is coming.
	Held *HeldView
	// Replaced are the seniors' copies of a held answer this one replaced, to be updated.
	Replaced []store.BotMessage
}

// Answer archives an answer from the expert who holds the question.
func (s *Service) Answer(ctx context.Context, in AnswerInput, out Out[AnswerResult]) (AnswerResult, error) {
	text := strings.TrimSpace(in.Text)
	if Blank(text) {
		text = ""
	}
	// A redelivered update is recognised first: its answer is stored, and the state it
	// left ("answered") must not make the expert think it was refused.
	if seen, err := s.db.AnswerFromUpdate(ctx, in.UpdateID); err != nil || seen {
		return AnswerResult{}, cmp.Or(err, store.ErrDuplicate)
	}
	if seen, err := s.db.HeldFromUpdate(ctx, in.UpdateID); err != nil || seen {
		return AnswerResult{}, cmp.Or(err, store.ErrDuplicate)
	}
	v, err := s.Question(ctx, in.QuestionID)
	if err != nil {
		return AnswerResult{}, err
	}
	res := AnswerResult{QuestionView: v}
	switch {
	case text == "" && in.Media == nil:
		return res, ErrEmptyAnswer
	case v.Question.Status == store.StatusAnswered:
		return res, ErrAlreadyAnswered
	case v.Question.Status != store.StatusClaimed || v.Question.ExpertID != in.Expert.ID:
		return res, ErrNotHolder
	}
	expert, err := s.db.Expert(ctx, v.County.ID, in.Expert.ID)
	if errors.Is(err, store.ErrNotFound) {
		return res, ErrNotExpert
	}
	if err != nil {
		return res, err
	}
	a := store.Answer{QuestionID: v.Question.ID, ExpertID: in.Expert.ID, ExpertName: expert.Name, Text: text, AnsweredAt: s.now()}
	if in.Media != nil {
		a.Kind, a.FileID = in.Media.Kind, in.Media.FileID
	}
	// Every answer passes the pesticide check, and the county's review, before anything
	// of it is sent (held.go).
	findings := s.pesticideCheck(v, text)
	reason, err := s.holdReason(ctx, v, in.Expert.ID, findings)
	if err != nil {
		return res, err
	}
	if reason != "" {
		res, err := s.hold(ctx, v, a, reason, findings, in.UpdateID, out)
		if errors.Is(err, store.ErrConflict) {
			return res, ErrNotHolder
		}
		return res, err
	}
	res.GroupLanguage = s.language(ctx, v.Question.ChatID)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q, a, err := tx.AnswerQuestion(ctx, a, in.UpdateID)
		if err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: q.ID, Kind: "answered", ActorID: in.Expert.ID,
			Detail: map[string]any{"answer": a.ID}, At: s.now()}); err != nil {
			return err
		}
		if err := tx.AppendSearch(ctx, q.ID, SearchVector(a.Text, 'B'), true); err != nil {
			return err
		}
		res.Question, res.Answer, res.Holder = q, a, expert
		// A clean answer replaces one held before (a rewrite).
		replaced, err := tx.ReplaceHeld(ctx, q.ID)
		if err != nil {
			return err
		}
		for _, r := range replaced {
			copies, err := tx.BotMessagesFor(ctx, store.MessageHeldReview, r.ID)
			if err != nil {
				return err
			}
			res.Replaced = append(res.Replaced, copies...)
		}
		if res.Reach, err = tx.ReachOf(ctx, q.ChatID, q.FarmerID); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		// Lost a race with another change of the question between the read and the write.
		return res, ErrNotHolder
	}
	if err == nil {
		s.memo.forget() // the next farmer's lookup may find this answer
	}
	return res, err
}
