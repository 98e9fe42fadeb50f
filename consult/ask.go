package consult

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

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
	// Experts are the on-duty experts to push the question to; Bundled are those who got
	// many pushes in a short time and will get one bundle instead (see FlushBundles).
	Experts []store.Expert
	Bundled []store.Expert
	RetryIn time.Duration
	Media   []store.Media
	// GroupLanguage is the language the group chose ("" for the default).
	GroupLanguage string
	// Similar are earlier answered questions like this one, to show the farmer.
	Similar []SimilarAnswer
	// Ahead is how many questions waited before it in its queue when it was asked.
	// NextOpen, when no expert of its category is on duty, is when the next clinic
	// session of its category opens (zero: none planned).
	Ahead    int
	NextOpen time.Time
	// Shared, when set, is the group's shared acknowledgement of a burst that this
	// question joined (burst.go; its ID is 0 if this batch opened it, and it holds no
	// items): the question gets no acknowledgement of its own.
	Shared *store.GroupAck
}

// Ask archives a question from a bound group, routes it to a category by its words and
// queues it. A redelivered update returns store.ErrDuplicate and changes nothing.
func (s *Service) Ask(ctx context.Context, in AskInput, out Out[AskResult]) (AskResult, error) {
	o := s.AskMany(ctx, []AskInput{in}, out)[0]
	return o.Result, o.Err
}

// AskOutcome is what asking caused for one question of AskMany: what Ask returns.
type AskOutcome struct {
	Result AskResult
	Err    error
}

// askBatch is the most questions one AskMany stores in one transaction.
const askBatch = defaultBatch

// AskMany does what Ask does for questions that arrived together (a getUpdates batch
// from many groups), with a round trip per kind of work rather than per question: one
// to read what the checks need, one to Redis for the flood and push limits, one
// transaction, one to Redis to queue. Outcomes are in the order of ins; a chat's
// questions are numbered in that order, and one that repeats an earlier one of the batch
// is ErrRepeated of it. Earlier answers like each question are looked up after the batch
// is stored (similar_later.go) unless it is one question.
func (s *Service) AskMany(ctx context.Context, ins []AskInput, out Out[AskResult]) []AskOutcome {
	defer s.later.storing()()
	outcomes := make([]AskOutcome, len(ins))
	texts := make([]string, len(ins))
	keys := make([]store.AskKey, len(ins))
	for i, in := range ins {
		texts[i] = strings.TrimSpace(in.Text)
		if Blank(texts[i]) {
			texts[i] = ""
		}
		keys[i] = store.AskKey{ChatID: in.ChatID, FarmerID: in.Farmer.ID, UpdateID: in.UpdateID}
		if s.limits.Repeat > 0 {
			keys[i].Text = texts[i]
		}
	}
	// A question's search words depend on its text alone, so they are worked out on the
	// other core while the checks read Postgres and Redis: in a burst each batch waits on
	// the one before, and these waits are its longest.
	indexed := make(chan []textIndex, 1)
	go func() { indexed <- s.indexAll(texts) }()
	facts, err := s.db.AskFacts(ctx, keys, s.now().Add(-s.limits.Repeat))
	if err != nil {
		for i := range outcomes {
			outcomes[i].Err = err
		}
		return outcomes
	}
	live, repeatOf := s.checkAsks(ins, texts, facts, outcomes)
	live = s.floodLimit(ctx, ins, live, outcomes)
	// A question asked on its own gets its earlier answers now; a batch's come after.
	single := len(live) == 1
	pending := s.pendingAsks(ctx, ins, texts, <-indexed, live, facts, outcomes, out, single)
	// A batch is a burst: its search entries are merged into the index after it
	// (index_merge.go), not at each batch.
	burst := !single
	run := alone(func(b []*pendingAsk) error { return s.storeAsks(b, burst) }, func(p *pendingAsk, err error) { p.err = err })
	if single {
		// A question on its own shares a transaction with whatever else arrives meanwhile.
		s.asks.do(pending[0], run)
	} else {
		for chunk := range slices.Chunk(pending, askBatch) {
			run(chunk)
		}
	}
	var queued []store.CountyEntry
	var later []similarJob
	for j, i := range live {
		p := pending[j]
		if p.err != nil {
			outcomes[i] = AskOutcome{Err: p.err}
			s.giveBackAsk(ctx, ins[i].Farmer.ID, p.err)
			continue
		}
		outcomes[i].Result = p.res
		queued = append(queued, store.CountyEntry{County: p.res.County.ID, Entry: p.res.Question.Entry()})
		if !single && s.similar.Max > 0 && texts[i] != "" {
			later = append(later, newSimilarJob(p.res, out))
		}
	}
	for i, k := range repeatOf {
		if outcomes[k].Err != nil {
			outcomes[i] = outcomes[k] // told to wait, or not stored, as the first was
			continue
		}
		outcomes[i].Result.Question, outcomes[i].Err = outcomes[k].Result.Question, ErrRepeated
	}
	if burst && len(queued) > 0 {
		s.mergeAfterBurst(ctx)
	}
	if err := s.queue.PushMany(ctx, queued); err != nil {
		s.log.Warn("questions stored but not queued; the reconciler will add them", "questions", len(queued), "err", err)
	}
	s.similarAfter(ctx, later)
	return outcomes
}

