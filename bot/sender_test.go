package bot

// The sender against the fake Bot API, real Postgres and real Redis. These tests are in
// package bot only so that some of them can reach the sender's poll interval and clock
// and the client's transport; the others use the exported API alone. The tests of
// spacing run the sender on a clock they drive (sender_clock_test.go), which the fake
// Telegram stamps its calls with too, so that spacing is read on the clock the sender
// kept it on, without sleeping and without the wall clock.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// noLimits turns the limiter off (a rate of 0 is no limit), for tests about something else.
var noLimits = store.Rates{}

// senderBundle is an empty outbox, a fake Telegram and a shared Redis schedule.
type senderBundle struct {
	tg     *telegramtest.Server
	pool   *pgxpool.Pool
	db     *store.DB
	rdb    *redis.Client
	prefix string
}

func setupSender(t *testing.T) *senderBundle {
	t.Helper()
	pool := storetest.NewPool(t)
	rdb, prefix := storetest.NewRedis(t)
	return &senderBundle{tg: telegramtest.NewServer(t), pool: pool, db: store.NewDB(pool), rdb: rdb, prefix: prefix}
}

func senderTestLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newSender is one instance's sender: its own Bot API client, the shared database and
// the shared Redis schedule.
func (b *senderBundle) newSender(t *testing.T, rates store.Rates) *Sender {
	t.Helper()
	client, err := NewClient(context.Background(), b.tg.Token(), b.tg.URL())
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return NewSender(b.db, client, store.NewLimiter(b.rdb, b.prefix, rates), senderTestLog())
}

