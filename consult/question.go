package consult

import (
	"cmp"
	"context"
	"errors"
	"regexp"
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
// experts (pushed or digested, in one round trip to Redis), indexed, and, for a question
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
	push, digest := s.splitPushesMany(ctx, onDuty)
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
		r.Experts, r.Digested = push[j], digest[j]
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
// their search rows and events, then what they caused. A redelivered update
// gets store.ErrDuplicate; if the transaction fails, each question is tried on its own.
// burst says they are a batch of a burst (store.CreateQuestions).
func (s *Service) storeAsks(batch []*pendingAsk, burst bool) error {
	ctx := store.WithoutUpdate(context.WithoutCancel(batch[0].ctx))
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		qs := make([]store.NewQuestion, len(batch))
		for i, p := range batch {
			qs[i], p.err = p.q, nil
		}
		created, err := tx.CreateQuestions(ctx, qs, burst)
		if err != nil {
			return err
		}
		var digested [][]store.Expert
		var msgs []store.Message
		media := map[int64][]store.Media{}
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
			digested = append(digested, p.res.Digested)
			msgs = appendMessages(msgs, p.out.render(p.res))
		}
		return tx.RecordAsks(ctx, media, digested, s.now(), msgs)
	})
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
	// Who may claim is settled before the race: a press by anyone else (a farmer, an
	// expert of another category or county, a forged button) must never hold the
	// question's mark in Redis, not even for the moment it takes to learn it lost, or the
	// real experts pressing meanwhile would be told it is taken. Presses at the same moment
	// read their questions and pressers in one statement.
	read := &claimRead{ctx: ctx, key: [2]int64{questionID, userID}}
	s.claimReads.do(read, s.readClaims)
	q, expert, isExpert, err := read.Question, read.Expert, read.IsExpert, read.err
	if errors.Is(err, store.ErrNotFound) {
		return ClaimResult{}, ErrNoSuchQuestion
	}
	if err != nil {
		return ClaimResult{}, err
	}
	v, err := s.view(q)
	if err != nil {
		return ClaimResult{}, err
	}
	if !isExpert || !slices.Contains(expert.Categories, v.Category.ID) {
		return ClaimResult{QuestionView: v}, ErrNotExpert
	}
	if v.Question.Status != store.StatusOpen {
		return s.claimConflict(ctx, v, userID)
	}
	// Experts racing for an open question are told apart in Redis, so that only the winner
	// goes on to write Postgres; the others learn who won without a transaction. Without
	// Redis, Postgres settles the race alone.
	press := &pendingPress{ctx: ctx, Press: store.Press{QuestionID: questionID, ExpertID: userID}}
	s.presses.do(press, s.arbitrate)
	holder, name, err := press.Holder, press.HolderName, press.err
	if err != nil {
		s.log.Warn("claim arbitration unavailable; Postgres decides", "question", questionID, "err", err)
		holder = userID
	}
	if holder != userID {
		// The winner's name comes with the mark once the winner has given it (the notices
		// everyone sees name them in a moment anyway).
		v.Question.Status, v.Question.ExpertID = store.StatusClaimed, holder
		return ClaimResult{QuestionView: v, Holder: store.Expert{UserID: holder, Name: name}}, ErrTaken
	}
	forget := func() {
		if err := s.queue.Forget(ctx, questionID, userID); err != nil {
			s.log.Warn("claim mark left behind; it expires by itself", "question", questionID, "err", err)
		}
	}
	res := ClaimResult{QuestionView: v, Holder: expert, Similar: s.SimilarFor(ctx, v.Question)}
	p := &pendingClaim{ctx: ctx, won: res, out: out}
	s.claims.do(p, alone(s.storeClaims, func(p *pendingClaim, err error) { p.err = err }))
	res, err = p.res, p.err
	if err != nil {
		// The race was won but the claim is not stored: the question is free again.
		forget()
	}
	if errors.Is(err, store.ErrConflict) {
		v.Question = res.Question
		return s.claimConflict(ctx, v, userID)
	}
	if err != nil {
		return ClaimResult{}, err
	}
	return res, nil
}

// pendingPress is a press of Claim on its way to Redis, which settles the race.
type pendingPress struct {
	ctx context.Context
	store.Press
	err error
}

// arbitrate settles presses of Claim that arrived at the same moment in one Redis round
// trip (see store.Queue.ArbitrateMany).
func (s *Service) arbitrate(batch []*pendingPress) {
	presses := make([]store.Press, len(batch))
	for i, p := range batch {
		presses[i] = p.Press
	}
	// Settled for every caller in the batch: one leaving does not stop the others'.
	err := s.queue.ArbitrateMany(store.WithoutUpdate(context.WithoutCancel(batch[0].ctx)), presses, claimMark)
	for i, p := range batch {
		p.Press, p.err = presses[i], err
	}
}

// claimRead is a claim's first read: the question and whether the presser is its
// expert. Under a burst of presses the reads go to Postgres together.
type claimRead struct {
	ctx context.Context
	key [2]int64 // question, presser
	store.ExpertQuestion
	err error
}

