package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// burstArchive asks questions in one group as a batch of a burst does: created with
// what their groups' bursts need, joined, and written by RecordAsks.
type burstArchive struct {
	t      *testing.T
	pool   *pgxpool.Pool
	db     *store.DB
	rule   store.BurstRule
	update int64
}

const burstChat = -100

func newBurstArchive(t *testing.T, rule store.BurstRule) *burstArchive {
	pool := storetest.NewPool(t)
	db := store.NewDB(pool)
	if err := db.UpsertCounties(context.Background(), []store.CountyRecord{{ID: "yuqing", Name: "余庆县", Timezone: "Asia/Shanghai",
		Townships: []string{"白泥镇"}, Categories: []store.CategoryRecord{{ID: "rice", Name: "水稻", NameEn: "Rice"}}}}); err != nil {
		t.Fatal(err)
	}
	return &burstArchive{t: t, pool: pool, db: db, rule: rule}
}

// ask stores one batch of questions from farmers at at and returns, for each, the
// acknowledgement it joined (0: none).
func (a *burstArchive) ask(at time.Time, farmers ...int64) []int64 {
	a.t.Helper()
	ctx := context.Background()
	var out []int64
	err := a.db.InTx(ctx, func(tx *store.Tx) error {
		var qs []store.NewQuestion
		for _, f := range farmers {
			a.update++
			qs = append(qs, store.NewQuestion{UpdateID: a.update, Question: store.Question{CountyID: "yuqing", Township: "白泥镇",
				ChatID: burstChat, MessageID: a.update, FarmerID: f, FarmerName: "农户", CategoryID: "rice", Text: "水稻发黄", AskedAt: at}})
		}
		created, bursts, err := tx.CreateQuestionsInBursts(ctx, qs, false, a.rule, at)
		if err != nil {
			return err
		}
		var joins []store.AckJoin
		for _, q := range qs {
			joins = append(joins, store.AckJoin{Question: created[q.UpdateID], Ahead: 2, OnDuty: 1, Language: "en"})
		}
		bursts.Join(joins)
		if err := tx.RecordAsks(ctx, nil, nil, at, nil, bursts); err != nil {
			return err
		}
		for _, j := range joins {
			var ack int64
			if err := tx.QueryRowForTest(ctx, `SELECT coalesce((SELECT ack_id FROM group_ack_questions WHERE question_id = $1), 0)`,
				j.Question.ID).Scan(&ack); err != nil {
				return err
			}
			out = append(out, ack)
		}
		return nil
	})
	if err != nil {
		a.t.Fatal(err)
	}
	return out
}

// versions are the outbox rows of an acknowledgement, oldest first: method, and whether
// each is still waiting.
func (a *burstArchive) versions(ack int64) (methods []string, waiting []bool) {
	a.t.Helper()
	rows, err := a.pool.Query(context.Background(), `SELECT method, sent_at IS NULL AND failed_at IS NULL FROM outbox
		WHERE remember_kind = $1 AND remember_ref = $2 ORDER BY id`, store.MessageGroupAck, ack)
	if err != nil {
		a.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		var w bool
		if err := rows.Scan(&m, &w); err != nil {
			a.t.Fatal(err)
		}
		methods, waiting = append(methods, m), append(waiting, w)
	}
	return methods, waiting
}

