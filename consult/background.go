package consult

import (
	"context"
	"errors"
	"sync"

	"github.com/agriclinic/agriclinic/store"
)

// background is the work a call leaves behind it: the later lookups of earlier answers
// (similar_later.go) and the merge of the search index after a burst (index_merge.go).
// Under Run it runs on Run's context, and Run returns only once it has stopped. A
// Service used without Run (tests, the benchmarks) has no lifecycle to join: there the
// work runs to its end on its own, and Settle waits for it as it does under Run.
type background struct {
	mu  sync.Mutex
	ctx context.Context // Run's, while Run runs
	// work is what was started on ctx; nothing is added to it once Run stops.
	work sync.WaitGroup
}

// Run runs the service's background work until ctx ends and returns once that work has
// stopped: a lookup or a merge under way ends with ctx, and the lookups still waiting
// are dropped (their acknowledgements go without earlier answers, as after a restart).
// Call Settle before ending ctx to let them finish.
func (s *Service) Run(ctx context.Context) error {
	b := &s.bg
	b.mu.Lock()
	if b.ctx != nil {
		b.mu.Unlock()
		return errors.New("consult: Run is already running")
	}
	b.ctx = ctx
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	b.ctx = nil
	b.mu.Unlock()
	b.work.Wait()
	return nil
}

// goBackground runs fn in the background, on Run's context while Run runs; without Run,
// on the caller's context, past its end (the work outlives the call that left it) and
// without its update (store.WithoutUpdate: the work is no step of the update).
func (s *Service) goBackground(caller context.Context, fn func(context.Context)) {
	b := &s.bg
	b.mu.Lock()
	ctx := b.ctx
	if ctx != nil {
		b.work.Add(1)
	}
	b.mu.Unlock()
	if ctx == nil {
		// Without Run nothing joins it: it ends when its work is done.
		go fn(store.WithoutUpdate(context.WithoutCancel(caller)))
		return
	}
	go func() {
		defer b.work.Done()
		fn(ctx)
	}()
}
