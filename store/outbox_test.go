package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

const lease = 30 * time.Second

// outboxBundle is an empty migrated database and the store on it.
type outboxBundle struct {
	pool *pgxpool.Pool
	db   *store.DB
}

func setupOutbox(t *testing.T) outboxBundle {
	t.Helper()
	pool := storetest.NewPool(t)
	return outboxBundle{pool: pool, db: store.NewDB(pool)}
}

func (b outboxBundle) enqueue(t *testing.T, msgs ...store.Message) {
	t.Helper()
	if err := b.db.Enqueue(context.Background(), msgs...); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

func (b outboxBundle) claim(t *testing.T, now time.Time) []store.Message {
	t.Helper()
	msgs, err := b.db.ClaimDue(context.Background(), now, lease, 64)
	if err != nil {
		t.Fatalf("claim due: %v", err)
	}
	return msgs
}

func (b outboxBundle) backlog(t *testing.T) int64 {
	t.Helper()
	n, err := b.db.OutboxBacklog(context.Background())
	if err != nil {
		t.Fatalf("outbox backlog: %v", err)
	}
	return n
}

// row reads what the outbox recorded about a message; no store method exposes it.
type outboxRow struct {
	sent, failed bool
	messageID    int64
	lastError    string
	attempts     int
}

func (b outboxBundle) row(t *testing.T, id int64) outboxRow {
	t.Helper()
	var r outboxRow
	var messageID *int64
	err := b.pool.QueryRow(context.Background(), `SELECT sent_at IS NOT NULL, failed_at IS NOT NULL, message_id,
		last_error, attempts FROM outbox WHERE id = $1`, id).Scan(&r.sent, &r.failed, &messageID, &r.lastError, &r.attempts)
	if err != nil {
		t.Fatalf("outbox row %d: %v", id, err)
	}
	if messageID != nil {
		r.messageID = *messageID
	}
	return r
}

func texts(msgs []store.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

func send(chatID int64, text string) store.Message {
	return store.Message{ChatID: chatID, Method: store.MethodSend, Text: text}
}

// after returns the time to claim at: after every enqueue so far, as the database's now()
// stamped them.
func after() time.Time { return time.Now().Add(time.Millisecond) }

func TestEnqueuedMessageComesBackWhole(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	markup := json.RawMessage(`{"inline_keyboard":[[{"text":"认领 Claim","callback_data":"claim:7"}]]}`)
	in := store.Message{
		ChatID: privateChat, Method: store.MethodSend, Text: "<b>问题 #7</b> · 水稻\n水稻秧苗发黄 &amp; 卷叶",
		ReplyTo: 42, Markup: markup, AnswerID: 9,
		Remember: store.BotMessage{Kind: store.MessageQuestionNotice, RefID: 7, UserID: privateChat, Language: "zh"},
	}
	edit := store.Message{ChatID: groupChat, Method: store.MethodEdit, EditMessageID: 31, Text: "✅ 已由 李明 认领"}
	b.enqueue(t, in, edit)

	got := b.claim(t, after())
	if len(got) != 2 {
		t.Fatalf("claimed %d messages, want 2", len(got))
	}
	m := got[0]
	if m.ID == 0 || m.ChatID != in.ChatID || m.Method != in.Method || m.Text != in.Text || m.ReplyTo != in.ReplyTo ||
		m.AnswerID != in.AnswerID || m.Attempts != 1 {
		t.Errorf("claimed %+v, want the enqueued %+v with an id and 1 attempt", m, in)
	}
	wantRemember := in.Remember
	wantRemember.ChatID = in.ChatID
	if m.Remember != wantRemember {
		t.Errorf("remember = %+v, want %+v", m.Remember, wantRemember)
	}
	var gotKB, wantKB any
	if err := json.Unmarshal(m.Markup, &gotKB); err != nil {
		t.Fatalf("markup %q: %v", m.Markup, err)
	}
	_ = json.Unmarshal(markup, &wantKB)
	if !reflect.DeepEqual(gotKB, wantKB) {
		t.Errorf("markup = %s, want %s", m.Markup, markup)
	}
	e := got[1]
	if e.ChatID != groupChat || e.Method != store.MethodEdit || e.EditMessageID != 31 || e.Text != edit.Text || e.Markup != nil {
		t.Errorf("claimed edit %+v, want %+v without markup", e, edit)
	}
}

func TestEnqueueInATransactionIsSentOnlyIfItCommits(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx := context.Background()
	errChanged := errors.New("the state change failed")

	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Enqueue(ctx, send(privateChat, "rolled back")); err != nil {
			return err
		}
		return errChanged
	})
	if !errors.Is(err, errChanged) {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if n := b.backlog(t); n != 0 {
		t.Errorf("after a rollback: backlog %d, want 0", n)
	}
	if got := b.claim(t, after()); len(got) != 0 {
		t.Errorf("after a rollback: claimed %q, want nothing", texts(got))
	}

	err = b.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.Enqueue(ctx, send(privateChat, "committed 1"), send(groupChat, "committed 2"))
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if got := texts(b.claim(t, after())); !slices.Equal(got, []string{"committed 1", "committed 2"}) {
		t.Errorf("after a commit: claimed %q, want both messages", got)
	}
}

func TestClaimDueTakesOnlyTheOldestPendingMessageOfEachChat(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	b.enqueue(t, send(privateChat, "a1"), send(groupChat, "g1"), send(privateChat, "a2"))
	b.enqueue(t, send(otherChat, "b1"), send(groupChat, "g2"))

	now := after()
	first := b.claim(t, now)
	if got := texts(first); !slices.Equal(got, []string{"a1", "g1", "b1"}) {
		t.Fatalf("first claim = %q, want the head of each chat [a1 g1 b1]", got)
	}
	// The heads are leased: nothing else is due, not even the chats' next messages.
	if got := texts(b.claim(t, now)); len(got) != 0 {
		t.Errorf("second claim = %q, want nothing while the heads are leased", got)
	}
	if err := b.db.MarkSent(context.Background(), first[0], 100, now); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Fail(context.Background(), first[1].ID, now, "Forbidden: bot was kicked"); err != nil {
		t.Fatal(err)
	}
	if got := texts(b.claim(t, now)); !slices.Equal(got, []string{"a2", "g2"}) {
		t.Errorf("after a1 sent and g1 failed: claimed %q, want [a2 g2]", got)
	}
}

func TestClaimDueTakesAtMostLimitOldestFirst(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	b.enqueue(t, send(groupChat, "g1"), send(privateChat, "a1"), send(otherChat, "b1"))
	got, err := b.db.ClaimDue(context.Background(), after(), lease, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(texts(got), []string{"g1", "a1"}) {
		t.Errorf("claimed %q with limit 2, want the two oldest [g1 a1]", texts(got))
	}
}

func TestALeasedMessageIsClaimedAgainOnlyAfterTheLeaseEnds(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	b.enqueue(t, send(privateChat, "a1"), send(privateChat, "a2"))
	now := after()
	if got := texts(b.claim(t, now)); !slices.Equal(got, []string{"a1"}) {
		t.Fatalf("first claim = %q, want [a1]", got)
	}
	if got := texts(b.claim(t, now.Add(lease-time.Second))); len(got) != 0 {
		t.Errorf("claim before the lease ends = %q, want nothing", got)
	}
	// The sender holding it died: after the lease another takes it, and it is still first.
	again := b.claim(t, now.Add(lease+time.Second))
	if len(again) != 1 || again[0].Text != "a1" || again[0].Attempts != 2 {
		t.Errorf("claim after the lease = %+v, want a1 on its 2nd attempt", again)
	}
}

func TestRetryHoldsTheChatUntilTheNextAttempt(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx := context.Background()
	b.enqueue(t, send(privateChat, "a1"), send(privateChat, "a2"), send(otherChat, "b1"))
	now := after()
	claimed := b.claim(t, now)
	if len(claimed) != 2 {
		t.Fatalf("claimed %q, want [a1 b1]", texts(claimed))
	}
	a1 := claimed[0]
	if err := b.db.Retry(ctx, a1.ID, now.Add(5*time.Second), "Bad Gateway"); err != nil {
		t.Fatal(err)
	}
	if r := b.row(t, a1.ID); r.lastError != "Bad Gateway" || r.sent || r.failed {
		t.Errorf("after Retry: %+v, want pending with last_error %q", r, "Bad Gateway")
	}
	// Not before its time (the lease was released, so only next_attempt_at holds it), and
	// a2 does not overtake it.
	if got := texts(b.claim(t, now.Add(4*time.Second))); len(got) != 0 {
		t.Errorf("claim 4 s later = %q, want nothing", got)
	}
	got := b.claim(t, now.Add(5*time.Second))
	if len(got) != 1 || got[0].ID != a1.ID || got[0].Attempts != 2 {
		t.Errorf("claim 5 s later = %+v, want a1 on its 2nd attempt", got)
	}
}

func TestRetryAtOnceReleasesTheLease(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	b.enqueue(t, send(privateChat, "a1"))
	now := after()
	a1 := b.claim(t, now)[0]
	if err := b.db.Retry(context.Background(), a1.ID, now, ""); err != nil {
		t.Fatal(err)
	}
	if got := texts(b.claim(t, now)); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("claim after Retry(now) = %q, want [a1] at once, within the old lease", got)
	}
}

func TestReleaseGivesMessagesBackDueWithoutCountingTheAttempt(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	b.enqueue(t, send(privateChat, "a1"), send(otherChat, "b1"))
	now := after()
	taken := b.claim(t, now)
	if err := b.db.Release(context.Background(), []int64{taken[0].ID, taken[1].ID}); err != nil {
		t.Fatal(err)
	}
	again := b.claim(t, now)
	if got := texts(again); !slices.Equal(got, []string{"a1", "b1"}) {
		t.Fatalf("claim after Release = %q, want [a1 b1] at once, within the old lease", got)
	}
	if r := b.row(t, again[0].ID); r.attempts != 1 {
		t.Errorf("attempts after a release and a claim = %d, want 1: a release is not an attempt", r.attempts)
	}
}

func TestFailedMessageIsNeverClaimedAgain(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	b.enqueue(t, send(privateChat, "a1"))
	now := after()
	a1 := b.claim(t, now)[0]
	if err := b.db.Fail(context.Background(), a1.ID, now, "Forbidden: bot was blocked by the user"); err != nil {
		t.Fatal(err)
	}
	if r := b.row(t, a1.ID); !r.failed || r.sent || r.lastError != "Forbidden: bot was blocked by the user" {
		t.Errorf("after Fail: %+v, want failed with the reason", r)
	}
	if got := texts(b.claim(t, now.Add(time.Hour))); len(got) != 0 {
		t.Errorf("claim an hour later = %q, want nothing", got)
	}
	if n := b.backlog(t); n != 0 {
		t.Errorf("backlog = %d, want 0", n)
	}
}

func TestAMessageAfterAnotherWaitsUntilThatOneIsDone(t *testing.T) {
	t.Parallel()
	for _, outcome := range []string{"sent", "failed"} {
		t.Run("until it is "+outcome, func(t *testing.T) {
			t.Parallel()
			b := setupOutbox(t)
			ctx := context.Background()
			// The answer in the group, then "your answer is posted" to the expert.
			b.enqueue(t, send(groupChat, "answer"), store.Message{ChatID: privateChat, Method: store.MethodSend, Text: "posted", After: 1})
			now := after()
			got := b.claim(t, now)
			if !slices.Equal(texts(got), []string{"answer"}) {
				t.Fatalf("claimed %q, want only [answer]", texts(got))
			}
			// Still waiting when the answer is to be retried.
			if err := b.db.Retry(ctx, got[0].ID, now.Add(time.Second), "Bad Gateway"); err != nil {
				t.Fatal(err)
			}
			if got := texts(b.claim(t, now)); len(got) != 0 {
				t.Errorf("claimed %q while the answer waits for a retry, want nothing", got)
			}
			answer := b.claim(t, now.Add(time.Second))
			if !slices.Equal(texts(answer), []string{"answer"}) {
				t.Fatalf("claimed %q, want only [answer]", texts(answer))
			}
			var err error
			if outcome == "sent" {
				err = b.db.MarkSent(ctx, answer[0], 77, now)
			} else {
				err = b.db.Fail(ctx, answer[0].ID, now, "Bad Request: chat not found")
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := texts(b.claim(t, now.Add(time.Second))); !slices.Equal(got, []string{"posted"}) {
				t.Errorf("after the answer was %s: claimed %q, want [posted]", outcome, got)
			}
		})
	}
}

func TestAfterPointsOnlyAtAnEarlierMessageOfTheSameCall(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	// After naming itself or a later message is ignored rather than a deadlock.
	b.enqueue(t,
		store.Message{ChatID: privateChat, Method: store.MethodSend, Text: "self", After: 1},
		store.Message{ChatID: otherChat, Method: store.MethodSend, Text: "later", After: 3},
		send(groupChat, "g1"))
	if got := texts(b.claim(t, after())); !slices.Equal(got, []string{"self", "later", "g1"}) {
		t.Errorf("claimed %q, want all three", got)
	}
}

// newAnswer creates a question, claims and answers it through the store, for an answer id.
func newAnswer(t *testing.T, db *store.DB) store.Answer {
	t.Helper()
	ctx := context.Background()
	err := db.UpsertCounties(ctx, []store.CountyRecord{{
		ID: "yuqing", Name: "余庆县", Timezone: "Asia/Shanghai", Townships: []string{"白泥镇"},
		Categories: []store.CategoryRecord{{ID: "rice", Name: "水稻", NameEn: "Rice"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	asked := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	q, err := db.CreateQuestion(ctx, store.Question{
		CountyID: "yuqing", Township: "白泥镇", ChatID: groupChat, MessageID: 12, FarmerID: privateChat,
		FarmerName: "张大伯", CategoryID: "rice", Text: "种植的水稻出现卷叶现象怎么处理？", AskedAt: asked,
	}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if claimed, err := db.ClaimQuestions(ctx, []store.Claim{{QuestionID: q.ID, ExpertID: otherChat}}, asked.Add(time.Minute)); err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	_, a, err := db.AnswerQuestion(ctx, store.Answer{QuestionID: q.ID, ExpertID: otherChat, ExpertName: "李明",
		Text: "可能是稻纵卷叶螟，建议及时用药。", AnsweredAt: asked.Add(time.Hour)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMarkSentRecordsWhatTheMessageIsRememberedAs(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx := context.Background()
	a := newAnswer(t, b.db)
	b.enqueue(t,
		store.Message{ChatID: groupChat, Method: store.MethodSend, Text: "#1 专家解答", ReplyTo: 12, AnswerID: a.ID,
			Remember: store.BotMessage{Kind: store.MessageAck, RefID: a.QuestionID, Language: "zh"}},
		store.Message{ChatID: privateChat, Method: store.MethodSend, Text: "问题 #1",
			Remember: store.BotMessage{Kind: store.MessageQuestionNotice, RefID: a.QuestionID, UserID: privateChat, Language: "en"}},
		send(otherChat, "plain"))
	now := after()
	claimed := b.claim(t, now)
	if len(claimed) != 3 {
		t.Fatalf("claimed %q, want three", texts(claimed))
	}
	for i, m := range claimed {
		if err := b.db.MarkSent(ctx, m, int64(200+i), now); err != nil {
			t.Fatalf("mark %q sent: %v", m.Text, err)
		}
	}

	answers, err := b.db.Answers(ctx, a.QuestionID)
	if err != nil || len(answers) != 1 || answers[0].GroupMessageID != 200 {
		t.Errorf("answers = %+v, %v; want the answer landed as message 200", answers, err)
	}
	wantAck := store.BotMessage{ChatID: groupChat, MessageID: 200, Kind: store.MessageAck, RefID: a.QuestionID, Language: "zh"}
	if got, err := b.db.BotMessage(ctx, groupChat, 200); err != nil || got != wantAck {
		t.Errorf("bot message 200 = %+v, %v; want %+v", got, err, wantAck)
	}
	wantNotice := store.BotMessage{ChatID: privateChat, MessageID: 201, Kind: store.MessageQuestionNotice,
		RefID: a.QuestionID, UserID: privateChat, Language: "en"}
	if got, err := b.db.BotMessage(ctx, privateChat, 201); err != nil || got != wantNotice {
		t.Errorf("bot message 201 = %+v, %v; want %+v", got, err, wantNotice)
	}
	if _, err := b.db.BotMessage(ctx, otherChat, 202); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a message without Remember: BotMessage error %v, want ErrNotFound", err)
	}
	for i, m := range claimed {
		if r := b.row(t, m.ID); !r.sent || r.failed || r.messageID != int64(200+i) {
			t.Errorf("outbox row of %q = %+v, want sent as message %d", m.Text, r, 200+i)
		}
	}
	if n := b.backlog(t); n != 0 {
		t.Errorf("backlog = %d, want 0", n)
	}
}

func TestOutboxBacklogCountsWhatIsNotYetSentOrGivenUp(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx := context.Background()
	if n := b.backlog(t); n != 0 {
		t.Fatalf("empty outbox: backlog %d, want 0", n)
	}
	b.enqueue(t, send(privateChat, "a1"), send(privateChat, "a2"), send(groupChat, "g1"), send(otherChat, "b1"))
	if n := b.backlog(t); n != 4 {
		t.Errorf("after 4 enqueued: backlog %d, want 4", n)
	}
	now := after()
	claimed := b.claim(t, now) // a1 g1 b1
	if n := b.backlog(t); n != 4 {
		t.Errorf("claimed but not sent: backlog %d, want 4", n)
	}
	if err := b.db.MarkSent(ctx, claimed[0], 1, now); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Fail(ctx, claimed[1].ID, now, "Forbidden"); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Retry(ctx, claimed[2].ID, now.Add(time.Minute), "Too Many Requests"); err != nil {
		t.Fatal(err)
	}
	if n := b.backlog(t); n != 2 {
		t.Errorf("one sent, one failed, one to retry, one waiting: backlog %d, want 2", n)
	}
}

// waitDone fails the test unless done is closed within a generous bound; a Wait that
// should wake at once is given far longer than it needs, so only a missed wake-up fails.
func waitDone(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still waiting after 10s", what)
	}
}

func TestListenerWakesOnAnEnqueueFromAnotherConnection(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := b.db.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	// A timeout is not an error, and leaves the listener usable.
	if err := l.Wait(ctx, 10*time.Millisecond); err != nil {
		t.Fatalf("Wait with nothing enqueued = %v, want nil after the timeout", err)
	}

	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx, time.Hour) }()
	// Another instance's pool: a different connection to the same database.
	other := store.NewDB(storetest.NewPoolAt(t, b.pool.Config().ConnString()))
	if err := other.Enqueue(ctx, send(privateChat, "wake up")); err != nil {
		t.Fatal(err)
	}
	waitDone(t, done, "Wait after an enqueue elsewhere")

	// A notification that came while nobody waited is kept for the next Wait.
	if err := other.InTx(ctx, func(tx *store.Tx) error { return tx.Enqueue(ctx, send(groupChat, "while busy")) }); err != nil {
		t.Fatal(err)
	}
	go func() { done <- l.Wait(ctx, time.Hour) }()
	waitDone(t, done, "Wait after an enqueue made before it")
}

func TestListenerWaitReturnsTheContextErrorWhenItEnds(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	l, err := b.db.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx, time.Hour) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Wait after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after its context was cancelled")
	}
}

// TestConcurrentClaimsNeverTakeOneMessageTwice is eight senders working through 20 chats
// of 15 messages at once: each claims a few heads, marks them sent, and claims again,
// until the outbox is empty. A claim that commits between another claim's snapshot and
// its FOR UPDATE must make that claim skip the row, not take it again (as it did when
// the due conditions were read from the heads CTE).
func TestConcurrentClaimsNeverTakeOneMessageTwice(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx := context.Background()
	const chats, perChat, senders = 20, 15, 8
	var msgs []store.Message
	for i := range perChat {
		for c := range chats {
			msgs = append(msgs, send(int64(700000+c), fmt.Sprintf("chat %d message %d", c, i)))
		}
	}
	b.enqueue(t, msgs...)

	claims := map[int64]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for {
				now := time.Now()
				got, err := b.db.ClaimDue(ctx, now, lease, 3)
				if err != nil {
					t.Errorf("claim due: %v", err)
					return
				}
				mu.Lock()
				for _, m := range got {
					claims[m.ID]++
				}
				mu.Unlock()
				for _, m := range got {
					if err := b.db.MarkSent(ctx, m, m.ID, now); err != nil {
						t.Errorf("mark sent: %v", err)
						return
					}
				}
				if len(got) == 0 {
					// The rest may be leased to the others, who will send them.
					if n, err := b.db.OutboxBacklog(ctx); err != nil || n == 0 {
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for id, n := range claims {
		if n > 1 {
			t.Errorf("message %d claimed %d times within its lease", id, n)
		}
	}
	if len(claims) != chats*perChat {
		t.Errorf("%d messages claimed, want all %d", len(claims), chats*perChat)
	}
}

// TestReviseChangesAWaitingMessageAndSaysWhereOthersAre: a waiting acknowledgement takes
// the new text; one a sender holds is named by its outbox row, one delivered by its
// message id, so the caller can edit it.
func TestReviseChangesAWaitingMessageAndSaysWhereOthersAre(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx := context.Background()
	ack := func(ref int64) store.Message {
		return store.Message{ChatID: groupChat, Method: store.MethodSend, Text: fmt.Sprintf("#%d 已收到", ref),
			Remember: store.BotMessage{Kind: store.MessageAck, RefID: ref, Language: "zh"}}
	}
	markup := json.RawMessage(`{"inline_keyboard":[[{"text":"看以前的解答","callback_data":"prev:1"}]]}`)
	revise := func(ref int64, now time.Time) store.Revision {
		t.Helper()
		r, err := b.db.Revise(ctx, groupChat, store.MessageAck, ref, fmt.Sprintf("#%d 已收到，以前解答过的类似问题", ref), markup, now)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := revise(1, after()); r != (store.Revision{}) {
		t.Errorf("revising a message never queued: %+v, want nothing", r)
	}

	b.enqueue(t, ack(1))
	if r := revise(1, after()); !r.Revised {
		t.Fatalf("revising a waiting message: %+v, want revised", r)
	}
	claimed := b.claim(t, after())
	if len(claimed) != 1 || !strings.Contains(claimed[0].Text, "类似问题") || !strings.Contains(string(claimed[0].Markup), `"prev:1"`) {
		t.Fatalf("claimed %+v, want the revised text with its buttons", claimed)
	}
	// Held by a sender: not changed under it.
	if r := revise(1, after()); r.Revised || r.InFlight != claimed[0].ID {
		t.Errorf("revising a message in flight: %+v, want its row %d", r, claimed[0].ID)
	}
	if err := b.db.MarkSent(ctx, claimed[0], 321, after()); err != nil {
		t.Fatal(err)
	}
	if r := revise(1, after()); r.Revised || r.InFlight != 0 || r.Sent != 321 {
		t.Errorf("revising a delivered message: %+v, want message 321", r)
	}
}

// TestReviseLeavesTheAnswerAlone: the answer posted in the group is remembered as the
// question's too (replies to it join the thread). Revising the acknowledgement, waiting or
// delivered, must not put the acknowledgement's text over the answer.
func TestReviseLeavesTheAnswerAlone(t *testing.T) {
	t.Parallel()
	b := setupOutbox(t)
	ctx := context.Background()
	remembered := func(text string) store.Message {
		return store.Message{ChatID: groupChat, Method: store.MethodSend, Text: text,
			Remember: store.BotMessage{Kind: store.MessageAck, RefID: 7, Language: "zh"}}
	}
	revise := func() store.Revision {
		t.Helper()
		r, err := b.db.Revise(ctx, groupChat, store.MessageAck, 7, "#7 已收到，以前解答过的类似问题", nil, after())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	b.enqueue(t, remembered("#7 已收到"))
	b.enqueue(t, remembered("#7 的解答：喷施吡虫啉"))
	if r := revise(); !r.Revised {
		t.Fatalf("revising a waiting acknowledgement: %+v, want revised", r)
	}
	claimed := b.claim(t, after())
	if len(claimed) != 1 || !strings.Contains(claimed[0].Text, "类似问题") {
		t.Fatalf("claimed %+v, want the revised acknowledgement first", claimed)
	}
	if err := b.db.MarkSent(ctx, claimed[0], 400, after()); err != nil {
		t.Fatal(err)
	}
	// Delivered: the edit is for message 400, while the answer still waits.
	if r := revise(); r.Revised || r.Sent != 400 {
		t.Errorf("revising a delivered acknowledgement with the answer waiting: %+v, want message 400", r)
	}
	claimed = b.claim(t, after())
	if len(claimed) != 1 || claimed[0].Text != "#7 的解答：喷施吡虫啉" {
		t.Errorf("claimed %+v, want the answer as written", claimed)
	}
}
