package consult

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// language is the language a chat chose, "" when it chose none or it cannot be read (a
// message in the default language beats no message).
func (s *Service) language(ctx context.Context, chatID int64) string {
	l, err := s.db.Language(ctx, chatID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("chat language unavailable", "chat", chatID, "err", err)
	}
	return l
}

// StageAlbumItem keeps one item of an album until the album is complete (FlushAlbums).
// An item arriving after its album became a question is added to that question.
func (s *Service) StageAlbumItem(ctx context.Context, it store.AlbumItem) error {
	if _, _, err := s.Group(ctx, it.ChatID); err != nil {
		return err
	}
	q, err := s.db.AlbumQuestion(ctx, store.AlbumKey{ChatID: it.ChatID, MediaGroupID: it.MediaGroupID})
	if err == nil {
		return s.db.AddMedia(ctx, q.ID, it.Media)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	it.ReceivedAt = s.now()
	return s.db.StageAlbumItem(ctx, it)
}

// FlushAlbums turns every album complete for wait (no item for that long) into one
// question, asked by whoever sent its first item, with every caption as its text. An
// album nobody addressed to the bot is dropped, unless its group is open (see /mode).
// It returns how many questions it made.
func (s *Service) FlushAlbums(ctx context.Context, wait time.Duration, out Out[AskResult]) (int, error) {
	quiet, err := s.db.QuietAlbums(ctx, s.now().Add(-wait))
	if err != nil {
		return 0, err
	}
	made := 0
	for _, k := range quiet {
		ok, err := s.flushAlbum(ctx, k, out)
		if err != nil {
			return made, err
		}
		if ok {
			made++
		}
	}
	return made, nil
}

func (s *Service) flushAlbum(ctx context.Context, k store.AlbumKey, out Out[AskResult]) (bool, error) {
	g, county, err := s.Group(ctx, k.ChatID)
	if errors.Is(err, ErrGroupNotBound) {
		_, err := s.db.TakeAlbum(ctx, k)
		return false, err
	}
	if err != nil {
		return false, err
	}
	var made *store.Question
	groupLang := s.language(ctx, k.ChatID)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		items, err := tx.TakeAlbum(ctx, k)
		if err != nil || len(items) == 0 {
			return err
		}
		addressed := g.Mode == store.GroupModeOpen
		var captions []string
		media := make([]store.Media, 0, len(items))
		for _, it := range items {
			addressed = addressed || it.Addressed
			if c := strings.TrimSpace(it.Caption); c != "" && !Blank(c) {
				captions = append(captions, c)
			}
			media = append(media, it.Media)
		}
		if !addressed {
			return nil // farmers' own photos in a group that is not open
		}
		first := items[0]
		text := strings.Join(captions, "\n")
		cat := s.categorize(county, text)
		res := AskResult{County: county, Category: cat, Media: media, GroupLanguage: groupLang}
		vector, crop, terms := s.index(text)
		res.Question, err = tx.CreateQuestion(ctx, store.Question{
			CountyID: county.ID, Township: g.Township, ChatID: k.ChatID, MessageID: first.MessageID,
			FarmerID: first.FromID, FarmerName: first.FromName, CategoryID: cat.ID, Text: text, AskedAt: s.now(),
			ThreadID: first.ThreadID, MediaGroupID: k.MediaGroupID, Search: vector, Crop: crop, Terms: terms,
		}, first.UpdateID)
		if errors.Is(err, store.ErrDuplicate) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.AddMedia(ctx, res.Question.ID, media...); err != nil {
			return err
		}
		experts, err := tx.OnDutyExperts(ctx, county.ID, cat.ID)
		if err != nil {
			return err
		}
		res.Experts, res.Bundled = s.splitPushes(ctx, experts)
		res.Ahead, res.NextOpen = s.placeOf(ctx, county.ID, cat.ID, len(experts))
		if err := s.bundle(ctx, tx, res.Bundled); err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: res.Question.ID, Kind: "asked", ActorID: first.FromID, At: s.now()}); err != nil {
			return err
		}
		made = &res.Question
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if err != nil || made == nil {
		return false, err
	}
	s.requeue(ctx, county.ID, *made)
	return true, nil
}

// requeue puts an open question in its Redis queue after its transaction committed;
// when Redis is away the reconciler adds it later.
func (s *Service) requeue(ctx context.Context, countyID string, q store.Question) {
	if err := s.queue.Push(ctx, countyID, q.Entry()); err != nil {
		s.log.Warn("question stored but not queued; the reconciler will add it", "question", q.ID, "err", err)
	}
}

// unqueue takes a question out of a Redis queue after its transaction committed.
func (s *Service) unqueue(ctx context.Context, countyID, category string, id int64) {
	if err := s.queue.Remove(ctx, countyID, category, id); err != nil {
		s.log.Warn("question left in its queue; the reconciler will drop it", "question", id, "err", err)
	}
}