// readClaims reads the questions and pressers of claims pressed at the same moment in one
// statement; a question that does not exist gets store.ErrNotFound.
func (s *Service) readClaims(batch []*claimRead) {
	ids, users := make([]int64, len(batch)), make([]int64, len(batch))
	for i, r := range batch {
		ids[i], users[i] = r.key[0], r.key[1]
	}
	// The batch is read for every caller in it: one leaving does not stop the others'.
	found, err := s.db.QuestionsForExperts(store.WithoutUpdate(context.WithoutCancel(batch[0].ctx)), ids, users)
	for _, r := range batch {
		var ok bool
		r.ExpertQuestion, ok = found[r.key]
		if err != nil {
			r.err = err
		} else if !ok {
			r.err = store.ErrNotFound
		}
	}
}

// pendingClaim is a claim that won the race in Redis, on its way to Postgres.
type pendingClaim struct {
	ctx context.Context
	won ClaimResult // as it stood when the race was won
	out Out[ClaimResult]
	res ClaimResult // as stored
	err error
}

// storeClaims stores claims that won their races at the same moment, in one transaction
// of a few statements whatever their number: under a burst of claims each commit carries
// all that arrived while the one before it ran. A claim Postgres refuses (the question
// changed meanwhile) gets store.ErrConflict; if the transaction fails, each claim is tried
// on its own so that one cannot fail the others. Once stored, the claimed questions leave
// their queues in one Redis round trip.
func (s *Service) storeClaims(batch []*pendingClaim) error {
	// The batch is stored for every caller in it: one leaving does not stop the others'.
	ctx := store.WithoutUpdate(context.WithoutCancel(batch[0].ctx))
	now := s.now()
	var dequeue []store.ClaimedEntry
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		dequeue = dequeue[:0]
		claims := make([]store.Claim, len(batch))
		for i, p := range batch {
			p.res, p.err = p.won, nil
			claims[i] = store.Claim{QuestionID: p.won.Question.ID, ExpertID: p.won.Holder.UserID}
		}
		claimed, err := tx.ClaimQuestions(ctx, claims, now)
		if err != nil {
			return err
		}
		var won []*pendingClaim
		var ids, lost []int64
		var events []store.Event
		for _, p := range batch {
			q, ok := claimed[p.won.Question.ID]
			if ok && q.ExpertID == p.won.Holder.UserID {
				// A double press in one batch is stored once, for the first.
				delete(claimed, q.ID)
			} else {
				ok = false
			}
			if !ok {
				p.err = store.ErrConflict
				lost = append(lost, p.won.Question.ID)
				continue
			}
			p.res.Question = q
			won = append(won, p)
			ids = append(ids, q.ID)
			dequeue = append(dequeue, store.ClaimedEntry{County: p.won.County.ID, Category: p.won.Category.ID,
				QuestionID: q.ID, ExpertID: q.ExpertID, Name: p.won.Holder.Name})
			events = append(events, store.Event{QuestionID: q.ID, Kind: "claimed", ActorID: q.ExpertID, At: now})
		}
		if len(lost) > 0 {
			current, err := tx.Questions(ctx, lost)
			if err != nil {
				return err
			}
			for _, p := range batch {
				for _, q := range current {
					if p.err != nil && q.ID == p.won.Question.ID {
						p.res.Question = q
					}
				}
			}
		}
		if len(won) == 0 {
			return nil
		}
		// Notices not yet delivered are settled with the events: that locks the ones in
		// flight, so each is either recorded below or edited once it is.
		w, err := tx.RecordWins(ctx, events, ids, now)
		if err != nil {
			return err
		}
		var msgs []store.Message
		for _, p := range won {
			id := p.res.Question.ID
			p.res.Media, p.res.Followups = w.Media[id], w.Followups[id]
			p.res.Notices, p.res.InFlight = w.Notices[id].Sent, w.Notices[id].InFlight
			msgs = appendMessages(msgs, p.out.render(p.res))
		}
		return tx.Enqueue(ctx, msgs...)
	})
	if err != nil {
		return err
	}
	if err := s.queue.ClaimedMany(ctx, dequeue); err != nil {
		s.log.Warn("questions claimed but still queued; the queue rebuild will drop them", "questions", len(dequeue), "err", err)
	}
	return nil
}

// appendMessages adds one rendering's messages to those of others going into the same
// Enqueue call, keeping each After pointing at the message it named.
func appendMessages(msgs, more []store.Message) []store.Message {
	base := len(msgs)
	for _, m := range more {
		if m.After > 0 {
			m.After += base
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// claimMark is how long the winner of a claim race has to store the claim before the
// question may be raced for again; once stored, Postgres says who holds it.
const claimMark = 30 * time.Second

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
		if err := tx.AppendSearch(ctx, q.ID, SearchVector(a.Text, 'B'), true); err != nil {
			return err
		}
		res.Question, res.Answer, res.Holder = q, a, expert
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
		// U+FFFD is what a NUL or invalid UTF-8 became at the edge (bot/update.go): it says
		// nothing a farmer wrote.
		case unicode.IsSpace(r), r == '\u200b', r == '\u200c', r == '\u200d', r == '\u2060', r == '\ufeff', r == '\ufffd':
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
