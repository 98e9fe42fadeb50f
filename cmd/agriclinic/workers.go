package main

import (
	"context"
	"log/slog"
	"slices"
	"sync"
)

// workers are serve's long-running parts besides the update loop: the leader jobs, the
// scheduler and the service's background work. Each runs until its context ends; one
// that fails is logged and the others carry on, as a job that fails is retried the next
// round rather than taking the bot down. (errgroup cancels all on the first error, which
// is not wanted here, and would still need the names for the log.)
type workers struct {
	log     *slog.Logger
	wg      sync.WaitGroup
	mu      sync.Mutex
	running map[string]int
}

// start runs run(ctx) as the worker name.
func (w *workers) start(ctx context.Context, name string, run func(context.Context) error) {
	w.mu.Lock()
	if w.running == nil {
		w.running = map[string]int{}
	}
	w.running[name]++
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		err := run(ctx)
		w.mu.Lock()
		if w.running[name]--; w.running[name] == 0 {
			delete(w.running, name)
		}
		w.mu.Unlock()
		if err != nil {
			w.log.Error("worker stopped", "worker", name, "err", err)
		}
	}()
}

// wait returns once every worker has returned, or when ctx ends, naming those still
// running.
func (w *workers) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		w.mu.Lock()
		var names []string
		for name := range w.running {
			names = append(names, name)
		}
		w.mu.Unlock()
		slices.Sort(names)
		w.log.Warn("stopping without waiting longer for workers", "workers", names)
	}
}
