package consult

import (
	"context"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// splitPushes decides, for each on-duty expert, whether a new question is pushed to them
// now or gathered into their bundle: an expert pushed Pushes questions within PushWindow
// gets the rest as one message when the window ends.
func (s *Service) splitPushes(ctx context.Context, experts []store.Expert) (push, bundle []store.Expert) {
	p, d := s.splitPushesMany(ctx, [][]store.Expert{experts})
	return p[0], d[0]
}

// splitPushesMany is splitPushes for several questions, in one round trip to Redis; the
// questions take from the experts' allowances in order. A question's push or bundle may
// be the very slice it was given (not a copy): neither is to be changed.
func (s *Service) splitPushesMany(ctx context.Context, experts [][]store.Expert) (push, bundle [][]store.Expert) {
	push, bundle = make([][]store.Expert, len(experts)), make([][]store.Expert, len(experts))
	var ids []int64
	for _, es := range experts {
		for _, e := range es {
			ids = append(ids, e.UserID)
		}
	}
	if s.quota == nil || s.limits.Pushes <= 0 || len(ids) == 0 {
		return experts, bundle
	}
	waits, err := s.quota.TakeEach(ctx, "push", ids, s.limits.Pushes, s.limits.PushWindow)
	if err != nil {
		// Without Redis, no count: a push too many beats a question nobody hears of.
		s.log.Warn("push count unavailable", "err", err)
		return experts, bundle
	}
	k := 0
	for q, es := range experts {
		w := waits[k : k+len(es)]
		k += len(es)
		over := 0
		for _, d := range w {
			if d > 0 {
				over++
			}
		}
		// In a burst every expert is soon past their allowance, and each question of a
		// batch of a hundred is gathered for the same twenty: their list is passed on as
		// it came, not copied.
		switch over {
		case 0:
			push[q] = es
			continue
		case len(es):
			bundle[q] = es
			continue
		}
		push[q], bundle[q] = make([]store.Expert, 0, len(es)-over), make([]store.Expert, 0, over)
		for i, e := range es {
			if w[i] > 0 {
				bundle[q] = append(bundle[q], e)
			} else {
				push[q] = append(push[q], e)
			}
		}
	}
	return push, bundle
}

// bundle counts one more question in each expert's pending bundle.
func (s *Service) bundle(ctx context.Context, tx *store.Tx, experts []store.Expert) error {
	return tx.AddToBundles(ctx, experts, s.now())
}

// FlushBundles sends every bundle begun more than after ago (the push window): one
// message per expert with how many questions arrived. It returns how many it sent.
func (s *Service) FlushBundles(ctx context.Context, after time.Duration, out Out[store.Bundle]) (int, error) {
	sent := 0
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		due, err := tx.TakeBundles(ctx, s.now().Add(-after))
		if err != nil {
			return err
		}
		var msgs []store.Message
		for _, d := range due {
			msgs = append(msgs, out.render(d)...)
		}
		sent = len(due)
		return tx.Enqueue(ctx, msgs...)
	})
	return sent, err
}
