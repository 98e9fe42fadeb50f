package consult

import (
	"context"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// splitPushes decides, for each on-duty expert, whether a new question is pushed to them
// now or gathered into their digest: an expert pushed Pushes questions within PushWindow
// gets the rest as one message when the window ends.
func (s *Service) splitPushes(ctx context.Context, experts []store.Expert) (push, digest []store.Expert) {
	if s.quota == nil || s.limits.Pushes <= 0 {
		return experts, nil
	}
	ids := make([]int64, len(experts))
	for i, e := range experts {
		ids[i] = e.UserID
	}
	waits, err := s.quota.TakeEach(ctx, "push", ids, s.limits.Pushes, s.limits.PushWindow)
	if err != nil {
		// Without Redis, no count: a push too many beats a question nobody hears of.
		s.log.Warn("push count unavailable", "err", err)
		return experts, nil
	}
	for i, e := range experts {
		if waits[i] > 0 {
			digest = append(digest, e)
		} else {
			push = append(push, e)
		}
	}
	return push, digest
}

// digest counts one more question in each expert's pending digest.
func (s *Service) digest(ctx context.Context, tx *store.Tx, experts []store.Expert) error {
	return tx.AddToDigests(ctx, experts, s.now())
}

// FlushDigests sends every digest begun more than after ago (the push window): one
// message per expert with how many questions arrived. It returns how many it sent.
func (s *Service) FlushDigests(ctx context.Context, after time.Duration, out Out[store.Digest]) (int, error) {
	sent := 0
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		due, err := tx.TakeDigests(ctx, s.now().Add(-after))
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
