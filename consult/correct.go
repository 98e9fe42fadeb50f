package consult

import (
	"cmp"
	"context"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/agriclinic/agriclinic/store"
)

// Corrections after sending (/correct, or the expert editing their answer message): the
// answer in the group is followed by a correction that replies to it, marked 更正; the
// archive keeps every revision, and the answer's text (what search and the earlier-answer
// lookups read) becomes the correction's.

var (
	ErrMayNotCorrect       = errors.New("only the expert who answered, a senior or an admin may correct")
	ErrEmptyCorrection     = errors.New("empty correction")
	ErrCorrectionTooLong   = errors.New("correction too long")
	ErrCorrectionGarbled   = errors.New("correction has a NUL or invalid UTF-8")
	ErrCorrectionMarkup    = errors.New("correction has HTML markup")
	ErrCorrectionUnchanged = errors.New("correction says what the answer says")
	ErrAnswerNotPosted     = errors.New("answer not in the group yet")
	ErrAnswerChanged       = errors.New("answer corrected meanwhile by someone else")
	// ErrCorrectionBanned: the correction names a banned pesticide; nothing is sent.
	ErrCorrectionBanned = errors.New("correction names a banned pesticide")
	// ErrCorrectionNeedsReview: it names a pesticide restricted on the question's crop,
	// or a banned one in a negation; it needs a senior's review, and is not sent.
	ErrCorrectionNeedsReview = errors.New("correction needs a senior's review")
)

// CorrectionLimit is the longest correction, in characters: one Telegram message.
const CorrectionLimit = 4096

// CorrectInput is a correction of a question's answer.
type CorrectInput struct {
	QuestionID int64
	By         Person
	Text       string
	Why        string
	// Source is store.RevisionCommand or store.RevisionEdit.
	Source   string
	UpdateID int64
}

// CorrectResult is a stored correction: the answer as it now reads, the revision, and
// for a refusal by the pesticide check what it found.
type CorrectResult struct {
	QuestionView
	Answer        store.Answer // Text is the corrected text; GroupMessageID the original answer message
	Revision      store.AnswerRevision
	GroupLanguage string
	Findings      []PesticideFinding
}

// markupPattern finds an HTML tag; a lone < or > (温度<30℃) is plain text.
var markupPattern = regexp.MustCompile(`<\s*/?\s*[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?\s*>|&[A-Za-z]+;|&#[0-9]+;`)

// checkCorrectionText refuses what cannot be a correction's text.
func checkCorrectionText(text string) error {
	switch {
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0) || strings.ContainsRune(text, utf8.RuneError):
		return ErrCorrectionGarbled
	case Blank(text):
		return ErrEmptyCorrection
	case utf8.RuneCountInString(text) > CorrectionLimit:
		return ErrCorrectionTooLong
	case markupPattern.MatchString(text):
		return ErrCorrectionMarkup
	}
	return nil
}

// mayCorrect says whether the person may correct an answer of the county: the expert who
// gave it, a senior (the county file's seniors:) or an admin.
func mayCorrect(c *County, a store.Answer, userID int64) bool {
	return a.ExpertID == userID || c.IsSenior(userID)
}

// Correct stores a correction of a question's latest answer and, in the same
// transaction, the messages it causes (out): the correction in the group, as a reply to
// the original answer message.
func (s *Service) Correct(ctx context.Context, in CorrectInput, out Out[CorrectResult]) (CorrectResult, error) {
	text := strings.TrimSpace(in.Text)
	why := strings.TrimSpace(in.Why)
	if seen, err := s.db.RevisionFromUpdate(ctx, in.UpdateID); err != nil || seen {
		return CorrectResult{}, cmp.Or(err, store.ErrDuplicate)
	}
	v, err := s.Question(ctx, in.QuestionID)
	if err != nil {
		return CorrectResult{}, err
	}
	res := CorrectResult{QuestionView: v}
	a, err := s.db.LatestAnswer(ctx, v.Question.ID)
	if errors.Is(err, store.ErrNotFound) {
		return res, ErrNotAnswered
	}
	if err != nil {
		return res, err
	}
	if !mayCorrect(v.County, a, in.By.ID) {
		return res, ErrMayNotCorrect
	}
	if err := checkCorrectionText(text); err != nil {
		return res, err
	}
	if err := checkCorrectionText(why); err != nil && !errors.Is(err, ErrEmptyCorrection) {
		return res, err
	}
	if text == a.Text {
		return res, ErrCorrectionUnchanged
	}
	if a.GroupMessageID == 0 {
		// Still on its way to the group (or the group is gone): nothing to reply to.
		return res, ErrAnswerNotPosted
	}
	// The same check as answers (pesticide_match.go). Until held corrections go to the
	// seniors' review, what the check flags is refused, and nothing is sent.
	if list := s.pesticides[v.County.ID]; list != nil {
		res.Findings = list.Check(text, PesticideQuestion{Category: v.Category.ID + " " + v.Category.Name, Text: v.Question.Text}, s.now())
	}
	for _, f := range res.Findings {
		if f.Banned && !f.Negated {
			return res, ErrCorrectionBanned
		}
	}
	if len(res.Findings) > 0 {
		return res, ErrCorrectionNeedsReview
	}
	name := in.By.Name
	if name == "" && in.By.ID == a.ExpertID {
		name = a.ExpertName
	}
	res.GroupLanguage = s.language(ctx, v.Question.ChatID)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		r, err := tx.ReviseAnswer(ctx, a.ID, a.Text, store.AnswerRevision{Text: text, ByID: in.By.ID, ByName: name, Why: why,
			Source: cmp.Or(in.Source, store.RevisionCommand), At: s.now()}, in.UpdateID)
		if err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: v.Question.ID, Kind: "corrected", ActorID: in.By.ID,
			Detail: map[string]any{"answer": a.ID, "revision": r.Revision}, At: s.now()}); err != nil {
			return err
		}
		// Search finds the current text, not the old one: the vector is made again from
		// the question, its answers as they now read and its follow-ups (as IndexArchive).
		it, err := tx.IndexTextOf(ctx, v.Question.ID)
		if err != nil {
			return err
		}
		vector, _, _ := s.index(it.Question)
		vector = store.JoinVectors(vector, SearchVector(it.Answers, 'B'), SearchVector(it.Followups, 'C'))
		if err := tx.ReplaceSearch(ctx, v.Question.ID, vector); err != nil {
			return err
		}
		a.Text = text
		res.Answer, res.Revision = a, r
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if errors.Is(err, store.ErrConflict) {
		// Another correction of this answer came in between the read and the write.
		return res, ErrAnswerChanged
	}
	if err == nil {
		s.memo.forget() // the next farmer's lookup reads the corrected answer
	}
	return res, err
}

// Revisions are a question's answer revisions, each answer's in order (none until the
// first correction).
func (s *Service) Revisions(ctx context.Context, questionID int64) ([]store.AnswerRevision, error) {
	return s.db.Revisions(ctx, questionID)
}
