package bot

import (
	"sync"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// fakeClock is a sender's clock that tests drive: it reads the same until it is moved,
// never back. A stepping clock is moved by every wait, which returns at once with the
// clock at the time waited for: a test that drains the outbox on it runs through retries
// and slots without sleeping. A clock that does not step holds each wait until the test
// moves it there, so that a test can see what the sender waits for (waitingUntil).
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	steps bool
	// waits are the waits not yet over, when the clock does not step.
	waits []fakeWait
	// waited is closed and replaced when a wait begins.
	waited chan struct{}
}

type fakeWait struct {
	at time.Time
	ch chan time.Time
}

// newStepClock is a clock that each wait moves on, starting at at.
func newStepClock(at time.Time) *fakeClock {
	return &fakeClock{now: at, steps: true, waited: make(chan struct{})}
}

// newHandClock is a clock that only the test moves (Set), starting at at.
func newHandClock(at time.Time) *fakeClock {
	return &fakeClock{now: at, waited: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Reaches(at time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if c.steps && at.After(c.now) {
		c.now = at
	}
	if !at.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waits = append(c.waits, fakeWait{at: at, ch: ch})
	close(c.waited)
	c.waited = make(chan struct{})
	return ch
}

// Set moves the clock to at, or leaves it where it is if it is there already, and ends
// the waits for at or earlier.
func (c *fakeClock) Set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at.After(c.now) {
		c.now = at
	}
	waits := c.waits[:0]
	for _, w := range c.waits {
		if w.at.After(c.now) {
			waits = append(waits, w)
			continue
		}
		w.ch <- c.now
	}
	c.waits = waits
}

// waitingUntil waits for a wait that ends before limit to begin (or to be there already)
// and returns the earliest such: what the sender waits for, short of limit. It fails the
// test when none begins within telegramtest's wait timeout.
func (c *fakeClock) waitingUntil(t *testing.T, limit time.Time) time.Time {
	t.Helper()
	timeout := time.After(telegramtest.DefaultWaitTimeout)
	for {
		c.mu.Lock()
		var earliest time.Time
		for _, w := range c.waits {
			if w.at.Before(limit) && (earliest.IsZero() || w.at.Before(earliest)) {
				earliest = w.at
			}
		}
		waited := c.waited
		c.mu.Unlock()
		if !earliest.IsZero() {
			return earliest
		}
		select {
		case <-waited:
		case <-timeout:
			t.Fatalf("the sender began no wait ending before %v within %v", limit, telegramtest.DefaultWaitTimeout)
		}
	}
}