// FeedbackResult is the farmer's verdict on an answer.
type FeedbackResult struct {
	QuestionView
	Solved bool
	// Answer is the latest answer; Answerer the expert who gave it, to be told.
	Answer   store.Answer
	Answerer store.Expert
	// Experts are the on-duty experts to push a reopened question to.
	Experts       []store.Expert
	Bundled       []store.Expert
	GroupLanguage string
}

// Feedback records the asking farmer's "solved" or "not solved" on an answered question.
// Solved closes it; not solved puts it back at the head of its queue, pushed again to the
// on-duty experts, and the expert who answered is told. A question that closed by itself
// without feedback still takes it.
func (s *Service) Feedback(ctx context.Context, questionID, userID int64, solved bool, out Out[FeedbackResult]) (FeedbackResult, error) {
	v, err := s.Question(ctx, questionID)
	if err != nil {
		return FeedbackResult{}, err
	}
	res := FeedbackResult{QuestionView: v, Solved: solved, GroupLanguage: s.language(ctx, v.Question.ChatID)}
	q := v.Question
	switch {
	case q.FarmerID != userID:
		return res, ErrNotAsker
	case q.Status == store.StatusOpen && q.Feedback == "", q.Status == store.StatusClaimed && q.Feedback == "":
		return res, ErrNotAnswered
	case q.Status != store.StatusAnswered && !(q.Status == store.StatusClosed && q.Feedback == store.FeedbackNone):
		return res, ErrAlreadyRated
	}
	if res.Answer, err = s.db.LastAnswer(ctx, questionID); err != nil {
		return res, err
	}
	if res.Answerer, err = s.db.Expert(ctx, v.County.ID, res.Answer.ExpertID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return res, err
	}
	if !solved {
		experts, err := s.db.OnDutyExperts(ctx, v.County.ID, v.Category.ID)
		if err != nil {
			return res, err
		}
		res.Experts, res.Bundled = s.splitPushes(ctx, experts)
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if solved {
			res.Question, err = tx.CloseSolved(ctx, questionID, store.FeedbackSolved, s.now())
		} else {
			res.Question, err = tx.Reopen(ctx, questionID, s.now())
		}
		if err != nil {
			return err
		}
		if err := s.bundle(ctx, tx, res.Bundled); err != nil {
			return err
		}
		kind := map[bool]string{true: "closed", false: "reopened"}[solved]
		if err := tx.AddEvent(ctx, store.Event{QuestionID: questionID, Kind: kind, ActorID: userID,
			Detail: map[string]any{"feedback": map[bool]string{true: store.FeedbackSolved, false: store.FeedbackUnsolved}[solved]}, At: s.now()}); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		return res, ErrAlreadyRated
	}
	if err != nil {
		return res, err
	}
	if !solved {
		s.memo.forget() // an unsolved answer is no longer offered
		s.requeue(ctx, v.County.ID, res.Question)
	}
	return res, nil
}

// CloseUnrated closes the questions answered more than after ago that got no feedback,
// a few hundred per transaction (a restored archive can hold many). It returns how many
// it closed.
func (s *Service) CloseUnrated(ctx context.Context, after time.Duration) (int, error) {
	const batch = 500
	cutoff := s.now().Add(-after)
	closed := 0
	for {
		var n int
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			now := s.now()
			ids, err := tx.CloseUnrated(ctx, cutoff, now, batch)
			if err != nil {
				return err
			}
			n = len(ids)
			events := make([]store.Event, len(ids))
			for i, id := range ids {
				events[i] = store.Event{QuestionID: id, Kind: "closed", Detail: map[string]any{"feedback": store.FeedbackNone}, At: now}
			}
			return tx.AddEvents(ctx, events...)
		})
		if err != nil {
			return closed, err
		}
		closed += n
		if n < batch {
			return closed, nil
		}
	}
}

// FollowupInput is a farmer's message added to their question.
type FollowupInput struct {
	QuestionID int64
	Author     Person
	Text       string
	Media      *store.Media
	ChatID     int64
	MessageID  int64
	UpdateID   int64
}

// FollowupResult says where a follow-up went: to the expert holding the question
// (Holder), or back into the queue (Requeued, pushed to Experts), or it waits in the queue
// for whoever claims it.
type FollowupResult struct {
	QuestionView
	Followup store.Followup
	Holder   store.Expert
	Requeued bool
	Experts  []store.Expert
}

