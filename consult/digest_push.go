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
	for _, e := range experts {
		wait, err := s.quota.Take(ctx, "push", e.UserID, s.limits.Pushes, s.limits.PushWindow)
		if err != nil {
			// Without Redis, no count: a push too many beats a question nobody hears of.
			s.log.Warn("push count unavailable", "err", err)
		}
		if wait > 0 {
			digest = append(digest, e)
		} else {
			push = append(push, e)
		}
	}
	return push, digest
}

// digest counts one more question in each expert's pending digest.
func (s *Service) digest(ctx context.Context, tx *store.Tx, experts []store.Expert) error {
	for _, e := range experts {
		if err := tx.AddToDigest(ctx, e.UserID, e.Language, s.now()); err != nil {
			return err
		}
	}
	return nil
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
