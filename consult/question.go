package consult

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/agriclinic/agriclinic/store"
)

// AskInput is a farmer's question as it arrived in a group.
type AskInput struct {
	ChatID    int64
	MessageID int64
	Farmer    Person
	Text      string
	UpdateID  int64
	// ThreadID is the forum topic it was asked in (0: none).
	ThreadID int64
	// Media are the photos, voice, video, documents or location that came with it; a
	// question may be media alone.
	Media        []store.Media
	MediaGroupID string
}

// AskResult is what asking caused: the numbered question, where it was routed, and the
// on-duty experts to tell. With ErrRepeated, Question is the earlier one; with
// ErrTooManyQuestions, RetryIn says when the farmer may ask again.
type AskResult struct {
	Question store.Question
	County   *County
	Category *Category
	// Experts are the on-duty experts to push the question to; Digested are those who got
	// many pushes in a short time and will get one digest instead (see FlushDigests).
	Experts  []store.Expert
	Digested []store.Expert
	RetryIn  time.Duration
	Media    []store.Media
	// GroupLanguage is the language the group chose ("" for the default).
	GroupLanguage string
	// Similar are earlier answered questions like this one, to show the farmer.
	Similar []SimilarAnswer
}

// Ask archives a question from a bound group, routes it to a category by its words and
// queues it. A redelivered update returns store.ErrDuplicate and changes nothing.
func (s *Service) Ask(ctx context.Context, in AskInput, out Out[AskResult]) (AskResult, error) {
	text := strings.TrimSpace(in.Text)
	g, county, err := s.Group(ctx, in.ChatID)
	if err != nil {
		return AskResult{}, err
	}
	if Blank(text) {
		text = ""
		if len(in.Media) == 0 {
			return AskResult{County: county}, ErrEmptyQuestion
		}
	}
	if UTF16Len(text) > MaxQuestion {
		return AskResult{County: county}, ErrTooLong
	}
	cat := s.categorize(county, text)
	res := AskResult{County: county, Category: cat, Media: in.Media, GroupLanguage: s.language(ctx, in.ChatID)}
	// A redelivered update is recognised before anything else, so it says nothing twice.
	if seen, err := s.db.QuestionFromUpdate(ctx, in.UpdateID); err != nil || seen {
		return AskResult{}, cmp.Or(err, store.ErrDuplicate)
	}
	if s.limits.Repeat > 0 && text != "" {
		earlier, err := s.db.RecentQuestion(ctx, in.ChatID, in.Farmer.ID, text, s.now().Add(-s.limits.Repeat))
		if err == nil {
			res.Question = earlier
			return res, ErrRepeated
		}
		if !errors.Is(err, store.ErrNotFound) {
			return AskResult{}, err
		}
	}
	if s.quota != nil && s.limits.Questions > 0 {
		wait, err := s.quota.Take(ctx, "ask", in.Farmer.ID, s.limits.Questions, s.limits.Window)
		if err != nil {
			// Without Redis there is no count; a flood limit is not worth losing a question.
			s.log.Warn("flood limit unavailable", "err", err)
		}
		if wait > 0 {
			res.RetryIn = wait
			return res, ErrTooManyQuestions
		}
	}
	experts, err := s.db.OnDutyExperts(ctx, county.ID, cat.ID)
	if err != nil {
		return AskResult{}, err
	}
	res.Experts, res.Digested = s.splitPushes(ctx, experts)
	res.Similar = s.similarTo(ctx, county.ID, cat.ID, text, 0)
	vector, crop, terms := s.index(text)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		res.Question, err = tx.CreateQuestion(ctx, store.Question{
			CountyID: county.ID, Township: g.Township, ChatID: in.ChatID, MessageID: in.MessageID,
			FarmerID: in.Farmer.ID, FarmerName: in.Farmer.Name, CategoryID: cat.ID, Text: text, AskedAt: s.now(),
			ThreadID: in.ThreadID, MediaGroupID: in.MediaGroupID, Search: vector, Crop: crop, Terms: terms,
		}, in.UpdateID)
		if err != nil {
			return err
		}
		if err := tx.AddMedia(ctx, res.Question.ID, in.Media...); err != nil {
			return err
		}
		if err := s.digest(ctx, tx, res.Digested); err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: res.Question.ID, Kind: "asked", ActorID: in.Farmer.ID, At: s.now()}); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if err != nil {
		return AskResult{}, err
	}
	q := res.Question
	// The question is safe in Postgres; a queue that missed it is rebuilt from there.
	if err := s.queue.Push(ctx, county.ID, q.Entry()); err != nil {
		s.log.Warn("question stored but not queued; the queue rebuild will add it", "question", q.ID, "err", err)
	}
	return res, nil
}

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

