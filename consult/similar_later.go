package consult

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// Looking up earlier answers like a question costs a search of the archive: on a
// million-question archive, more than storing the question. A question asked on its own
// has them in its acknowledgement at once. When a batch arrives together (an outbreak
// morning), the questions are stored and confirmed first. Their earlier answers are
// looked up afterwards, one question at a time and only once no batch has been stored
// for a moment (similarQuiet), then written into the acknowledgement while it waits in
// the outbox, or edited into it once sent. Telegram lets the bot send about 30 messages a second, so one lookup at a
// time keeps ahead of the acknowledgements.
//
// The lookups live in memory: a restart loses those not done yet, and those
// acknowledgements go out without earlier answers. That is all that is lost; the
// questions are stored.

// similarBacklog bounds the lookups waiting; past it, new ones are skipped.
const similarBacklog = 10_000

// similarQuiet is how long after the last batch was stored the lookups begin. In a
// burst the next batch follows within milliseconds (getUpdates returns at once), and a
// lookup started in that gap ran beside it, competing with the batches for the CPU and
// the WAL (docs/benchmarks.md, the ingest's changes).
const similarQuiet = 50 * time.Millisecond

// similarJob is a lookup waiting: only the question's number and what its
// acknowledgement says besides, so that a backlog of thousands stays small. The question
// is read again when its turn comes.
type similarJob struct {
	question int64
	told     int    // how many experts it went to
	language string // the group's
	out      Out[AskResult]
	// ahead and nextOpen are its place in the queue, which the acknowledgement keeps.
	ahead    int
	nextOpen time.Time
}

func newSimilarJob(res AskResult, out Out[AskResult]) similarJob {
	return similarJob{question: res.Question.ID, told: len(res.Experts) + len(res.Bundled), language: res.GroupLanguage, out: out,
		ahead: res.Ahead, nextOpen: res.NextOpen}
}

// similarLater holds the lookups waiting and whether a worker runs them.
type similarLater struct {
	mu      sync.Mutex
	jobs    []similarJob
	running bool
	idle    sync.WaitGroup
	// asking counts the batches being stored; lookups wait while there are any (quiet is
	// signalled when the count falls to zero) and for similarQuiet after the last one
	// (storedAt), so that a burst's questions are stored first and decorated after it.
	asking   int
	quiet    *sync.Cond
	storedAt time.Time
	// stored counts the batches stored, so that a wait can tell whether one came meanwhile
	// even on a clock that stands still (a test's).
	stored uint64
	now    func() time.Time // the service's clock
}

// storing marks a batch being stored until the returned func is called.
func (l *similarLater) storing() func() {
	l.mu.Lock()
	l.asking++
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.stored++
		if l.asking--; l.asking == 0 {
			l.storedAt = l.now()
			l.wake()
		}
	}
}

// wake tells the waits in untilQuiet to look again; l.mu is held.
func (l *similarLater) wake() {
	if l.quiet != nil {
		l.quiet.Broadcast()
	}
}

// untilQuiet returns once no batch is being stored and none has been for similarQuiet,
// or with ctx's error once ctx ends. It is called with l.mu held and returns with it
// held, so the caller acts on the quiet it waited for.
func (l *similarLater) untilQuiet(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.wake()
	})
	defer stop()
	for {
		for l.asking > 0 && ctx.Err() == nil {
			if l.quiet == nil {
				l.quiet = sync.NewCond(&l.mu)
			}
			l.quiet.Wait()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// At most similarQuiet, whatever the clock did meanwhile.
		wait := min(similarQuiet, similarQuiet-l.now().Sub(l.storedAt))
		if wait <= 0 {
			return nil
		}
		stored := l.stored
		l.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		l.mu.Lock()
		if l.asking == 0 && l.stored == stored && ctx.Err() == nil {
			return nil // no batch came meanwhile
		}
	}
}