// run runs s until stop is called or the test ends, and checks that it stops when told.
func (b *senderBundle) run(t *testing.T, s *Sender) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("sender Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("sender Run did not return within 10s of its context ending")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// clockAhead starts a clock for the test to drive (newStepClock or newHandClock) an hour
// ahead of the database's, which stamps new rows due at its now(): however slowly a
// loaded machine sets the test up, what it enqueues is due on that clock. The fake
// Telegram stamps its calls on the same clock.
func (b *senderBundle) clockAhead(t *testing.T, newClock func(time.Time) *fakeClock) *fakeClock {
	t.Helper()
	var start time.Time
	if err := b.pool.QueryRow(context.Background(), `SELECT now() + interval '1 hour'`).Scan(&start); err != nil {
		t.Fatalf("the database's clock: %v", err)
	}
	clock := newClock(start.Truncate(time.Millisecond))
	b.tg.SetClock(clock.Now)
	return clock
}

func (b *senderBundle) drain(t *testing.T, s *Sender) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Drain(ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
}

// sendSideBySide delivers the outbox with several instances' senders on one stepping
// clock: each step, every sender sends what is due (SendDue) at the same time as the
// others; when none is told to look again at once, the clock moves on to the soonest
// look again any asked for, or, finding nothing due, by 50 ms (Drain's least wait). The
// clock moves only between steps and by the senders' waits for their slots. Each
// sender's Drain would also move it with its empty looks, which cost no time on this
// clock, while the other's sends are on their way: enough of them and a message's lease
// ends before it is recorded as sent, and it goes again.
func (b *senderBundle) sendSideBySide(t *testing.T, clock *fakeClock, senders ...*Sender) {
	t.Helper()
	type result struct {
		taken int
		next  time.Duration
		err   error
	}
	results := make([]result, len(senders))
	for range 10_000 {
		var wg sync.WaitGroup
		for i, s := range senders {
			wg.Go(func() {
				r := &results[i]
				r.taken, r.next, r.err = s.SendDue(context.Background())
			})
		}
		wg.Wait()
		again, wait := false, 50*time.Millisecond
		for _, r := range results {
			if r.err != nil {
				t.Fatalf("SendDue: %v", r.err)
			}
			if r.taken > 0 && r.next == 0 {
				again = true
			}
			if r.next > 0 {
				wait = min(wait, r.next)
			}
		}
		if again {
			continue
		}
		if b.backlog(t) == 0 {
			return
		}
		clock.Set(clock.Now().Add(wait))
	}
	t.Fatalf("the outbox still has %d messages after 10000 steps", b.backlog(t))
}

func (b *senderBundle) enqueue(t *testing.T, msgs ...store.Message) {
	t.Helper()
	if err := b.db.Enqueue(context.Background(), msgs...); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

func (b *senderBundle) backlog(t *testing.T) int64 {
	t.Helper()
	n, err := b.db.OutboxBacklog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// outcome is how the outbox row of the message (method, text) ended: sent, failed or
// pending.
func (b *senderBundle) outcome(t *testing.T, method, text string) (status string, messageID int64, lastError string) {
	t.Helper()
	var id *int64
	err := b.pool.QueryRow(context.Background(), `SELECT CASE WHEN sent_at IS NOT NULL THEN 'sent'
		WHEN failed_at IS NOT NULL THEN 'failed' ELSE 'pending' END, message_id, last_error
		FROM outbox WHERE method = $1 AND text = $2`, method, text).Scan(&status, &id, &lastError)
	if err != nil {
		t.Fatalf("outbox row %s %q: %v", method, text, err)
	}
	if id != nil {
		messageID = *id
	}
	return status, messageID, lastError
}

func sendText(chatID int64, text string) store.Message {
	return store.Message{ChatID: chatID, Method: store.MethodSend, Text: text}
}

// settle waits until the fake has finished answering every call: it stores a message and
// answers before it records the call's status, so the sender may be done with a call the
// fake has not yet marked 200.
func settle(t *testing.T, tg *telegramtest.Server) {
	t.Helper()
	tg.WaitCall(t, "", func(telegramtest.Call) bool {
		for _, c := range tg.Calls("") {
			if c.Status == 0 {
				return false
			}
		}
		return true
	})
}

// delivered returns the accepted sendMessage calls, by chat, in the order they arrived.
func delivered(tg *telegramtest.Server) map[int64][]telegramtest.Call {
	out := map[int64][]telegramtest.Call{}
	for _, c := range tg.Calls("sendMessage") {
		if c.Status != http.StatusOK {
			continue
		}
		id, _ := strconv.ParseInt(c.Params["chat_id"], 10, 64)
		out[id] = append(out[id], c)
	}
	return out
}

// statuses counts the sendMessage answers by HTTP status.
func statuses(t *testing.T, tg *telegramtest.Server) map[int]int {
	t.Helper()
	settle(t, tg)
	out := map[int]int{}
	for _, c := range tg.Calls("sendMessage") {
		out[c.Status]++
	}
	return out
}

// checkOnceInOrder checks that every chat got exactly its texts, each once, in order.
func checkOnceInOrder(t *testing.T, tg *telegramtest.Server, want map[int64][]string) {
	t.Helper()
	settle(t, tg)
	got := delivered(tg)
	for chatID, texts := range want {
		var sent []string
		for _, c := range got[chatID] {
			sent = append(sent, c.Params["text"])
		}
		if !slices.Equal(sent, texts) {
			t.Errorf("chat %d: accepted sends %q, want each of %q once, in order", chatID, sent, texts)
		}
		var history []string
		for _, m := range tg.Messages(chatID) {
			history = append(history, m.Text)
		}
		if !slices.Equal(history, texts) {
			t.Errorf("chat %d: history %q, want %q", chatID, history, texts)
		}
	}
}

// chats makes n chats the bot may write to, half private (started), half groups.
func (b *senderBundle) chats(n int) []int64 {
	var ids []int64
	for i := range n {
		if i%2 == 0 {
			u := b.tg.NewUser("农户", strconv.Itoa(i), "zh-hans")
			b.tg.Start(u)
			ids = append(ids, u.ID)
		} else {
			ids = append(ids, b.tg.NewGroup(fmt.Sprintf("第%d村农户群", i)).ID)
		}
	}
	return ids
}

// spread enqueues perChat messages to each chat, interleaved across chats, and returns
// the texts each chat should get, in order.
func (b *senderBundle) spread(t *testing.T, chats []int64, perChat int) map[int64][]string {
	t.Helper()
	want := map[int64][]string{}
	var msgs []store.Message
	for i := range perChat {
		for c, id := range chats {
			text := fmt.Sprintf("第%d群 消息%02d：水稻卷叶怎么办", c, i)
			msgs = append(msgs, sendText(id, text))
			want[id] = append(want[id], text)
		}
	}
	b.enqueue(t, msgs...)
	return want
}

// checkSpacing checks that no chat got two accepted sends closer than interval, on the
// clock the fake stamps its calls with, which is the sender's. On one clock nothing needs
// to be allowed for: the sender counts a chat's next slot from when Telegram answered its
// last message, which is after that message arrived. Without the limiter the sends
// would come at the same time on this clock.
func checkSpacing(t *testing.T, tg *telegramtest.Server, interval time.Duration) {
	t.Helper()
	settle(t, tg)
	for chatID, calls := range delivered(tg) {
		for i := 1; i < len(calls); i++ {
			if gap := calls[i].At.Sub(calls[i-1].At); gap < interval {
				t.Errorf("chat %d: sends %d and %d arrived %v apart, want at least %v", chatID, i, i+1, gap, interval)
			}
		}
	}
}

// TestSenderDeliversEveryMessageOnceInOrderThrough429sAnd5xx drives the sender with
// Drain, a loop of SendDue, on a stepping clock. The global limit is off so that every
// chat's first message goes out in the first round and the faults meet first attempts;
// the global limit has its own tests in store.
func TestSenderDeliversEveryMessageOnceInOrderThrough429sAnd5xx(t *testing.T) {
	t.Parallel()
	b := setupSender(t)
	clock := b.clockAhead(t, newStepClock)
	rates := store.Rates{Global: 0, PerChat: 10, GroupMin: 6000}
	const perChatInterval = 100 * time.Millisecond

	// Telegram has a bad minute: gateways fail and it asks to slow down, twice.
	faults := []int{502, 429, 502, 502, 429, 502}
	for _, code := range faults {
		if code == http.StatusTooManyRequests {
			b.tg.FailNext("sendMessage", code, "Too Many Requests: retry after 1", 1)
		} else {
			b.tg.FailNext("sendMessage", code, "Bad Gateway", 0)
		}
	}
	chats := b.chats(6)
	want := b.spread(t, chats, 10)

	s := b.newSender(t, rates)
	s.clock = clock
	b.drain(t, s)

	if n := b.backlog(t); n != 0 {
		t.Errorf("backlog after drain = %d, want 0", n)
	}
	if got := statuses(t, b.tg); got[502] != 4 || got[429] != 2 || got[200] != 60 || len(got) != 3 {
		t.Errorf("sendMessage answers by status = %v, want 4×502, 2×429 and 60×200", got)
	}
	checkOnceInOrder(t, b.tg, want)
	checkSpacing(t, b.tg, perChatInterval)
}

// TestTwoSendersStayWithinTheLimitsTelegramEnforces runs two instances' senders side by
// side on one stepping clock, booking ahead in one shared schedule, against a fake that
// answers 429 to a message beyond a chat's or a group's limits, counted in sliding
// windows of that clock as the messages arrive. More chats are ready than the overall
// limit lets through, so the senders book the overall slots back to back. The fake does
// not enforce the overall limit: on a clock the senders' waits move, one send can
// arrive after another's wait for a later slot moved the clock on, which says nothing of
// the sender (on the wall clock that is the way to Telegram, which Rates.Margin is for).
// A chat's limits hold whatever moves the clock, and store's tests keep the overall one.
func TestTwoSendersStayWithinTheLimitsTelegramEnforces(t *testing.T) {
	t.Parallel()
	b := setupSender(t)
	clock := b.clockAhead(t, newStepClock)
	b.tg.EnforceLimits(telegramtest.Limits{PerChat: 1, GroupPerMinute: 60})
	rates := store.Rates{Global: 10, PerChat: 1, GroupMin: 60}
	want := b.spread(t, b.chats(12), 2)
	first, second := b.newSender(t, rates), b.newSender(t, rates)
	first.clock, second.clock = clock, clock

	b.sendSideBySide(t, clock, first, second)

	if n := b.tg.TooManyRequests(); n != 0 {
		t.Errorf("the fake answered %d × 429, want none", n)
	}
	checkOnceInOrder(t, b.tg, want)
}

func TestSenderWaitsRetryAfterBeforeSendingToTheChatAgain(t *testing.T) {
	t.Parallel()
	b := setupSender(t)
	group := b.tg.NewGroup("白泥镇农户群")
	b.tg.FailNext("sendMessage", http.StatusTooManyRequests, "Too Many Requests: retry after 1", 1)
	b.enqueue(t, sendText(group.ID, "一"), sendText(group.ID, "二"))
	// On a clock the sender moves by waiting: the retry's second passes without sleeping.
	clock := b.clockAhead(t, newStepClock)
	start := clock.Now()
	s := b.newSender(t, noLimits)
	s.clock = clock

	b.drain(t, s)

	got := statuses(t, b.tg)
	calls := b.tg.Calls("sendMessage")
	if len(calls) != 3 || calls[0].Status != http.StatusTooManyRequests {
		t.Fatalf("sendMessage answers by status %v, want a 429 then two sends", got)
	}
	var sentAt time.Time
	if err := b.pool.QueryRow(context.Background(), `SELECT sent_at FROM outbox WHERE text = '一'`).Scan(&sentAt); err != nil {
		t.Fatal(err)
	}
	if gap := sentAt.Sub(start); gap < time.Second {
		t.Errorf("retried %v after a 429 with retry_after 1, want at least 1s", gap)
	}
	if calls[1].Params["text"] != "一" {
		t.Errorf("after the 429 the chat got %q first, want the message that was refused", calls[1].Params["text"])
	}
	checkOnceInOrder(t, b.tg, map[int64][]string{group.ID: {"一", "二"}})
}

func TestSenderDropsAMessageTelegramRefusesAndSendsTheChatsNext(t *testing.T) {
	t.Parallel()

	t.Run("a person who never pressed Start", func(t *testing.T) {
		t.Parallel()
		b := setupSender(t)
		expert := b.tg.NewUser("李", "明", "zh-hans")
		b.run(t, b.newSender(t, noLimits))

		b.enqueue(t, sendText(expert.ID, "问题 #1 等你认领"))
		b.tg.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool { return c.Status == http.StatusForbidden })
		b.tg.Start(expert)
		b.enqueue(t, sendText(expert.ID, "问题 #2 等你认领"))
		b.tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return m.Text == "问题 #2 等你认领" })

		if got := len(b.tg.Calls("sendMessage")); got != 2 {
			t.Errorf("%d sendMessage calls, want 2: a 403 is not retried", got)
		}
		status, _, lastError := b.outcome(t, store.MethodSend, "问题 #1 等你认领")
		if status != "failed" || !strings.Contains(lastError, "Forbidden") {
			t.Errorf("refused message: %s, %q; want failed with Telegram's reason", status, lastError)
		}
		checkOnceInOrder(t, b.tg, map[int64][]string{expert.ID: {"问题 #2 等你认领"}})
	})

	t.Run("a person who blocked the bot, with more queued behind", func(t *testing.T) {
		t.Parallel()
		b := setupSender(t)
		expert := b.tg.NewUser("Chen", "Wei", "en")
		b.tg.Start(expert)
		b.tg.FailNext("sendMessage", http.StatusForbidden, "Forbidden: bot was blocked by the user", 0)
		b.enqueue(t, sendText(expert.ID, "first"), sendText(expert.ID, "second"), sendText(expert.ID, "third"))

		b.drain(t, b.newSender(t, noLimits))

		if status, _, _ := b.outcome(t, store.MethodSend, "first"); status != "failed" {
			t.Errorf("refused message is %s, want failed", status)
		}
		checkOnceInOrder(t, b.tg, map[int64][]string{expert.ID: {"second", "third"}})
	})
}

