package consult

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// Similar sets how earlier answers are suggested for a new question.
type Similar struct {
	// Min is the similarity (0–1, see Similarity) an earlier question needs to be shown.
	Min float64
	// Max is how many are shown at most (0: none).
	Max int
}

// DefaultSimilar shows up to three earlier answers that share the trouble, not only the
// crop: see the pairs in similar_test.go for what passes 0.5 and what does not.
var DefaultSimilar = Similar{Min: 0.5, Max: 3}

// index is what the archive keeps of a text for search, statistics and outbreaks: its
// lexemes, the crop it names, and the pests, diseases, symptoms and watched words.
func (s *Service) index(text string) (vector, crop string, terms []string) {
	for _, t := range Terms(text) {
		switch {
		case t.Kind == TermCrop && crop == "":
			crop = t.Name
		case t.Kind != TermCrop:
			terms = append(terms, t.Name)
		}
	}
	for _, w := range s.extraTerms(text) {
		if !slices.Contains(terms, w) {
			terms = append(terms, w)
		}
	}
	return SearchVector(text, 'A'), crop, terms
}

// IndexArchive builds the search vectors of the questions waiting for it (see
// store.Unindexed): those archived before search existed or written straight into the
// archive. It works batch by batch, each taken and indexed in one transaction, and
// returns how many it indexed. It is safe while the bot works: an answer given meanwhile
// puts its question back on the list.
func (s *Service) IndexArchive(ctx context.Context) (int, error) {
	done := 0
	for {
		n := 0
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			batch, err := tx.Unindexed(ctx, 500)
			if err != nil {
				return err
			}
			for _, it := range batch {
				vector, crop, terms := s.index(it.Question)
				vector = store.JoinVectors(vector, SearchVector(it.Answers, 'B'), SearchVector(it.Followups, 'C'))
				if err := tx.SetSearch(ctx, it.ID, vector, crop, terms, it.Answered); err != nil {
					return err
				}
			}
			n = len(batch)
			return nil
		})
		if err != nil || n == 0 {
			return done, err
		}
		done += n
	}
}

// SearchInput is a search of the archive: words (Chinese or English) and filters.
type SearchInput struct {
	Text     string
	Township string
	Category string
	Crop     string
	ExpertID int64
	Status   string
	Feedback string
	From, To time.Time
	Newest   bool
	Limit    int
	Offset   int
}

