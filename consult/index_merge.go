package consult

import (
	"context"
	"sync"
	"time"
)

// A batch of questions lets the search index's pending list grow to a megabyte before it
// is merged into the index (see store/migrations/0019_pending_list_per_session.sql), so
// that a burst is stored without merging the list at every batch. Searches read the whole
// list, so once the burst is over (as the earlier-answer lookups wait for it) what is
// left is merged here, on a connection of its own.

// burstMerge says whether a merge waits for the current burst to end.
type burstMerge struct {
	mu      sync.Mutex
	waiting bool
	idle    sync.WaitGroup
}

// mergeAfterBurst merges the search index's pending list once no batch has been stored
// for a moment, unless a merge already waits for that.
func (s *Service) mergeAfterBurst(ctx context.Context) {
	m := &s.merge
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.waiting {
		return
	}
	m.waiting = true
	m.idle.Add(1)
	s.goBackground(ctx, func(ctx context.Context) {
		defer m.idle.Done()
		s.later.mu.Lock()
		err := s.later.untilQuiet(ctx)
		s.later.mu.Unlock()
		// A batch stored from here on starts the next wait.
		m.mu.Lock()
		m.waiting = false
		m.mu.Unlock()
		if err != nil {
			return // stopping: the next insert over the list's limit merges it
		}
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := s.db.MergeSearchIndex(ctx); err != nil {
			// The next insert over the list's limit merges it; searches are slower meanwhile.
			s.log.Warn("search index pending list not merged", "err", err)
		}
	})
}