func TestSenderCountsAnEditThatChangesNothingAsSent(t *testing.T) {
	t.Parallel()
	b := setupSender(t)
	ctx := context.Background()
	expert := b.tg.NewUser("李", "明", "zh-hans")
	b.tg.Start(expert)
	s := b.newSender(t, noLimits)
	b.enqueue(t, sendText(expert.ID, "<b>问题 #7</b> · 水稻"))
	b.drain(t, s)
	_, sentID, _ := b.outcome(t, store.MethodSend, "<b>问题 #7</b> · 水稻")
	if sentID == 0 {
		t.Fatal("the card was not recorded as sent")
	}

	// Two experts' claims both edit the card to the same text: the second changes nothing.
	edit := store.Message{ChatID: expert.ID, Method: store.MethodEdit, EditMessageID: sentID, Text: "<b>问题 #7</b> · 水稻",
		Remember: store.BotMessage{Kind: store.MessageQuestionNotice, RefID: 7, UserID: expert.ID, Language: "zh"}}
	b.enqueue(t, edit)
	b.drain(t, s)

	calls := b.tg.Calls("editMessageText")
	if len(calls) != 1 || !strings.Contains(calls[0].Description, "message is not modified") {
		t.Fatalf("editMessageText calls = %+v, want one answered \"message is not modified\"", calls)
	}
	if status, messageID, _ := b.outcome(t, store.MethodEdit, edit.Text); status != "sent" || messageID != sentID {
		t.Errorf("the edit that changed nothing is %s as message %d, want sent as %d", status, messageID, sentID)
	}
	got, err := b.db.BotMessage(ctx, expert.ID, sentID)
	if err != nil || got.Kind != store.MessageQuestionNotice || got.RefID != 7 {
		t.Errorf("remembered %+v, %v; want the card remembered as the notice of #7", got, err)
	}
}

