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
	running int // batches running now
	waiting []*combined[T]
}

// defaultBatch bounds a transaction to what a few statements handle in milliseconds.
const defaultBatch = 128

type combined[T any] struct {
	item T
	done chan struct{}       // closed once run has had the item
	lead chan []*combined[T] // the caller is to run this batch, itself first
}

// do runs item, in a batch with whatever else is waiting, and returns once run has had it.
// run is called by one caller at a time.
func (c *combiner[T]) do(item T, run func([]T)) { c.doLanes(1, item, run) }

// doLanes is do with up to lanes batches running at once (every caller of a combiner
// gives the same lanes). One batch that waits on a round trip or a commit leaves the
// CPUs idle while the items arriving meanwhile wait for it; a second lane runs those
// then. Batches in different lanes run in any order and at the same time, so run must be
// right whatever runs beside it.
func (c *combiner[T]) doLanes(lanes int, item T, run func([]T)) {
	me := &combined[T]{item: item, done: make(chan struct{}), lead: make(chan []*combined[T], 1)}
	var batch []*combined[T]
	c.mu.Lock()
	if c.running < max(lanes, 1) {
		// A lane is free, so nobody waits (a lane that ends hands itself to the oldest
		// waiting): lead it with this item.
		c.running++
		c.waiting = append(c.waiting, me)
		batch = c.take()
		c.mu.Unlock()
	} else {
		c.waiting = append(c.waiting, me)
		c.mu.Unlock()
		select {
		case <-me.done:
			return
		case batch = <-me.lead:
		}
	}
	defer func() {
		for _, b := range batch {
			close(b.done)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.waiting) > 0 {
			// The lane passes to the oldest waiting, with the batch it is to run.
			next := c.take()
			next[0].lead <- next
			return
		}
		c.running--
	}()
	items := make([]T, len(batch))
	for i, b := range batch {
		items[i] = b.item
	}
	run(items)
}

// take removes the next batch from the waiting, oldest first; c.mu is held.
func (c *combiner[T]) take() []*combined[T] {
	limit := c.limit
	if limit <= 0 {
		limit = defaultBatch
	}
	n := min(len(c.waiting), limit)
	batch := c.waiting[:n:n]
	c.waiting = append([]*combined[T](nil), c.waiting[n:]...)
	return batch
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
