package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// TestAnUpdateHandledAgainSendsNothingTwice: the first try of an update wrote one reply
// and then failed; the second try writes the same reply (not stored again) and the one
// the first try never reached (stored). Writes outside any update are never held back,
// and a batch's writes that drop the stamp are not counted as the update's steps.
func TestAnUpdateHandledAgainSendsNothingTwice(t *testing.T) {
	b := setupOutbox(t)
	ctx := context.Background()
	send := func(ctx context.Context, text string) {
		t.Helper()
		if err := b.db.Enqueue(ctx, store.Message{ChatID: 7, Method: store.MethodSend, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	first := store.WithUpdate(ctx, 41)
	send(first, "step one")
	// The try fails here; Telegram delivers the update again.
	second := store.WithUpdate(ctx, 41)
	send(second, "step one")
	send(store.WithoutUpdate(second), "a batch's write, not a step")
	send(second, "step two")
	send(ctx, "no update")
	send(ctx, "no update")

	var texts []string
	rows, err := b.pool.Query(ctx, `SELECT text FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, s)
	}
	want := []string{"step one", "a batch's write, not a step", "step two", "no update", "no update"}
	if len(texts) != len(want) {
		t.Fatalf("outbox %q, want %q", texts, want)
	}
	for i := range want {
		if texts[i] != want[i] {
			t.Fatalf("outbox %q, want %q", texts, want)
		}
	}
}

// TestHandledAndSetAsideUpdatesAreSkipped: an update handled to the end, and one set
// aside, are skipped when they come again; one handed back and handled is skipped as
// handled; records older than the cutoff are forgotten.
func TestHandledAndSetAsideUpdatesAreSkipped(t *testing.T) {
	b := setupOutbox(t)
	ctx := context.Background()
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	if err := b.db.MarkHandled(ctx, []int64{1, 2}, now); err != nil {
		t.Fatal(err)
	}
	for try := 1; try <= 3; try++ {
		aside, err := b.db.RecordFailure(ctx, store.FailedUpdate{UpdateID: 3, Raw: "{}", CountyID: "yuqing", Err: "refused"}, 3, now)
		if err != nil || aside != (try == 3) {
			t.Fatalf("try %d: set aside %v, %v", try, aside, err)
		}
	}
	skip, err := b.db.Skippable(ctx, []int64{1, 2, 3, 4})
	if err != nil || !skip[1] || !skip[2] || !skip[3] || skip[4] {
		t.Fatalf("skippable %v, %v; want 1, 2 and 3", skip, err)
	}
	if err := b.db.ResolveDead(ctx, 3, now); err != nil {
		t.Fatal(err)
	}
	if dead, err := b.db.DeadUpdates(ctx, "yuqing", 10); err != nil || len(dead) != 0 {
		t.Fatalf("after resolving: %v, %v", dead, err)
	}
	if n, err := b.db.ForgetHandled(ctx, now.Add(time.Second)); err != nil || n != 2 {
		t.Fatalf("forgot %d, %v; want 2", n, err)
	}
}