func TestSenderDropsAnEditOfAMessageThatIsGone(t *testing.T) {
	t.Parallel()
	b := setupSender(t)
	group := b.tg.NewGroup("龙溪镇农户群")
	b.enqueue(t,
		store.Message{ChatID: group.ID, Method: store.MethodEdit, EditMessageID: 999, Text: "✅ 已认领"},
		sendText(group.ID, "下一条"))
	b.drain(t, b.newSender(t, noLimits))

	if status, _, lastError := b.outcome(t, store.MethodEdit, "✅ 已认领"); status != "failed" {
		t.Errorf("edit of a missing message is %s (%q), want failed", status, lastError)
	}
	checkOnceInOrder(t, b.tg, map[int64][]string{group.ID: {"下一条"}})
}

func TestDrainReturnsOnceEverythingIsSent(t *testing.T) {
	t.Parallel()
	b := setupSender(t)
	s := b.newSender(t, store.Rates{Global: 200, PerChat: 20, GroupMin: 6000})

	// Nothing to send: it returns at once.
	b.drain(t, s)

	chats := b.chats(3)
	// The first send is told to wait a second: Drain waits for it rather than give up.
	b.tg.FailNext("sendMessage", http.StatusTooManyRequests, "Too Many Requests: retry after 1", 1)
	want := b.spread(t, chats, 4)
	b.drain(t, s)

	if n := b.backlog(t); n != 0 {
		t.Errorf("backlog after drain = %d, want 0", n)
	}
	checkOnceInOrder(t, b.tg, want)
}

func TestDrainStopsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	b := setupSender(t)
	group := b.tg.NewGroup("白泥镇农户群")
	b.tg.FailNext("sendMessage", http.StatusTooManyRequests, "Too Many Requests: retry after 60", 60)
	b.enqueue(t, sendText(group.ID, "要等一分钟"))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.newSender(t, noLimits).Drain(ctx) }()
	b.tg.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool { return c.Status == http.StatusTooManyRequests })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Drain = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Drain did not return within 10s of its context ending")
	}
	if n := b.backlog(t); n != 1 {
		t.Errorf("backlog = %d, want the waiting message still there", n)
	}
}

func TestTwoSendersDeliverEachMessageOnce(t *testing.T) {
	t.Parallel()

	t.Run("running", func(t *testing.T) {
		t.Parallel()
		b := setupSender(t)
		chats := b.chats(8)
		stopFirst := b.run(t, b.newSender(t, noLimits))
		stopSecond := b.run(t, b.newSender(t, noLimits))
		want := b.spread(t, chats, 5)
		for _, id := range chats {
			last := want[id][len(want[id])-1]
			b.tg.WaitMessage(t, id, func(m tgbotapi.Message) bool { return m.Text == last })
		}
		// Nothing more can come once both have stopped.
		stopFirst()
		stopSecond()
		if n := b.backlog(t); n != 0 {
			t.Errorf("backlog = %d, want 0", n)
		}
		checkOnceInOrder(t, b.tg, want)
	})

	// The spacing two instances keep in one schedule is TestTwoSendersStayWithinTheLimitsTelegramEnforces's.
	t.Run("draining, within one shared schedule", func(t *testing.T) {
		t.Parallel()
		b := setupSender(t)
		rates := store.Rates{Global: 200, PerChat: 10, GroupMin: 6000}
		first, second := b.newSender(t, rates), b.newSender(t, rates)
		chats := b.chats(6)
		want := b.spread(t, chats, 5)
		var wg sync.WaitGroup
		for _, s := range []*Sender{first, second} {
			wg.Go(func() { b.drain(t, s) })
		}
		wg.Wait()
		checkOnceInOrder(t, b.tg, want)
	})
}