// repeatKey is what makes a question the same as another: the chat, the farmer and the
// words, however spaced (as store.AskFacts compares them with earlier questions).
type repeatKey struct {
	chat, farmer int64
	words        string
}

var spaces = regexp.MustCompile(`\s+`)

// checkAsks gives each question the outcome the archive as read (facts) decides, and
// returns those still to be stored, in order, and those that repeat an earlier one of the
// batch (by position: that one's).
func (s *Service) checkAsks(ins []AskInput, texts []string, facts store.AskFacts, outcomes []AskOutcome) (live []int, repeatOf map[int]int) {
	repeatOf = map[int]int{}
	firstAs := map[repeatKey]int{}
	inBatch := map[int64]bool{} // update ids taken in this batch
	for i, in := range ins {
		o := &outcomes[i]
		g, bound := facts.Groups[in.ChatID]
		county, known := s.byID[g.CountyID]
		switch {
		case !bound || !known:
			// A county that left the file unbinds its groups until it comes back.
			o.Err = ErrGroupNotBound
			continue
		case texts[i] == "" && len(in.Media) == 0:
			o.Result, o.Err = AskResult{County: county}, ErrEmptyQuestion
			continue
		case UTF16Len(texts[i]) > MaxQuestion:
			o.Result, o.Err = AskResult{County: county}, ErrTooLong
			continue
		case facts.Seen[in.UpdateID] || inBatch[in.UpdateID]:
			// A redelivered update is recognised before anything else, so it says nothing twice.
			o.Err = store.ErrDuplicate
			continue
		}
		inBatch[in.UpdateID] = true
		cat := s.categorize(county, texts[i])
		o.Result = AskResult{County: county, Category: cat, Media: in.Media, GroupLanguage: facts.Languages[in.ChatID]}
		if earlier, ok := facts.Repeats[i]; ok {
			o.Result.Question, o.Err = earlier, ErrRepeated
			continue
		}
		if s.limits.Repeat > 0 && texts[i] != "" {
			key := repeatKey{in.ChatID, in.Farmer.ID, spaces.ReplaceAllString(texts[i], " ")}
			if k, ok := firstAs[key]; ok {
				repeatOf[i] = k
				continue
			}
			firstAs[key] = i
		}
		live = append(live, i)
	}
	return live, repeatOf
}

// pendingAsks makes the questions at live ready to store: routed to their on-duty
// experts (pushed or bundled, in one round trip to Redis), indexed, and, for a question
// asked on its own (single), with its earlier answers.
func (s *Service) pendingAsks(ctx context.Context, ins []AskInput, texts []string, indexed []textIndex, live []int, facts store.AskFacts,
	outcomes []AskOutcome, out Out[AskResult], single bool) []*pendingAsk {
	// The questions of one county and category go to the same experts: one list each,
	// shared (splitPushesMany passes it on uncopied where it can).
	onDuty := make([][]store.Expert, len(live))
	lists := map[[2]string][]store.Expert{}
	for j, i := range live {
		r := &outcomes[i].Result
		key := [2]string{r.County.ID, r.Category.ID}
		list, ok := lists[key]
		if !ok {
			for _, e := range facts.OnDuty[r.County.ID] {
				if slices.Contains(e.Categories, r.Category.ID) {
					list = append(list, e)
				}
			}
			list = slices.Clip(list) // an append to it elsewhere copies
			lists[key] = list
		}
		onDuty[j] = list
	}
	// The place in the queue is read while the push allowances are taken: two round
	// trips to Redis at the same time, for the whole batch.
	places := make(chan []int, 1)
	go func() { places <- s.queuePlaces(ctx, live, outcomes) }()
	push, bundle := s.splitPushesMany(ctx, onDuty)
	ahead := <-places
	next := s.nextOpenings(ctx, live, outcomes, onDuty)
	if indexed == nil {
		// Indexing panicked on its goroutine: again here, where the caller recovers.
		indexed = make([]textIndex, len(texts))
		for _, i := range live {
			indexed[i].vector, indexed[i].crop, indexed[i].terms = s.index(texts[i])
		}
	}
	pending := make([]*pendingAsk, len(live))
	for j, i := range live {
		in, r := ins[i], outcomes[i].Result
		r.Experts, r.Bundled = push[j], bundle[j]
		r.Ahead, r.NextOpen = ahead[j], next[j]
		var looked []int64 // nil: left for later (or the lookup failed)
		if single {
			var ok bool
			if r.Similar, ok = s.lookSimilar(ctx, r.County.ID, r.Category.ID, texts[i], 0); ok {
				looked = similarIDs(r.Similar)
			}
		}
		vector, crop, terms := indexed[i].vector, indexed[i].crop, indexed[i].terms
		pending[j] = &pendingAsk{ctx: ctx, res: r, out: out, media: in.Media, q: store.NewQuestion{UpdateID: in.UpdateID, Question: store.Question{
			CountyID: r.County.ID, Township: facts.Groups[in.ChatID].Township, ChatID: in.ChatID, MessageID: in.MessageID,
			FarmerID: in.Farmer.ID, FarmerName: in.Farmer.Name, CategoryID: r.Category.ID, Text: texts[i], AskedAt: s.now(),
			ThreadID: in.ThreadID, MediaGroupID: in.MediaGroupID, Search: vector, Crop: crop, Terms: terms, SimilarIDs: looked,
		}}}
	}
	return pending
}

