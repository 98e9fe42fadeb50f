package consult

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

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
	s.claimReads.doLanes(claimLanes, read, s.readClaims)
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
	s.presses.doLanes(claimLanes, press, s.arbitrate)
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
	s.claims.doLanes(claimLanes, p, alone(s.storeClaims, func(p *pendingClaim, err error) { p.err = err }))
	if p.dequeue != nil {
		p.dequeue.do()
	}
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
	// dequeue takes the claims stored with this one out of their queues, once.
	dequeue *claimedBatch
}

// claimedBatch is the Redis step of claims stored together: their questions leave their
// queues and their marks get the winners' names, in one round trip. It runs after the
// transaction's lane is handed on, so that the next transaction does not wait for it;
// every claim of the batch waits for it (sync.Once) before it returns.
type claimedBatch struct {
	once    sync.Once
	ctx     context.Context
	queue   *store.Queue
	log     *slog.Logger
	entries []store.ClaimedEntry
}

func (b *claimedBatch) do() {
	b.once.Do(func() {
		if err := b.queue.ClaimedMany(b.ctx, b.entries); err != nil {
			b.log.Warn("questions claimed but still queued; the queue rebuild will drop them", "questions", len(b.entries), "err", err)
		}
	})
}

// storeClaims stores claims that won their races at the same moment, in one transaction
// of a few statements whatever their number: under a burst of claims each commit carries
// all that arrived while the one before it ran. A claim Postgres refuses (the question
// changed meanwhile) gets store.ErrConflict; if the transaction fails, each claim is tried
// on its own so that one cannot fail the others. Once stored, the claimed questions leave
// their queues in one Redis round trip (claimedBatch, run by the claims themselves).
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
	if len(dequeue) > 0 {
		b := &claimedBatch{ctx: ctx, queue: s.queue, log: s.log, entries: dequeue}
		for _, p := range batch {
			p.dequeue = b
		}
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

// claimLanes is how many batches of each step of a claim (the reads, the races in Redis,
// the transactions) run at once. Under a burst of presses one batch at a time left the
// CPUs idle while it waited on its round trip or its commit, and the presses arriving
// meanwhile waited for it. Two batches of reads or races never conflict; two
// transactions claim different questions (Redis gave each question one winner), and
// where Redis is down and Postgres decides, the second waits on the first's row lock and
// then finds the question no longer open.
const claimLanes = 2

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