// Followup adds the asking farmer's message to their question's conversation. A question that
// is claimed sends it to its holder; an answered or closed one goes back to the expert
// who answered it (or, if they are no longer an expert of its category, to the head of
// the queue).
func (s *Service) Followup(ctx context.Context, in FollowupInput, out Out[FollowupResult]) (FollowupResult, error) {
	v, err := s.Question(ctx, in.QuestionID)
	if err != nil {
		return FollowupResult{}, err
	}
	res := FollowupResult{QuestionView: v}
	q := v.Question
	if q.FarmerID != in.Author.ID {
		return res, ErrNotAsker
	}
	text := strings.TrimSpace(in.Text)
	if Blank(text) && in.Media == nil {
		return res, ErrEmptyQuestion
	}
	if UTF16Len(text) > MaxQuestion {
		return res, ErrTooLong
	}
	// Who gets it is decided before the transaction; the state change below checks it
	// still holds.
	var holderID int64
	switch q.Status {
	case store.StatusClaimed:
		holderID = q.ExpertID
	case store.StatusAnswered, store.StatusClosed:
		if a, err := s.db.LastAnswer(ctx, q.ID); err == nil {
			holderID = a.ExpertID
		} else if !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
	}
	if holderID != 0 {
		e, err := s.db.Expert(ctx, v.County.ID, holderID)
		switch {
		case err == nil && slices.Contains(e.Categories, v.Category.ID):
			res.Holder = e
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return res, err
		}
	}
	reopen := q.Status == store.StatusAnswered || q.Status == store.StatusClosed
	if reopen && res.Holder.UserID == 0 {
		experts, err := s.db.OnDutyExperts(ctx, v.County.ID, v.Category.ID)
		if err != nil {
			return res, err
		}
		res.Experts, res.Requeued = experts, true
	}
	f := store.Followup{QuestionID: q.ID, AuthorID: in.Author.ID, AuthorName: in.Author.Name, Text: text,
		ChatID: in.ChatID, MessageID: in.MessageID, CreatedAt: s.now()}
	if in.Media != nil {
		f.Kind, f.FileID = in.Media.Kind, in.Media.FileID
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if res.Followup, err = tx.AddFollowup(ctx, f, in.UpdateID); err != nil {
			return err
		}
		switch {
		case reopen && res.Requeued:
			res.Question, err = tx.RequeueQuestion(ctx, q.ID, s.now())
		case reopen:
			res.Question, err = tx.ReturnToExpert(ctx, q.ID, res.Holder.UserID, s.now())
		case q.Status == store.StatusClaimed:
			// Still held by the same expert? A claim that expired meanwhile leaves it queued.
			res.Question, err = tx.Question(ctx, q.ID)
			if err == nil && (res.Question.Status != store.StatusClaimed || res.Question.ExpertID != holderID) {
				res.Holder = store.Expert{}
			}
		}
		if err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: q.ID, Kind: "followup", ActorID: in.Author.ID,
			Detail: map[string]any{"followup": res.Followup.ID}, At: s.now()}); err != nil {
			return err
		}
		if err := tx.AppendSearch(ctx, q.ID, SearchVector(text, 'C'), false); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		return res, ErrAlreadyAnswered // changed under us; the farmer may send it again
	}
	if err != nil {
		return res, err
	}
	if res.Requeued {
		s.requeue(ctx, v.County.ID, res.Question)
	} else if reopen {
		s.unqueue(ctx, v.County.ID, v.Category.ID, q.ID)
	}
	return res, nil
}

// EditResult is an edited question and the expert holding it, to be told.
type EditResult struct {
	QuestionView
	Holder store.Expert
	// AfterAnswer says the question was answered before the edit: the question stays as
	// answered, and Edit holds the words the farmer wrote since.
	AfterAnswer bool
	Edit        string
}

// EditQuestion follows a farmer's edit of the message that asked a question. Before any
// answer, the new words are the question (the words first asked are kept in the archive,
// and both stay searchable). Once an expert has answered, the words they answered stay the
// question of record: the edit is kept as a step of the question's timeline, after the
// answer, and neither search nor the earlier answers offered to later farmers pair the
// answer with words it never answered.
func (s *Service) EditQuestion(ctx context.Context, chatID, messageID, userID int64, text string, out Out[EditResult]) (EditResult, error) {
	q, err := s.db.QuestionAt(ctx, chatID, messageID)
	if errors.Is(err, store.ErrNotFound) {
		return EditResult{}, ErrNothingToEdit
	}
	if err != nil {
		return EditResult{}, err
	}
	v, err := s.view(q)
	if err != nil {
		return EditResult{}, err
	}
	res := EditResult{QuestionView: v}
	text = strings.TrimSpace(text)
	switch {
	case q.FarmerID != userID:
		return res, ErrNotAsker
	case Blank(text) || UTF16Len(text) > MaxQuestion:
		return res, ErrEmptyQuestion
	}
	// Answered, even if reopened since: the answer was to the words as they stood.
	answers, err := s.db.Answers(ctx, q.ID)
	if err != nil {
		return res, err
	}
	res.AfterAnswer = len(answers) > 0
	if res.AfterAnswer {
		if text == q.Text {
			return res, nil // the words answered, again: nothing changed
		}
		res.Edit = text
	}
	if q.Status == store.StatusClaimed {
		if res.Holder, err = s.db.Expert(ctx, v.County.ID, q.ExpertID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if res.AfterAnswer {
			if err := tx.AddEvent(ctx, store.Event{QuestionID: q.ID, Kind: "edited", ActorID: userID,
				Detail: map[string]any{"after_answer": true, "text": text}, At: s.now()}); err != nil {
				return err
			}
			return tx.Enqueue(ctx, out.render(res)...)
		}
		var err error
		if res.Question, err = tx.EditQuestion(ctx, q.ID, text, s.now()); err != nil {
			return err
		}
		// The first words stay searchable (they are archived too); the new ones join them.
		vector, crop, terms := s.index(text)
		if err := tx.AppendSearch(ctx, q.ID, vector, false); err != nil {
			return err
		}
		if err := tx.SetQuestionTerms(ctx, q.ID, crop, terms); err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: q.ID, Kind: "edited", ActorID: userID, At: s.now()}); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		return res, nil // the same words again: nothing changed
	}
	return res, err
}