// Scope is the counties whose archive a person may search: where they are an admin or
// an expert.
func (s *Service) Scope(ctx context.Context, userID int64) ([]string, error) {
	var ids []string
	for _, c := range s.AdminCounties(userID) {
		ids = append(ids, c.ID)
	}
	experts, err := s.db.ExpertCounties(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, e := range experts {
		if !slices.Contains(ids, e.CountyID) {
			ids = append(ids, e.CountyID)
		}
	}
	return ids, nil
}

// SearchScope is the counties whose archive the person may search: those they administer
// or are an expert of. Anyone else (a farmer, someone unknown) gets ErrNotPermitted.
func (s *Service) SearchScope(ctx context.Context, userID int64) ([]string, error) {
	scope, err := s.Scope(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(scope) == 0 {
		return nil, ErrNotPermitted
	}
	return scope, nil
}

// QuestionFor returns a question of the archive to a person who may read it: an admin or
// an expert of its county. To anyone else it does not exist (ErrNoSuchQuestion): whether
// another county has a question of that number is not theirs to learn.
func (s *Service) QuestionFor(ctx context.Context, userID, id int64) (QuestionView, error) {
	scope, err := s.Scope(ctx, userID)
	if err != nil {
		return QuestionView{}, err
	}
	v, err := s.Question(ctx, id)
	if err != nil {
		return QuestionView{}, err
	}
	if !slices.Contains(scope, v.County.ID) {
		return QuestionView{}, ErrNoSuchQuestion
	}
	return v, nil
}

// EarlierQuestionIn returns an earlier question whose answer someone asked to see in a
// chat (the buttons under an acknowledgement). Only a question of the county the group is
// bound to is shown there, whatever the button's data says: anything else gets
// ErrNotPermitted, as does a chat that is no bound group.
func (s *Service) EarlierQuestionIn(ctx context.Context, chatID, id int64) (QuestionView, error) {
	v, err := s.Question(ctx, id)
	if err != nil {
		return QuestionView{}, err
	}
	_, county, err := s.Group(ctx, chatID)
	switch {
	case errors.Is(err, ErrGroupNotBound):
		return QuestionView{}, ErrNotPermitted
	case err != nil:
		return QuestionView{}, err
	case county.ID != v.County.ID:
		return QuestionView{}, ErrNotPermitted
	}
	return v, nil
}

// SearchResult is a page of questions found.
type SearchResult struct {
	Hits []QuestionView
	More bool
}

// Search searches the archive of the counties in scope. Words that leave nothing to
// search for (punctuation only) find nothing rather than everything.
func (s *Service) Search(ctx context.Context, scope []string, in SearchInput) (SearchResult, error) {
	f := store.SearchFilter{CountyIDs: scope, Township: in.Township, Category: in.Category, Crop: in.Crop,
		ExpertID: in.ExpertID, Status: in.Status, Feedback: in.Feedback, From: in.From, To: in.To,
		Newest: in.Newest, Limit: in.Limit, Offset: in.Offset}
	if strings.TrimSpace(in.Text) != "" {
		if f.Query = SearchQuery(in.Text); f.Query == "" {
			return SearchResult{}, nil
		}
	}
	hits, more, err := s.db.Search(ctx, f)
	if err != nil {
		return SearchResult{}, err
	}
	res := SearchResult{More: more}
	for _, h := range hits {
		if v, err := s.view(h.Question); err == nil {
			res.Hits = append(res.Hits, v)
		}
	}
	return res, nil
}

// SimilarAnswer is an earlier answered question like a new one.
type SimilarAnswer struct {
	Question store.Question
	Answer   store.Answer
	Score    float64
}

// similarTo finds up to Max earlier answered questions of the county's category at least
// Min alike to text, most alike first. It never fails the caller: without them the
// question is still asked.
func (s *Service) similarTo(ctx context.Context, county, category, text string, exclude int64) []SimilarAnswer {
	out, _ := s.lookSimilar(ctx, county, category, text, exclude)
	return out
}

// lookSimilar is similarTo, and says whether the archive was searched (false: the
// search failed, or similar answers are off).
func (s *Service) lookSimilar(ctx context.Context, county, category, text string, exclude int64) ([]SimilarAnswer, bool) {
	if s.similar.Max <= 0 {
		return nil, false
	}
	if Blank(text) {
		return nil, true
	}
	// Every way of naming the troubles the question names: a question about 稻飞虱 finds
	// one that said 褐飞虱. Similarity weighs the trouble most, so when the question names
	// one, the candidates are the questions that name it too; their other words only rank
	// them. Asking the index for every word of the text as well made each lookup walk the
	// posting lists of common words such as 什么, the costliest part of a lookup (figures
	// in docs/benchmarks.md).
	// Without a named trouble the candidates are those sharing any word.
	var words []string
	for _, t := range Terms(text) {
		if t.Kind != TermCrop {
			words = append(words, t.Variants...)
		}
	}
	if len(words) == 0 {
		words = []string{text}
	}
	query := anyQuery(strings.Join(words, " "))
	if query == "" {
		return nil, true
	}
	key, now := similarKey{county, category, query}, s.now()
	refs, gen, ok := s.memo.get(key, now)
	if !ok {
		var err error
		refs, err = s.db.SimilarRefs(ctx, county, category, query, now.Add(-similarHorizon), similarWindow)
		if err != nil {
			s.log.Warn("similar questions unavailable", "err", err)
			return nil, false
		}
		s.memo.put(key, refs, now, gen)
	}
	top := s.rankRefs(text, refs, exclude)
	if len(top) == 0 {
		return nil, true
	}
	ids := make([]int64, len(top))
	for i, r := range top {
		ids[i] = r.ID
	}
	cands, err := s.db.SimilarByIDs(ctx, ids)
	if err != nil {
		s.log.Warn("similar questions unavailable", "err", err)
		return nil, false
	}
	return withAnswers(top, cands), true
}

// withAnswers puts the ranked candidates' questions and answers, read whole, in their
// ranked order; one that changed since it was ranked (reopened, say) is left out.
func withAnswers(ranked []scoredRef, cands []store.SimilarCandidate) []SimilarAnswer {
	byID := make(map[int64]store.SimilarCandidate, len(cands))
	for _, c := range cands {
		byID[c.Question.ID] = c
	}
	var out []SimilarAnswer
	for _, r := range ranked {
		if c, ok := byID[r.ID]; ok {
			out = append(out, SimilarAnswer{Question: c.Question, Answer: c.Answer, Score: r.score})
		}
	}
	return out
}

// scoredRef is a candidate with its likeness to the question.
type scoredRef struct {
	store.SimilarRef
	score float64
}

// rankRefs keeps the candidates alike enough to text, most alike (then newest) first, at
// most Max, leaving out the question itself.
func (s *Service) rankRefs(text string, refs []store.SimilarRef, exclude int64) []scoredRef {
	var out []scoredRef
	for _, r := range refs {
		if r.ID == exclude {
			continue
		}
		if score := Similarity(text, r.Text); score >= s.similar.Min {
			out = append(out, scoredRef{r, score})
		}
	}
	slices.SortStableFunc(out, func(a, b scoredRef) int {
		return cmp.Or(cmp.Compare(b.score, a.score), b.AskedAt.Compare(a.AskedAt))
	})
	if len(out) > s.similar.Max {
		out = out[:s.similar.Max]
	}
	return out
}

// rankSimilar is rankRefs for candidates read whole.
func (s *Service) rankSimilar(text string, cands []store.SimilarCandidate) []SimilarAnswer {
	refs := make([]store.SimilarRef, len(cands))
	for i, c := range cands {
		refs[i] = store.SimilarRef{ID: c.Question.ID, Text: c.Question.Text, AskedAt: c.Question.AskedAt}
	}
	return withAnswers(s.rankRefs(text, refs, 0), cands)
}

// similarWindow is how many of the newest matching answered questions are scored: an OR
// of a question's words matches a good share of a large archive, and reading them all
// took seconds in a million questions.
const similarWindow = 200

// similarHorizon is how far back earlier answers are offered: advice older than two
// years may name pesticides since withdrawn or varieties no longer grown, and the bound
// ends the archive walk of a question with few matches early (a walk back to the first
// bucket costs as much on an empty archive as on a full one).
const similarHorizon = 2 * 365 * 24 * time.Hour

// Similarity says how alike two questions are, from 0 to 1. What matters most is the
// trouble they name — pests, diseases, symptoms, in any of the words farmers use for them
// (lexicon.go) — and then the words they share (Chinese bigrams, English words) beyond
// how a question is phrased. The crop is left out: similar questions are looked for in
// the same category already, and "rice leaves yellow" is not "rice leaves curling".
func Similarity(a, b string) float64 {
	ta, tb := troubleTerms(a), troubleTerms(b)
	wa, wb := contentWords(a), contentWords(b)
	words := dice(wa, wb)
	if len(ta) == 0 && len(tb) == 0 {
		return 0.8 * words // no trouble named: words alone are weaker evidence
	}
	return 0.7*dice(ta, tb) + 0.3*words
}

func troubleTerms(text string) map[string]bool {
	out := map[string]bool{}
	for _, t := range Terms(text) {
		if t.Kind != TermCrop {
			out[t.Name] = true
		}
	}
	return out
}

func contentWords(text string) map[string]bool {
	out := map[string]bool{}
	for _, t := range tokenize(text) {
		if !stopBigrams[t.text] {
			out[t.text] = true
		}
	}
	return out
}

// dice is 2|A∩B| / (|A|+|B|).
func dice(a, b map[string]bool) float64 {
	if len(a)+len(b) == 0 {
		return 0
	}
	shared := 0
	for k := range a {
		if b[k] {
			shared++
		}
	}
	return 2 * float64(shared) / float64(len(a)+len(b))
}

// SimilarFor returns the earlier answers like a question, for the expert who claims it.
// What the question's own lookup found is read again by number; only a question never
// looked up (or whose lookup failed) searches the archive here.
func (s *Service) SimilarFor(ctx context.Context, q store.Question) []SimilarAnswer {
	if q.SimilarIDs == nil {
		return s.similarTo(ctx, q.CountyID, q.CategoryID, q.Text, q.ID)
	}
	cands, err := s.db.SimilarByIDs(ctx, q.SimilarIDs)
	if err != nil {
		s.log.Warn("similar questions unavailable", "err", err)
		return nil
	}
	return s.rankSimilar(q.Text, cands)
}

// similarIDs are the numbers of the questions found, never nil: found none is not "not
// looked up".
func similarIDs(found []SimilarAnswer) []int64 {
	ids := make([]int64, len(found))
	for i, f := range found {
		ids[i] = f.Question.ID
	}
	return ids
}

// ArchiveResult is a question the farmer closed because an earlier answer solved it.
type ArchiveResult struct {
	QuestionView
	// Holder is the expert who had claimed it, to be told.
	Holder        store.Expert
	Notices       []store.BotMessage
	InFlight      []store.PendingMessage
	GroupLanguage string
}

// CloseFromArchive closes the asking farmer's open question because an earlier answer
// shown with its acknowledgement solved it.
func (s *Service) CloseFromArchive(ctx context.Context, questionID, userID int64, out Out[ArchiveResult]) (ArchiveResult, error) {
	v, err := s.Question(ctx, questionID)
	if err != nil {
		return ArchiveResult{}, err
	}
	res := ArchiveResult{QuestionView: v, GroupLanguage: s.language(ctx, v.Question.ChatID)}
	q := v.Question
	switch {
	case q.FarmerID != userID:
		return res, ErrNotAsker
	case q.Status != store.StatusOpen && q.Status != store.StatusClaimed:
		return res, ErrAlreadyRated
	}
	if q.Status == store.StatusClaimed {
		if res.Holder, err = s.db.Expert(ctx, v.County.ID, q.ExpertID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if res.Question, err = tx.CloseSolved(ctx, questionID, store.FeedbackArchive, s.now()); err != nil {
			return err
		}
		if res.Notices, res.InFlight, err = tx.SettleNotices(ctx, questionID, s.now()); err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, store.Event{QuestionID: questionID, Kind: "closed", ActorID: userID,
			Detail: map[string]any{"feedback": store.FeedbackArchive}, At: s.now()}); err != nil {
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
	s.unqueue(ctx, v.County.ID, v.Category.ID, questionID)
	return res, nil
}
