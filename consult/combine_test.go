package consult

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestCombinerRunsEveryItemOnceInBatchesOfAtMostTheLimitAndItsLanes: with one lane (do)
// and with two (doLanes), every item runs once, no batch is over the limit, no more
// batches run at once than there are lanes, and nothing is left running or waiting.
func TestCombinerRunsEveryItemOnceInBatchesOfAtMostTheLimitAndItsLanes(t *testing.T) {
	t.Parallel()
	for _, lanes := range []int{1, 2} {
		c := &combiner[int]{limit: 8}
		const callers = 300
		var (
			mu            sync.Mutex
			seen          = map[int]int{}
			running, most int
			batches       []int
		)
		run := func(items []int) {
			mu.Lock()
			running++
			most = max(most, running)
			batches = append(batches, len(items))
			for _, it := range items {
				seen[it]++
			}
			mu.Unlock()
			// Let other goroutines in while this batch counts as running: two batches
			// at once past the lanes would be seen here.
			runtime.Gosched()
			mu.Lock()
			running--
			mu.Unlock()
		}
		var wg sync.WaitGroup
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if lanes == 1 {
					c.do(i, run)
				} else {
					c.doLanes(lanes, i, run)
				}
				mu.Lock()
				defer mu.Unlock()
				if seen[i] != 1 {
					t.Errorf("lanes %d: item %d returned after being run %d times", lanes, i, seen[i])
				}
			}()
		}
		wg.Wait()
		if len(seen) != callers {
			t.Errorf("lanes %d: %d items run, want %d", lanes, len(seen), callers)
		}
		for _, n := range batches {
			if n < 1 || n > 8 {
				t.Errorf("lanes %d: a batch of %d, want 1 to 8", lanes, n)
			}
		}
		if most > lanes {
			t.Errorf("%d batches ran at once, want at most %d", most, lanes)
		}
		if c.running != 0 || len(c.waiting) != 0 {
			t.Errorf("lanes %d, after the last caller: %d lanes running, %d items waiting; want none", lanes, c.running, len(c.waiting))
		}
	}
}

func TestCombinerHandsOnTheLeadWhenABatchPanics(t *testing.T) {
	t.Parallel()
	c := &combiner[int]{limit: 4}
	func() {
		defer func() { _ = recover() }()
		c.do(1, func([]int) { panic("boom") })
	}()
	ran := false
	c.do(2, func(items []int) { ran = len(items) == 1 && items[0] == 2 })
	if !ran {
		t.Error("the combiner is stuck after a panic")
	}
}

func TestAloneStoresEachItemOfAFailedBatchOnItsOwn(t *testing.T) {
	t.Parallel()
	stored := map[int]bool{}
	failed := map[int]error{}
	bad := errors.New("bad item")
	run := alone(func(batch []int) error {
		for _, it := range batch {
			if it == 3 {
				return bad // the whole transaction fails
			}
		}
		for _, it := range batch {
			stored[it] = true
		}
		return nil
	}, func(it int, err error) { failed[it] = err })
	run([]int{1, 2, 3, 4})
	if len(stored) != 3 || !stored[1] || !stored[2] || !stored[4] || failed[3] != bad || len(failed) != 1 {
		t.Errorf("stored %v, failed %v; want 1, 2 and 4 stored and 3 failed", stored, failed)
	}
}

func TestCombinerLanesGoOnAfterAPanic(t *testing.T) {
	t.Parallel()
	c := &combiner[int]{limit: 4}
	for range 3 {
		func() {
			defer func() { _ = recover() }()
			c.doLanes(2, 1, func([]int) { panic("boom") })
		}()
	}
	ran := false
	c.doLanes(2, 2, func(items []int) { ran = len(items) == 1 && items[0] == 2 })
	if !ran || c.running != 0 {
		t.Errorf("after panics: ran %v, %d lanes still counted running; want it run and none", ran, c.running)
	}
}

func TestCombinerRunsASecondBatchWhileTheFirstWaits(t *testing.T) {
	t.Parallel()
	c := &combiner[int]{}
	first, second := make(chan struct{}), make(chan struct{})
	done := make(chan bool, 1)
	go func() {
		c.doLanes(2, 1, func([]int) {
			close(first)
			select {
			case <-second:
				done <- true
			case <-time.After(10 * time.Second):
				done <- false
			}
		})
	}()
	<-first
	c.doLanes(2, 2, func([]int) { close(second) })
	if !<-done {
		t.Error("the second batch waited for the first, with a lane free")
	}
}