// similarAfter queues lookups and starts a worker if none runs.
func (s *Service) similarAfter(ctx context.Context, jobs []similarJob) {
	l := &s.later
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := similarBacklog - len(l.jobs); len(jobs) > room {
		s.log.Warn("too many earlier-answer lookups waiting; skipping some", "skipped", len(jobs)-max(room, 0))
		jobs = jobs[:max(room, 0)]
	}
	l.jobs = append(l.jobs, jobs...)
	if l.running || len(l.jobs) == 0 {
		return
	}
	l.running = true
	l.idle.Add(1)
	s.goBackground(ctx, s.runSimilar)
}

// runSimilar does the waiting lookups, oldest first, and stops when none is left or ctx
// ends.
func (s *Service) runSimilar(ctx context.Context) {
	l := &s.later
	defer l.idle.Done()
	for {
		l.mu.Lock()
		err := l.untilQuiet(ctx)
		if err != nil || len(l.jobs) == 0 {
			if err != nil && len(l.jobs) > 0 {
				s.log.Warn("earlier-answer lookups dropped on stopping; those acknowledgements go without", "skipped", len(l.jobs))
			}
			l.jobs, l.running = nil, false
			l.mu.Unlock()
			return
		}
		j := l.jobs[0]
		l.jobs = l.jobs[1:]
		l.mu.Unlock()
		if err := s.attachSimilar(ctx, j); err != nil && ctx.Err() == nil {
			s.log.Warn("earlier answers not attached", "question", j.question, "err", err)
		}
	}
}

// Settle waits until the earlier answers of the questions asked so far are attached and
// the search index has merged their entries. Tests use it; so does shutdown, briefly.
func (s *Service) Settle() {
	s.later.idle.Wait()
	s.merge.idle.Wait()
}

// attachSimilar looks up one question's earlier answers and puts them in its
// acknowledgement: into the message if it is still waiting, else as an edit of it.
func (s *Service) attachSimilar(ctx context.Context, j similarJob) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := s.Question(ctx, j.question)
	if err != nil {
		return err
	}
	q := v.Question
	res := AskResult{Question: q, County: v.County, Category: v.Category, GroupLanguage: j.language, Ahead: j.ahead, NextOpen: j.nextOpen}
	var ok bool
	if res.Similar, ok = s.lookSimilar(ctx, q.CountyID, q.CategoryID, q.Text, q.ID); !ok {
		return nil
	}
	if len(res.Similar) == 0 {
		// Recorded, so that the expert who claims it is not made to wait for the search.
		return s.db.SetSimilar(ctx, q.ID, nil)
	}
	// Rendered with as many (blank) experts as it went to: only the acknowledgement is
	// kept, and it says how many were told.
	res.Bundled = make([]store.Expert, j.told)
	var ack []store.Message
	for _, m := range j.out.render(res) {
		if m.ChatID == q.ChatID && m.Method != store.MethodCall { // not its reaction
			ack = append(ack, m)
		}
	}
	if len(ack) != 1 || ack[0].Remember.Kind != store.MessageAck || q.Status == store.StatusAnswered || q.Status == store.StatusClosed {
		// A very long question's acknowledgement comes in parts; it stays as sent. So does
		// that of a question answered meanwhile: the farmer has the answer itself.
		return s.db.SetSimilar(ctx, q.ID, similarIDs(res.Similar))
	}
	a := ack[0]
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetSimilar(ctx, q.ID, similarIDs(res.Similar)); err != nil {
			return err
		}
		r, err := tx.Revise(ctx, q.ChatID, store.MessageAck, q.ID, a.Text, a.Markup, s.now())
		if err != nil || r.Revised || (r.InFlight == 0 && r.Sent == 0) {
			return err
		}
		edit := store.Message{ChatID: q.ChatID, Method: store.MethodEdit, Text: a.Text, Markup: a.Markup,
			EditMessageID: r.Sent, EditOutboxID: r.InFlight}
		return tx.Enqueue(ctx, edit)
	})
}
