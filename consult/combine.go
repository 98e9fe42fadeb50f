package consult

import "sync"

// combiner does work that arrives at once from many callers together (a "group commit"):
// the first caller does its own item and then hands the lead to the next caller waiting,
// who does every item that queued up meanwhile, and so on. Nobody waits for a timer: a
// lone caller's batch is just itself, and under load each transaction carries everything
// that arrived while the previous one ran, so the cost per item falls as load rises.
type combiner[T any] struct {
	limit   int // most items in a batch; 0 means defaultBatch
	mu      sync.Mutex
	busy    bool
	waiting []*combined[T]
}

// defaultBatch bounds a transaction to what a few statements handle in milliseconds.
const defaultBatch = 128

type combined[T any] struct {
	item T
	done chan struct{} // closed once run has had the item
	lead chan struct{} // the caller is to run the next batch
}

// do runs item, in a batch with whatever else is waiting, and returns once run has had it.
// run is called by one caller at a time.
func (c *combiner[T]) do(item T, run func([]T)) {
	me := &combined[T]{item: item, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	c.mu.Lock()
	c.waiting = append(c.waiting, me)
	if c.busy {
		c.mu.Unlock()
		select {
		case <-me.done:
			return
		case <-me.lead:
		}
		c.mu.Lock()
	}
	// Leading: me is the oldest waiting, so it is in the batch.
	c.busy = true
	limit := c.limit
	if limit <= 0 {
		limit = defaultBatch
	}
	n := min(len(c.waiting), limit)
	batch := make([]*combined[T], n)
	copy(batch, c.waiting)
	c.waiting = append(c.waiting[:0:0], c.waiting[n:]...)
	c.mu.Unlock()

	defer func() {
		for _, b := range batch {
			close(b.done)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.waiting) > 0 {
			c.waiting[0].lead <- struct{}{}
			return
		}
		c.busy = false
	}()
	items := make([]T, n)
	for i, b := range batch {
		items[i] = b.item
	}
	run(items)
}

// alone makes a combiner's run from store, which stores a batch in one transaction: when
// the transaction fails, each item is stored again on its own, so that one bad item
// cannot fail the others, and an item that fails alone gets its error (fail).
func alone[T any](store func([]T) error, fail func(T, error)) func([]T) {
	var run func([]T)
	run = func(batch []T) {
		err := store(batch)
		switch {
		case err == nil:
		case len(batch) == 1:
			fail(batch[0], err)
		default:
			for _, item := range batch {
				run([]T{item})
			}
		}
	}
	return run
}
