package main

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// TestOneInstanceLeadsAndAStandbyTakesOver runs two instances for the same lease: only one
// runs the work at a time, and when it stops the other takes over.
func TestOneInstanceLeadsAndAStandbyTakesOver(t *testing.T) {
	rdb, prefix := storetest.NewRedis(t)
	leases := store.NewLeases(rdb, prefix)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var running atomic.Int32
	started := make(chan string, 4)
	work := func(name string) func(context.Context) error {
		return func(ctx context.Context) error {
			if n := running.Add(1); n != 1 {
				t.Errorf("%d instances working at once", n)
			}
			started <- name
			<-ctx.Done()
			running.Add(-1)
			return nil
		}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	ttl := 300 * time.Millisecond
	go func() { doneA <- whileLeader(ctxA, leases, "poller", "a", ttl, log, work("a")) }()
	first := <-started
	go func() { doneB <- whileLeader(ctxB, leases, "poller", "b", ttl, log, work("b")) }()
	if first != "a" {
		t.Fatalf("first leader = %s, want a", first)
	}
	stopA() // a stops (or dies): b takes over
	<-doneA
	select {
	case second := <-started:
		if second != "b" {
			t.Errorf("second leader = %s, want b", second)
		}
	case <-time.After(10 * ttl):
		t.Fatal("the standby did not take over")
	}
	stopB()
	<-doneB
}