// TestSenderSendsAMessageTheLimiterHeldBackWithoutWaitingForThePoll runs the sender on a
// clock only the test moves, and moves it to the end of the first wait the sender begins
// short of its poll: the limiter's, if the sender keeps it.
func TestSenderSendsAMessageTheLimiterHeldBackWithoutWaitingForThePoll(t *testing.T) {
	t.Parallel()
	b := setupSender(t)
	clock := b.clockAhead(t, newHandClock)
	group := b.tg.NewGroup("白泥镇农户群")
	const perChatInterval = 100 * time.Millisecond
	s := b.newSender(t, store.Rates{Global: 0, PerChat: 10, GroupMin: 0})
	s.clock = clock
	// Nothing but the limiter's answer can bring the sender back in time.
	s.poll = time.Hour
	b.run(t, s)
	b.enqueue(t, sendText(group.ID, "一"), sendText(group.ID, "二"))
	b.tg.WaitMessage(t, group.ID, func(m tgbotapi.Message) bool { return m.Text == "一" })

	clock.Set(clock.waitingUntil(t, clock.Now().Add(s.poll)))

	b.tg.WaitMessage(t, group.ID, func(m tgbotapi.Message) bool { return m.Text == "二" })
	settle(t, b.tg)
	if calls := delivered(b.tg)[group.ID]; len(calls) != 2 || calls[1].At.Sub(calls[0].At) != perChatInterval {
		t.Errorf("accepted sends to the group: %+v; want two, %v apart: the second as soon as the limiter let it go", calls, perChatInterval)
	}
}

// retryDelay is how long after now the outbox schedules the message's next attempt.
func (b *senderBundle) retryDelay(t *testing.T, text string, now time.Time) time.Duration {
	t.Helper()
	var at time.Time
	if err := b.pool.QueryRow(context.Background(), `SELECT next_attempt_at FROM outbox WHERE text = $1`, text).Scan(&at); err != nil {
		t.Fatal(err)
	}
	return at.Sub(now)
}

