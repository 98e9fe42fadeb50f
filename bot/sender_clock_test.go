package bot

import (
	"sync"
	"time"
)

// stepClock is a sender's clock that tests drive: it stands still until the test sets
// it or the sender waits, and a wait returns at once, having moved the clock on by what
// was waited (never back). A test that drains the outbox on it runs through retries and
// slots without sleeping, and reads the times the sender saw from the outbox.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func newStepClock(at time.Time) *stepClock { return &stepClock{now: at} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// Set moves the clock to at.
func (c *stepClock) Set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = at
}