// TransferResult is a question moved to another category's queue.
type TransferResult struct {
	QuestionView
	From *Category
	// Former is the expert who held it, if anyone; Experts the on-duty experts of the new
	// category to push it to.
	Former        store.Expert
	Experts       []store.Expert
	Bundled       []store.Expert
	ActorName     string
	GroupLanguage string
}

// Transfer moves a question to another category's queue, at its head. The expert holding
// it, an expert of its category while it is open, or a county admin may.
func (s *Service) Transfer(ctx context.Context, questionID int64, actor Person, category string, out Out[TransferResult]) (TransferResult, error) {
	v, err := s.Question(ctx, questionID)
	if err != nil {
		return TransferResult{}, err
	}
	res := TransferResult{QuestionView: v, From: v.Category, ActorName: actor.Name}
	to, ok := v.County.FindCategory(category)
	if !ok {
		return res, ErrUnknownCategory
	}
	q := v.Question
	switch {
	case q.Status == store.StatusAnswered || q.Status == store.StatusClosed:
		return res, ErrAlreadyAnswered
	case to.ID == q.CategoryID:
		return res, ErrSameCategory
	}
	allowed := v.County.IsAdmin(actor.ID) || (q.Status == store.StatusClaimed && q.ExpertID == actor.ID)
	if !allowed && q.Status == store.StatusOpen {
		e, err := s.db.Expert(ctx, v.County.ID, actor.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
		allowed = err == nil && slices.Contains(e.Categories, q.CategoryID)
	}
	if !allowed {
		return res, ErrNotPermitted
	}
	if q.Status == store.StatusClaimed && q.ExpertID != actor.ID {
		if res.Former, err = s.db.Expert(ctx, v.County.ID, q.ExpertID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
	}
	experts, err := s.db.OnDutyExperts(ctx, v.County.ID, to.ID)
	if err != nil {
		return res, err
	}
	res.Experts, res.Bundled = s.splitPushes(ctx, experts)
	res.GroupLanguage = s.language(ctx, q.ChatID)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if res.Question, err = tx.TransferQuestion(ctx, q.ID, to.ID, s.now()); err != nil {
			return err
		}
		res.Category = to
		if err := s.bundle(ctx, tx, res.Bundled); err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: q.ID, Kind: "transferred", ActorID: actor.ID,
			Detail: map[string]any{"from": v.Category.ID, "to": to.ID}, At: s.now()}); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		return res, ErrAlreadyAnswered
	}
	if err != nil {
		return res, err
	}
	s.unqueue(ctx, v.County.ID, v.Category.ID, q.ID)
	s.requeue(ctx, v.County.ID, res.Question)
	return res, nil
}

// SetGroupMode sets how a bound group's messages become questions; only an admin of its
// county may. Open mode is refused where plain messages never reach the bot (standing
// says what Telegram said; see guide.go).
func (s *Service) SetGroupMode(ctx context.Context, chatID, userID int64, mode string, standing BotStanding) error {
	_, county, err := s.Group(ctx, chatID)
	if err != nil {
		return err
	}
	if !county.IsAdmin(userID) {
		return ErrNotAdmin
	}
	if mode != store.GroupModeAsk && mode != store.GroupModeOpen {
		return ErrUnknownMode
	}
	if mode == store.GroupModeOpen && !standing.Known {
		return ErrStandingUnknown
	}
	if mode == store.GroupModeOpen && !standing.HearsPlain() {
		return ErrCannotHear
	}
	return s.db.SetGroupMode(ctx, chatID, mode)
}