// ClaimResult is a claim's outcome: the question and, when someone holds it, who.
type ClaimResult struct {
	QuestionView
	Holder store.Expert
	// Notices are the messages that showed the question to experts, to be updated.
	Notices []store.BotMessage
	// InFlight are notices on their way to Telegram; each needs an edit once delivered.
	InFlight []store.PendingMessage
	// Media and Followups are the question's photos and what the farmer added since, for
	// the expert who claimed it.
	Media     []store.Media
	Followups []store.Followup
	// Similar are earlier answers to questions like it, for reference.
	Similar []SimilarAnswer
}

// Claim gives an open question to the expert pressing Claim. Of any number of experts
// claiming at once exactly one wins; the others get ErrTaken with the holder, so they can be
// told who has it. Only an approved expert of the question's county and category may claim.
func (s *Service) Claim(ctx context.Context, questionID, userID int64, out Out[ClaimResult]) (ClaimResult, error) {
	v, err := s.Question(ctx, questionID)
	if err != nil {
		return ClaimResult{}, err
	}
	expert, err := s.db.Expert(ctx, v.County.ID, userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !slices.Contains(expert.Categories, v.Category.ID)) {
		return ClaimResult{QuestionView: v}, ErrNotExpert
	}
	if err != nil {
		return ClaimResult{}, err
	}
	res := ClaimResult{QuestionView: v, Holder: expert}
	if v.Question.Status == store.StatusOpen {
		res.Similar = s.SimilarFor(ctx, v.Question)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q, err := tx.ClaimQuestion(ctx, questionID, userID, s.now())
		res.Question = q
		if err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: questionID, Kind: "claimed", ActorID: userID, At: s.now()}); err != nil {
			return err
		}
		if res.Media, err = tx.QuestionMedia(ctx, questionID); err != nil {
			return err
		}
		if res.Followups, err = tx.Followups(ctx, questionID); err != nil {
			return err
		}
		// Notices not yet delivered are settled first: that locks the ones in flight, so
		// each is either recorded below or edited once it is.
		if res.Notices, res.InFlight, err = tx.SettleNotices(ctx, questionID, s.now()); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		v.Question = res.Question
		return s.claimConflict(ctx, v, userID)
	}
	if err != nil {
		return ClaimResult{}, err
	}
	if err := s.queue.Remove(ctx, v.County.ID, v.Category.ID, questionID); err != nil {
		s.log.Warn("question claimed but still queued; the queue rebuild will drop it", "question", questionID, "err", err)
	}
	return res, nil
}

// claimConflict explains why a claim lost: who holds the question, or that it is done.
func (s *Service) claimConflict(ctx context.Context, v QuestionView, userID int64) (ClaimResult, error) {
	res := ClaimResult{QuestionView: v}
	if v.Question.ExpertID != 0 {
		holder, err := s.db.Expert(ctx, v.County.ID, v.Question.ExpertID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
		res.Holder = holder
	}
	switch {
	case v.Question.Status == store.StatusAnswered:
		return res, ErrAlreadyAnswered
	case v.Question.ExpertID == userID:
		return res, ErrAlreadyYours
	default:
		return res, ErrTaken
	}
}

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
		if err := tx.AppendSearch(ctx, q.ID, SearchVector(a.Text, 'B')); err != nil {
			return err
		}
		res.Question, res.Answer, res.Holder = q, a, expert
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		// Lost a race with another change of the question between the read and the write.
		return res, ErrNotHolder
	}
	return res, err
}

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

// MaxQuestion is the longest question in UTF-16 units, Telegram's own message limit.
const MaxQuestion = 4096

// Blank reports whether text has nothing to read: only spaces and invisible characters
// (zero-width spaces and joiners, word joiners, byte-order marks).
func Blank(text string) bool {
	for _, r := range text {
		switch {
		case unicode.IsSpace(r), r == '\u200b', r == '\u200c', r == '\u200d', r == '\u2060', r == '\ufeff':
		default:
			return false
		}
	}
	return true
}

// UTF16Len counts s as Telegram counts text: in UTF-16 code units.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