// TestSenderBackoffDoesNotGrowWithLimiterDeferrals runs the sender on a clock the test
// moves. Two messages each fail once with a 502; one of them was first held back three
// times by the limiter (another instance had taken its chat's slots). Being held back is
// not failing: both should be retried after the same backoff.
func TestSenderBackoffDoesNotGrowWithLimiterDeferrals(t *testing.T) {
	t.Parallel()
	rates := store.Rates{Global: 0, PerChat: 1, GroupMin: 0}

	firstFailure := func(t *testing.T, deferrals int) time.Duration {
		b := setupSender(t)
		group := b.tg.NewGroup("白泥镇农户群")
		s := b.newSender(t, rates)
		clock := b.clockAhead(t, newStepClock)
		now := clock.Now()
		s.clock = clock
		other := store.NewLimiter(b.rdb, b.prefix, rates) // another instance
		b.enqueue(t, sendText(group.ID, "专家解答"))
		ctx := context.Background()
		for range deferrals {
			if wait, err := other.Reserve(ctx, group.ID, now); err != nil || wait != 0 {
				t.Fatalf("other instance's reservation: %v, %v", wait, err)
			}
			if n, _, err := s.SendDue(ctx); n != 1 || err != nil {
				t.Fatalf("SendDue = %d, %v; want the message taken and deferred", n, err)
			}
			now = now.Add(time.Second)
			clock.Set(now)
		}
		b.tg.FailNext("sendMessage", http.StatusBadGateway, "Bad Gateway", 0)
		if n, _, err := s.SendDue(ctx); n != 1 || err != nil {
			t.Fatalf("SendDue = %d, %v; want the message taken and tried", n, err)
		}
		if got := statuses(t, b.tg); got[502] != 1 || len(got) != 1 {
			t.Fatalf("sendMessage answers = %v, want one 502", got)
		}
		return b.retryDelay(t, "专家解答", now)
	}
	plain := firstFailure(t, 0)
	if plain <= 0 {
		t.Fatalf("retry after a 502 scheduled %v from now, want later", plain)
	}
	if held := firstFailure(t, 3); held != plain {
		t.Errorf("after a first 502: retried in %v when held back 3 times first, in %v when not; want the same", held, plain)
	}
}

// cancelAfterResponse is a transport that, once Telegram has answered a sendMessage,
// ends the sender's context: the instance is told to stop right after a send succeeded.
type cancelAfterResponse struct {
	cancel context.CancelFunc
}

func (c cancelAfterResponse) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/sendMessage") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.cancel()
	return resp, nil
}

func TestASendTelegramAcceptedIsRecordedEvenIfTheSenderIsStopping(t *testing.T) {
	t.Parallel()
	b := setupSender(t)
	group := b.tg.NewGroup("白泥镇农户群")
	s := b.newSender(t, noLimits)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.tg.http.Transport = cancelAfterResponse{cancel: cancel}
	b.enqueue(t, sendText(group.ID, "专家解答"))

	if _, _, err := s.SendDue(ctx); err != nil {
		t.Errorf("SendDue: %v", err)
	}

	if got := len(b.tg.Messages(group.ID)); got != 1 {
		t.Fatalf("%d messages in the group, want the one Telegram accepted", got)
	}
	if status, _, _ := b.outcome(t, store.MethodSend, "专家解答"); status != "sent" {
		t.Errorf("a message Telegram accepted is %s in the outbox, want sent (else it goes out again)", status)
	}
}

func TestSenderLooksAtABusyOutboxAtMostOncePerGap(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	s := &Sender{gap: 100 * time.Millisecond, clock: newStepClock(now)}
	if d := s.untilNextRound(time.Time{}); d != 0 {
		t.Errorf("after a look that was not busy: wait %v, want none", d)
	}
	for _, c := range []struct {
		r    *round
		busy bool
	}{
		{&round{taken: 1}, false},
		{&round{taken: 3, wakes: []time.Time{now}}, true},
		{&round{taken: 64}, true},
		{&round{taken: 2, full: true}, true},
	} {
		if got := c.r.busy(64); got != c.busy {
			t.Errorf("round taking %d (held back %d, full %v): busy = %v, want %v", c.r.taken, len(c.r.wakes), c.r.full, got, c.busy)
		}
	}
	for _, c := range []struct {
		ago, want time.Duration
	}{{0, 100 * time.Millisecond}, {30 * time.Millisecond, 70 * time.Millisecond}, {100 * time.Millisecond, 0}, {time.Minute, 0}} {
		if d := s.untilNextRound(now.Add(-c.ago)); d != c.want {
			t.Errorf("a look %v ago: wait %v, want %v", c.ago, d, c.want)
		}
	}
}