// textIndex is what the search index and the archive's statistics keep of a text.
type textIndex struct {
	vector, crop string
	terms        []string
}

// indexAll indexes each text; it returns nil if that panics.
func (s *Service) indexAll(texts []string) (out []textIndex) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	out = make([]textIndex, len(texts))
	for i, t := range texts {
		out[i].vector, out[i].crop, out[i].terms = s.index(t)
	}
	return out
}

// giveBackAsk returns a question's use of the flood limit when it was not stored: it will
// be tried again, and a farmer whose question the archive refused a few times (until it
// was set aside and handed back) must not be told they asked too often.
func (s *Service) giveBackAsk(ctx context.Context, farmer int64, err error) {
	if s.quota == nil || s.limits.Questions <= 0 || errors.Is(err, store.ErrDuplicate) {
		return
	}
	if gerr := s.quota.GiveBack(ctx, "ask", farmer); gerr != nil {
		s.log.Warn("flood limit use not given back", "err", gerr)
	}
}

// floodLimit takes a question from each farmer's allowance, in one round trip for the
// batch, and returns the questions allowed; the others get ErrTooManyQuestions.
func (s *Service) floodLimit(ctx context.Context, ins []AskInput, live []int, outcomes []AskOutcome) []int {
	if s.quota == nil || s.limits.Questions <= 0 || len(live) == 0 {
		return live
	}
	farmers := make([]int64, len(live))
	for j, i := range live {
		farmers[j] = ins[i].Farmer.ID
	}
	waits, err := s.quota.TakeEach(ctx, "ask", farmers, s.limits.Questions, s.limits.Window)
	if err != nil {
		// Without Redis there is no count; a flood limit is not worth losing a question.
		s.log.Warn("flood limit unavailable", "err", err)
		return live
	}
	allowed := live[:0:0]
	for j, i := range live {
		if waits[j] > 0 {
			outcomes[i].Result.RetryIn, outcomes[i].Err = waits[j], ErrTooManyQuestions
			continue
		}
		allowed = append(allowed, i)
	}
	return allowed
}

// pendingAsk is a question on its way to Postgres.
type pendingAsk struct {
	ctx   context.Context
	q     store.NewQuestion
	media []store.Media
	out   Out[AskResult]
	res   AskResult
	err   error
}

// storeAsks archives questions asked at the same moment (a batch of updates from many
// groups) in one transaction of two round trips, like storeClaims: the questions with
// their search rows and events (and what their groups' bursts need to know), then what
// they caused (shared acknowledgements included, burst.go). A redelivered update gets
// store.ErrDuplicate; if the transaction fails, each question is tried on its own.
// burst says they are a batch of a burst (store.CreateQuestions).
func (s *Service) storeAsks(batch []*pendingAsk, burst bool) error {
	ctx := store.WithoutUpdate(context.WithoutCancel(batch[0].ctx))
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		qs := make([]store.NewQuestion, len(batch))
		for i, p := range batch {
			qs[i], p.err = p.q, nil
		}
		created, bursts, err := tx.CreateQuestionsInBursts(ctx, qs, burst, s.bursts, s.now())
		if err != nil {
			return err
		}
		var bundled [][]store.Expert
		var msgs []store.Message
		media := map[int64][]store.Media{}
		stored := make([]*pendingAsk, 0, len(batch))
		for _, p := range batch {
			q, ok := created[p.q.UpdateID]
			// The same update twice in one batch is stored once, for the first.
			delete(created, p.q.UpdateID)
			if !ok {
				p.err = store.ErrDuplicate
				continue
			}
			p.res.Question = q
			if len(p.media) > 0 {
				media[q.ID] = p.media
			}
			bundled = append(bundled, p.res.Bundled)
			stored = append(stored, p)
		}
		shareAcks(bursts, stored)
		for _, p := range stored {
			msgs = appendMessages(msgs, p.out.render(p.res))
		}
		return tx.RecordAsks(ctx, media, bundled, s.now(), msgs, bursts)
	})
}
