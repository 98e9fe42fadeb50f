package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// TestARetriedMessageIsGivenUpOnceItHasFailedForTheWhileAllowed: RetryWithin puts a
// message back until it has been failing for giveUp since its first failure, then fails
// it with how many tries it had and the last reason; it is then no longer due.
func TestARetriedMessageIsGivenUpOnceItHasFailedForTheWhileAllowed(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx := context.Background()
	b.enqueue(t, store.Message{ChatID: -100, Method: store.MethodSend, Text: "专家解答"})
	now := time.Now().Add(time.Hour)
	for i, at := range []time.Duration{0, 30 * time.Second, 59 * time.Second, 61 * time.Second} {
		taken := b.claim(t, now.Add(at))
		if len(taken) != 1 {
			t.Fatalf("try %d: took %d messages, want the one", i+1, len(taken))
		}
		gaveUp, err := b.db.RetryWithin(ctx, taken[0].ID, now.Add(at), now.Add(at), "Bad Gateway", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if want := at >= time.Minute; gaveUp != want {
			t.Fatalf("try %d, %v after the first failure: gave up %v, want %v", i+1, at, gaveUp, want)
		}
	}
	if taken := b.claim(t, now.Add(time.Hour)); len(taken) != 0 || b.backlog(t) != 0 {
		t.Errorf("after giving up: %d due, backlog %d; want none", len(taken), b.backlog(t))
	}
	failed, err := b.db.FailedMessages(ctx, "any", 10)
	if err != nil || len(failed) != 1 || failed[0].Reason != "gave up after 4 attempts: Bad Gateway" || failed[0].ChatID != -100 {
		t.Errorf("failed messages = %+v, %v; want the message, given up after 4 attempts", failed, err)
	}
}

// TestAPersonsBlockIsTakenBackOnceByTwoStartsAtOnce: a person who blocked the bot and
// starts it twice at the same moment is restored once (the admins are told once); a block
// already known is not news either.
func TestAPersonsBlockIsTakenBackOnceByTwoStartsAtOnce(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx := context.Background()
	now := time.Now()
	for i, want := range []bool{true, false} {
		changed, err := b.db.BlockPrivateChat(ctx, 42, "Forbidden: bot was blocked by the user", now)
		if err != nil || changed != want {
			t.Fatalf("block %d: %v, %v; want %v", i+1, changed, err, want)
		}
	}
	var wg sync.WaitGroup
	restored := make(chan bool, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := b.db.InTx(ctx, func(tx *store.Tx) error {
				was, err := tx.StartPrivateChat(ctx, 42, now)
				restored <- was
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(restored)
	n := 0
	for was := range restored {
		if was {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d of two starts at once found the block, want exactly one", n)
	}
	reach, err := b.db.ReachOf(ctx, -100, 42)
	if err != nil || !reach.FarmerStarted || reach.GroupRemoved {
		t.Errorf("reach = %+v, %v; want the person started, the (unknown) group not removed", reach, err)
	}
	if was, err := b.db.StartPrivateChat(ctx, 7, now); err != nil || was {
		t.Errorf("a first start: %v, %v; want no block found", was, err)
	}
	if reach, _ := b.db.ReachOf(ctx, -100, 8); reach.FarmerStarted {
		t.Error("a person who never started the bot counts as started")
	}
	if strings.TrimSpace(reach.FarmerLanguage) != "" {
		t.Errorf("language = %q, want none chosen", reach.FarmerLanguage)
	}
}
