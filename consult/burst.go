package consult

import (
	"context"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// Quiet bursts. Telegram lets a bot send about 20 messages a minute into one group, and
// edits count against that as sends do (Telegram's developers, answering on the tdlib
// tracker: "they share the limit", "about 20 times per minute in a specific chat"). When
// forty farmers ask at a clinic session, forty acknowledgements would take two minutes to
// go out. So once a group gets questions close together (DefaultBursts), they share one
// acknowledgement that lists the numbers and farmers' names and is edited as more come:
// the group's outbox holds at most one waiting version of it, whose text the sender puts
// together when it takes it (store.RecordAsks, bot/ack.go), so the sender's limiter
// spaces the edits like any message and each carries every question that arrived since
// the last. The list lives in Postgres (group_acks), written in the asking transaction:
// a restart in the middle of a burst loses nothing. Answers still reply to each farmer's
// own message.

// DefaultBursts: a question from a third farmer in a group within a minute opens a
// shared acknowledgement; questions join it while they keep coming within a minute of
// each other, thirty to a message. The first two are acknowledged as in a quiet group: at
// Telegram's pace of one message every three seconds in a group, the shared one goes out
// about six seconds into a burst, leaving room under the ten seconds a farmer should wait
// to see the number even when an answer is ahead of it (docs/benchmarks.md, quiet
// bursts); one farmer's several questions never make a burst.
var DefaultBursts = store.BurstRule{Window: time.Minute, After: 2, Max: 30}

// shareAcks decides which of the questions just stored (in this transaction) join their
// group's shared acknowledgement (store.Bursts.Join); RecordAsks writes it. Those get no
// acknowledgement of their own.
func shareAcks(bursts *store.Bursts, stored []*pendingAsk) {
	if bursts == nil || len(stored) == 0 {
		return
	}
	joins := make([]store.AckJoin, len(stored))
	for i, p := range stored {
		joins[i] = store.AckJoin{Question: p.res.Question, Ahead: p.res.Ahead,
			OnDuty: len(p.res.Experts) + len(p.res.Bundled), NextOpen: p.res.NextOpen, Language: p.res.GroupLanguage}
	}
	acks := bursts.Join(joins)
	for _, p := range stored {
		p.res.Shared = acks[p.res.Question.ID]
	}
}

// queuePlaces says, for each question at live, how many questions wait before it in its
// queue: those in the queue now (one pipelined read for the batch; the question has no
// number to enqueue yet, so the count cannot ride on the enqueue, which comes after the
// transaction that writes the acknowledgement) and those of the batch before it. Without
// Redis it says 0: the count is not worth a question.
func (s *Service) queuePlaces(ctx context.Context, live []int, outcomes []AskOutcome) []int {
	out := make([]int, len(live))
	if s.queue == nil || len(live) == 0 {
		return out
	}
	index := map[store.QueueKey]int{}
	var keys []store.QueueKey
	for _, i := range live {
		r := outcomes[i].Result
		k := store.QueueKey{County: r.County.ID, Category: r.Category.ID}
		if _, ok := index[k]; !ok {
			index[k] = len(keys)
			keys = append(keys, k)
		}
	}
	depths, err := s.queue.Depths(ctx, keys)
	if err != nil {
		s.log.Warn("queue depth unavailable", "err", err)
		return out
	}
	seen := make([]int, len(keys))
	for j, i := range live {
		r := outcomes[i].Result
		k := index[store.QueueKey{County: r.County.ID, Category: r.Category.ID}]
		out[j] = int(depths[k]) + seen[k]
		seen[k]++
	}
	return out
}

// nextOpenings says, for each question at live whose category has nobody on duty, when
// the next clinic session of its category (or of every category) opens; a read of
// Postgres only when some question needs it.
func (s *Service) nextOpenings(ctx context.Context, live []int, outcomes []AskOutcome, onDuty [][]store.Expert) []time.Time {
	out := make([]time.Time, len(live))
	var counties []string
	seen := map[string]bool{}
	for j, i := range live {
		if len(onDuty[j]) == 0 {
			if c := outcomes[i].Result.County.ID; !seen[c] {
				seen[c] = true
				counties = append(counties, c)
			}
		}
	}
	if len(counties) == 0 {
		return out
	}
	next, err := s.db.NextClinics(ctx, counties, s.now())
	if err != nil {
		s.log.Warn("next clinic sessions unavailable", "err", err)
		return out
	}
	for j, i := range live {
		if len(onDuty[j]) > 0 {
			continue
		}
		r := outcomes[i].Result
		out[j] = nextOf(next, r.County.ID, r.Category.ID)
	}
	return out
}

// placeOf is the place in the queue of one question asked on its own (an album): how many
// wait before it, and, with nobody on duty, when the next clinic session of its category
// opens. One Redis read; the clinic sessions only when nobody is on duty.
func (s *Service) placeOf(ctx context.Context, county, category string, onDuty int) (int, time.Time) {
	ahead := 0
	if s.queue != nil {
		if d, err := s.queue.Depths(ctx, []store.QueueKey{{County: county, Category: category}}); err == nil {
			ahead = int(d[0])
		} else {
			s.log.Warn("queue depth unavailable", "err", err)
		}
	}
	if onDuty > 0 {
		return ahead, time.Time{}
	}
	next, err := s.db.NextClinics(ctx, []string{county}, s.now())
	if err != nil {
		s.log.Warn("next clinic sessions unavailable", "err", err)
		return ahead, time.Time{}
	}
	return ahead, nextOf(next, county, category)
}

// nextOf is the earliest of a category's next clinic session and the next one of every
// category (store.NextClinics), zero when neither is planned.
func nextOf(next map[string]time.Time, county, category string) time.Time {
	at, anyAt := next[county+"/"+category], next[county+"/*"]
	if at.IsZero() || (!anyAt.IsZero() && anyAt.Before(at)) {
		return anyAt
	}
	return at
}