// TestSharedAcknowledgementsOpenJoinAndFillUp: with a burst from the third farmer on and
// three questions to a list, questions asked one batch at a time in one group open a
// shared acknowledgement, join it until it is full, and then open the next, which a lone
// farmer's question does only because the farmers before it asked within the window
// (the farmers are read only when a question may open one). A question after the
// window is a quiet group's again; a batch fills a list and opens the next itself. A
// sender reads each list whole, its county's names with it.
func TestSharedAcknowledgementsOpenJoinAndFillUp(t *testing.T) {
	t.Parallel()
	a := newBurstArchive(t, store.BurstRule{Window: time.Minute, After: 2, Max: 3})
	base := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	var got []int64
	for i := range int64(6) {
		got = append(got, a.ask(base.Add(time.Duration(i)*time.Second), 1+i)[0])
	}
	first, second := got[2], got[5]
	if got[0] != 0 || got[1] != 0 || first == 0 || got[3] != first || got[4] != first || second == 0 || second == first {
		t.Fatalf("acknowledgements of six farmers one after another = %v, want none, none, A, A, A, B", got)
	}
	// Two minutes later the group is quiet: one farmer's question is acknowledged alone.
	if ack := a.ask(base.Add(2*time.Minute), 7)[0]; ack != 0 {
		t.Errorf("a question after a quiet minute joined acknowledgement %d, want none", ack)
	}
	// Five farmers at once, after one: the second of them opens a list (the one before
	// and the first asked), the next two fill it, and the last opens the next.
	acks := a.ask(base.Add(2*time.Minute+time.Second), 8, 9, 10, 11, 12)
	if acks[0] != 0 || acks[1] == 0 || acks[2] != acks[1] || acks[3] != acks[1] || acks[4] == 0 || acks[4] == acks[1] {
		t.Errorf("a batch of five farmers joined %v, want none, C, C, C, D", acks)
	}

	lists, err := a.db.GroupAcksToSend(context.Background(), []int64{first, acks[1], acks[4], acks[1]})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lists[first].Items); n != 3 || len(lists[acks[1]].Items) != 3 || len(lists[acks[4]].Items) != 1 || len(lists) != 3 {
		t.Errorf("lists read for sending: %d, %d and %d questions (%d lists), want 3, 3 and 1", n, len(lists[acks[1]].Items), len(lists[acks[4]].Items), len(lists))
	}
	l := lists[first]
	if l.Timezone != "Asia/Shanghai" || len(l.Categories) != 1 || l.Categories[0].NameEn != "Rice" ||
		l.Items[0].CategoryID != "rice" || l.Items[0].Ahead != 2 || l.Items[0].OnDuty != 1 || l.Items[0].FarmerName != "农户" {
		t.Errorf("list A read for sending = %+v, want its county's time zone, the category's names and each question's place", *l)
	}
}

// TestASharedAcknowledgementHasOneVersionWaiting: the list's post waits in the outbox,
// and questions that join it meanwhile add no version; once a sender has taken the post,
// the next question adds an edit after it, which the next ones join while it waits. A
// post Telegram refused is posted again.
func TestASharedAcknowledgementHasOneVersionWaiting(t *testing.T) {
	t.Parallel()
	a := newBurstArchive(t, store.BurstRule{Window: time.Minute, After: 2, Max: 30})
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	next := func() time.Time { at = at.Add(time.Second); return at }
	ack := a.ask(next(), 1, 2, 3, 4)[2]
	a.ask(next(), 5)
	if m, w := a.versions(ack); len(m) != 1 || m[0] != "send" || !w[0] {
		t.Fatalf("versions after two batches = %v (waiting %v), want one waiting post", m, w)
	}
	var text, language string
	if err := a.pool.QueryRow(ctx, `SELECT text, language FROM outbox WHERE remember_ref = $1`, ack).Scan(&text, &language); err != nil {
		t.Fatal(err)
	}
	if text != "" || language != "en" {
		t.Errorf("the waiting post has text %q in %q, want none (the sender writes it) in the group's en", text, language)
	}

	// A sender takes the post: the next question adds an edit, the one after joins it.
	taken, err := a.db.ClaimDue(ctx, time.Now(), time.Minute, 10)
	if err != nil || len(taken) != 1 {
		t.Fatalf("sender took %d messages (%v), want the post", len(taken), err)
	}
	a.ask(next(), 6)
	a.ask(next(), 7)
	if m, w := a.versions(ack); len(m) != 2 || m[1] != "edit" || !w[1] {
		t.Fatalf("versions after the post was taken = %v (waiting %v), want the post and one waiting edit", m, w)
	}
	if err := a.db.MarkSent(ctx, taken[0], 555, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Telegram refused the edit's post for good (the bot was removed, say): the next
	// question posts the list again.
	if _, err := a.pool.Exec(ctx, `UPDATE outbox SET failed_at = now() WHERE remember_ref = $1`, ack); err != nil {
		t.Fatal(err)
	}
	a.ask(next(), 8)
	if m, w := a.versions(ack); len(m) != 3 || m[2] != "send" || !w[2] {
		t.Errorf("versions after the post failed = %v (waiting %v), want a new waiting post", m, w)
	}
}
