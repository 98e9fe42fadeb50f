package consult_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

const adminID = 9001

const testCounties = `counties:
  - id: yuqing
    name: 余庆县
    timezone: Asia/Shanghai
    admins: [9001]
    townships: [白泥镇, 龙溪镇]
    categories:
      - id: rice
        name: 水稻
        name_en: Rice
        keywords: [水稻, 卷叶]
      - id: tea
        name: 茶叶
        name_en: Tea
        keywords: [茶]
      - id: general
        name: 综合
        name_en: General
  - id: meitan
    name: 湄潭县
    timezone: Asia/Shanghai
    admins: [9002]
    townships: [湄江镇]
    categories:
      - id: tea
        name: 茶叶
        name_en: Tea
        keywords: [茶]
      - id: general
        name: 综合
        name_en: General
`

type testBundle struct {
	db       *store.DB
	pool     *pgxpool.Pool
	queue    *store.Queue
	clock    *clock
	counties []consult.County
}

// clock is a settable clock; each reading moves it one second on, so times are ordered.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// advance moves the clock on, as the hours of a working day pass.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func setup(t *testing.T, opts ...func(*consult.Options)) (*consult.Service, *testBundle) {
	t.Helper()
	counties, err := consult.ParseCounties([]byte(testCounties), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := storetest.NewRedis(t)
	pool := storetest.NewPool(t)
	b := &testBundle{
		db:       store.NewDB(pool),
		pool:     pool,
		queue:    store.NewQueue(rdb, prefix),
		clock:    &clock{now: time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)},
		counties: counties,
	}
	o := consult.Options{Now: b.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, opt := range opts {
		opt(&o)
	}
	svc := consult.NewService(b.db, b.queue, counties, o)
	if err := svc.SaveCounties(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc, b
}

// setupOn starts another service on the same archive, queues and clock: a second
// instance, or the bot after a restart.
func setupOn(t *testing.T, b *testBundle) (*consult.Service, *testBundle) {
	t.Helper()
	svc := consult.NewService(b.db, b.queue, b.counties, consult.Options{Now: b.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return svc, b
}

var updateSeq struct {
	sync.Mutex
	n int64
}

func nextUpdate() int64 {
	updateSeq.Lock()
	defer updateSeq.Unlock()
	updateSeq.n++
	return updateSeq.n
}

// addExpert registers and approves an expert of the Yuqing county.
func addExpert(t *testing.T, svc *consult.Service, id int64, categories ...string) {
	t.Helper()
	ctx := context.Background()
	r, _, err := svc.RequestExpert(ctx, consult.ExpertRequestInput{
		Person: consult.Person{ID: id, Name: fmt.Sprintf("expert %d", id)}, Args: append([]string{"yuqing"}, categories...), UpdateID: nextUpdate(),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.DecideExpert(ctx, r.ID, adminID, true, nil); err != nil {
		t.Fatal(err)
	}
}

func bindAndAsk(t *testing.T, svc *consult.Service, text string) consult.AskResult {
	t.Helper()
	ctx := context.Background()
	if _, _, err := svc.Bind(ctx, -100, "群", adminID, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: 7, Farmer: consult.Person{ID: 1, Name: "农户"}, Text: text, UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestBindIsForCountyAdminsAndKnownTownships(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		user     int64
		township string
		want     error
	}{
		{"a farmer is refused", 1, "白泥镇", consult.ErrNotAdmin},
		{"an unknown township is refused", adminID, "北京", consult.ErrUnknownTownship},
		{"another county's admin cannot bind this county's township", 9002, "白泥镇", consult.ErrUnknownTownship},
		{"the admin binds a known township", adminID, " 白泥镇 ", nil},
	}
	for _, tt := range tests {
		_, _, err := svc.Bind(ctx, -100, "群", tt.user, tt.township, nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	g, county, err := svc.Group(ctx, -100)
	if err != nil || g.Township != "白泥镇" || county.ID != "yuqing" {
		t.Errorf("group = %+v, %v, %v; want bound to 白泥镇 of yuqing", g, county, err)
	}
}

func TestExpertRequestFindsTheCounty(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		args       []string
		wantCounty string
		wantCats   []string
		wantErr    error
	}{
		{"categories only one county has", []string{"水稻", "tea"}, "yuqing", []string{"rice", "tea"}, nil},
		{"a category two counties have is ambiguous", []string{"茶叶"}, "", nil, consult.ErrAmbiguousCounty},
		{"a county named first decides", []string{"湄潭县", "Tea"}, "meitan", []string{"tea"}, nil},
		{"an unknown category is named", []string{"yuqing", "香蕉"}, "", nil, consult.ErrUnknownCategory},
		{"no categories", []string{"yuqing"}, "", nil, consult.ErrNoCategories},
	}
	for _, tt := range tests {
		r, c, err := svc.RequestExpert(ctx, consult.ExpertRequestInput{Person: consult.Person{ID: 5, Name: "李"}, Args: tt.args, UpdateID: nextUpdate()}, nil)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if c.ID != tt.wantCounty || fmt.Sprint(r.Categories) != fmt.Sprint(tt.wantCats) {
			t.Errorf("%s: county %s categories %v, want %s %v", tt.name, c.ID, r.Categories, tt.wantCounty, tt.wantCats)
		}
	}
}

func TestOnlyACountyAdminDecidesAndOnlyOnce(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	r, _, err := svc.RequestExpert(ctx, consult.ExpertRequestInput{Person: consult.Person{ID: 5, Name: "李"}, Args: []string{"水稻"}, UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.DecideExpert(ctx, r.ID, 9002, true, nil); !errors.Is(err, consult.ErrNotAdmin) {
		t.Errorf("another county's admin: err = %v, want ErrNotAdmin", err)
	}
	if _, _, err := svc.DecideExpert(ctx, r.ID, adminID, true, nil); err != nil {
		t.Fatalf("approve: %v", err)
	}
	got, _, err := svc.DecideExpert(ctx, r.ID, adminID, false, nil)
	if !errors.Is(err, consult.ErrAlreadyDecided) || got.Status != store.RequestApproved {
		t.Errorf("second decision: %v, status %s; want ErrAlreadyDecided and still approved", err, got.Status)
	}
	e, err := b.db.Expert(ctx, "yuqing", 5)
	if err != nil || !e.OnDuty || fmt.Sprint(e.Categories) != "[rice]" {
		t.Errorf("expert = %+v, %v; want on duty for rice", e, err)
	}
}

func TestAskRoutesQueuesAndFindsOnDutyExperts(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 12, "tea")
	res := bindAndAsk(t, svc, "  种植的水稻出现卷叶现象怎么处理?  ")
	if res.Category.ID != "rice" || res.Question.Text != "种植的水稻出现卷叶现象怎么处理?" || res.Question.Township != "白泥镇" {
		t.Errorf("question = %+v in %s, want trimmed rice question from 白泥镇", res.Question, res.Category.ID)
	}
	if len(res.Experts) != 1 || res.Experts[0].UserID != 11 {
		t.Errorf("experts = %+v, want only the rice expert", res.Experts)
	}
	entries, total, err := b.queue.Peek(ctx, "yuqing", []string{"rice"}, 10)
	if err != nil || total != 1 || entries[0].QuestionID != res.Question.ID {
		t.Errorf("rice queue = %+v (%d), %v; want the question", entries, total, err)
	}
}

func TestAskRejectsEmptyTextAndUnboundGroups(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	_, err := svc.Ask(ctx, consult.AskInput{ChatID: -5, Text: "水稻", UpdateID: nextUpdate()}, nil)
	if !errors.Is(err, consult.ErrGroupNotBound) {
		t.Errorf("unbound group: err = %v, want ErrGroupNotBound", err)
	}
	bindAndAsk(t, svc, "水稻")
	_, err = svc.Ask(ctx, consult.AskInput{ChatID: -100, Text: "  ", UpdateID: nextUpdate()}, nil)
	if !errors.Is(err, consult.ErrEmptyQuestion) {
		t.Errorf("empty text: err = %v, want ErrEmptyQuestion", err)
	}
}

func TestARedeliveredQuestionIsStoredOnce(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	bindAndAsk(t, svc, "水稻卷叶")
	in := consult.AskInput{ChatID: -100, MessageID: 8, Farmer: consult.Person{ID: 1, Name: "农户"}, Text: "茶树发黄", UpdateID: 777777}
	if _, err := svc.Ask(ctx, in, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ask(ctx, in, nil); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("redelivery: err = %v, want ErrDuplicate", err)
	}
	open, err := b.db.OpenQuestions(ctx)
	if err != nil || len(open) != 2 {
		t.Errorf("open questions = %d, %v; want 2", len(open), err)
	}
}

// TestExactlyOneOfManyConcurrentClaimsWins races twenty experts on one question.
func TestExactlyOneOfManyConcurrentClaimsWins(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	const n = 20
	for i := range n {
		addExpert(t, svc, int64(100+i), "rice")
	}
	q := bindAndAsk(t, svc, "水稻卷叶").Question

	start := make(chan struct{})
	results := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			<-start
			_, err := svc.Claim(ctx, q.ID, id, nil)
			results <- err
		}(int64(100 + i))
	}
	close(start)
	wg.Wait()
	close(results)
	won, taken := 0, 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case errors.Is(err, consult.ErrTaken):
			taken++
		default:
			t.Errorf("claim: unexpected err %v", err)
		}
	}
	if won != 1 || taken != n-1 {
		t.Errorf("won %d, taken %d; want 1 and %d", won, taken, n-1)
	}
	if _, total, _ := b.queue.Peek(ctx, "yuqing", []string{"rice"}, 10); total != 0 {
		t.Errorf("queue still holds %d questions after the claim", total)
	}
}

func TestClaimAndAnswerRules(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 12, "tea")
	addExpert(t, svc, 13, "rice")
	q := bindAndAsk(t, svc, "水稻卷叶").Question
	answer := func(user int64, text string) error {
		_, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: user}, Text: text, UpdateID: nextUpdate()}, nil)
		return err
	}

	if _, err := svc.Claim(ctx, q.ID, 12, nil); !errors.Is(err, consult.ErrNotExpert) {
		t.Errorf("a tea expert claiming rice: err = %v, want ErrNotExpert", err)
	}
	if _, err := svc.Claim(ctx, q.ID, 1, nil); !errors.Is(err, consult.ErrNotExpert) {
		t.Errorf("a farmer claiming: err = %v, want ErrNotExpert", err)
	}
	if _, err := svc.Claim(ctx, 999, 11, nil); !errors.Is(err, consult.ErrNoSuchQuestion) {
		t.Errorf("claiming a missing question: err = %v, want ErrNoSuchQuestion", err)
	}
	if err := answer(11, "先认领"); !errors.Is(err, consult.ErrNotHolder) {
		t.Errorf("answering before claiming: err = %v, want ErrNotHolder", err)
	}
	if _, err := svc.Claim(ctx, q.ID, 11, nil); err != nil {
		t.Fatalf("claim: %v", err)
	}
	if _, err := svc.Claim(ctx, q.ID, 11, nil); !errors.Is(err, consult.ErrAlreadyYours) {
		t.Errorf("claiming twice: err = %v, want ErrAlreadyYours", err)
	}
	res, err := svc.Claim(ctx, q.ID, 13, nil)
	if !errors.Is(err, consult.ErrTaken) || res.Holder.UserID != 11 {
		t.Errorf("claiming a held question: %v, holder %d; want ErrTaken by 11", err, res.Holder.UserID)
	}
	if err := answer(13, "我来答"); !errors.Is(err, consult.ErrNotHolder) {
		t.Errorf("answering someone else's claim: err = %v, want ErrNotHolder", err)
	}
	if err := answer(11, "   "); !errors.Is(err, consult.ErrEmptyAnswer) {
		t.Errorf("empty answer: err = %v, want ErrEmptyAnswer", err)
	}
	if err := answer(11, "喷施氯虫苯甲酰胺"); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if err := answer(11, "再答一次"); !errors.Is(err, consult.ErrAlreadyAnswered) {
		t.Errorf("answering twice: err = %v, want ErrAlreadyAnswered", err)
	}
	got, err := b.db.Question(ctx, q.ID)
	if err != nil || got.Status != store.StatusAnswered || !got.AskedAt.Before(got.ClaimedAt) || !got.ClaimedAt.Before(got.AnsweredAt) {
		t.Errorf("archived = %+v, %v; want answered with asked < claimed < answered", got, err)
	}
}

func TestQueueListsOpenQuestionsOfMyCategoriesOldestFirst(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice", "tea")
	addExpert(t, svc, 12, "tea")
	first := bindAndAsk(t, svc, "水稻卷叶").Question
	second := bindAndAsk(t, svc, "茶树发黄").Question
	third := bindAndAsk(t, svc, "秧苗发黄 水稻").Question
	if _, err := svc.Claim(ctx, third.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	items, total, err := svc.Queue(ctx, 11, 10)
	if err != nil || total != 2 || len(items) != 2 || items[0].Question.ID != first.ID || items[1].Question.ID != second.ID {
		t.Errorf("queue of 11 = %+v (%d), %v; want #%d then #%d", items, total, err, first.ID, second.ID)
	}
	items, _, err = svc.Queue(ctx, 12, 10)
	if err != nil || len(items) != 1 || items[0].Question.ID != second.ID {
		t.Errorf("queue of 12 = %+v, %v; want only the tea question", items, err)
	}
	if _, _, err := svc.Queue(ctx, 1, 10); !errors.Is(err, consult.ErrNotExpert) {
		t.Errorf("a farmer's queue: err = %v, want ErrNotExpert", err)
	}
}

func TestReconcileQueuesMakesRedisAgreeWithPostgres(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	open := bindAndAsk(t, svc, "水稻卷叶").Question
	claimed := bindAndAsk(t, svc, "秧苗 水稻").Question
	if _, err := svc.Claim(ctx, claimed.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	// Redis forgot the open question and wrongly holds the claimed one.
	if err := b.queue.Remove(ctx, "yuqing", "rice", open.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.queue.Push(ctx, "yuqing", store.Entry{QuestionID: claimed.ID, Category: "rice", AskedAt: claimed.AskedAt}); err != nil {
		t.Fatal(err)
	}
	if err := svc.ReconcileQueues(ctx); err != nil {
		t.Fatal(err)
	}
	entries, total, err := b.queue.Peek(ctx, "yuqing", []string{"rice", "tea", "general"}, 10)
	if err != nil || total != 1 || entries[0].QuestionID != open.ID || !entries[0].AskedAt.Equal(open.AskedAt.Truncate(time.Millisecond)) {
		t.Errorf("reconciled queues = %+v (%d), %v; want only the open question, in its place", entries, total, err)
	}
}

func TestTheSameWordsSoonAfterAreTheSameQuestion(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	first := bindAndAsk(t, svc, "水稻  卷叶怎么办")
	ask := func(text string) (consult.AskResult, error) {
		return svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: 9, Farmer: consult.Person{ID: 1, Name: "农户"}, Text: text, UpdateID: nextUpdate()}, nil)
	}
	res, err := ask("水稻 卷叶怎么办")
	if !errors.Is(err, consult.ErrRepeated) || res.Question.ID != first.Question.ID {
		t.Errorf("repeat: %v, #%d; want ErrRepeated pointing at #%d", err, res.Question.ID, first.Question.ID)
	}
	b.clock.advance(consult.DefaultLimits.Repeat)
	if _, err := ask("水稻 卷叶怎么办"); err != nil {
		t.Errorf("the same words after the repeat window: %v, want a new question", err)
	}
}

func TestAFarmerWhoFloodsIsToldToWait(t *testing.T) {
	t.Parallel()
	counties, err := consult.ParseCounties([]byte(testCounties), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := storetest.NewRedis(t)
	db := store.NewDB(storetest.NewPool(t))
	svc := consult.NewService(db, store.NewQueue(rdb, prefix), counties, consult.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Quota:  store.NewQuota(rdb, prefix),
		Limits: &consult.Limits{Questions: 3, Window: time.Minute},
	})
	ctx := context.Background()
	if err := svc.SaveCounties(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bind(ctx, -100, "群", adminID, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		res, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: int64(i), Farmer: consult.Person{ID: 1}, Text: fmt.Sprintf("水稻问题 %d", i), UpdateID: nextUpdate()}, nil)
		switch {
		case i < 3 && err != nil:
			t.Errorf("question %d: %v, want it stored", i, err)
		case i == 3 && (!errors.Is(err, consult.ErrTooManyQuestions) || res.RetryIn <= 0 || res.RetryIn > time.Minute):
			t.Errorf("question %d: %v (retry in %v), want ErrTooManyQuestions within a minute", i, err, res.RetryIn)
		}
	}
	if open, _ := db.OpenQuestions(ctx); len(open) != 3 {
		t.Errorf("%d questions stored, want 3", len(open))
	}
}

func TestARedeliveredAnswerChangesNothingAndSaysNothing(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	q := bindAndAsk(t, svc, "水稻卷叶").Question
	if _, err := svc.Claim(ctx, q.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	in := consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: 11}, Text: "喷药", UpdateID: nextUpdate()}
	if _, err := svc.Answer(ctx, in, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Answer(ctx, in, nil); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("redelivered answer: err = %v, want ErrDuplicate (not ErrAlreadyAnswered)", err)
	}
}

func TestReleaseIsForTheHolderAndReopensTheQuestion(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 13, "rice")
	q := bindAndAsk(t, svc, "水稻卷叶").Question
	if _, err := svc.Claim(ctx, q.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Release(ctx, q.ID, 13, nil); !errors.Is(err, consult.ErrNotHolder) {
		t.Errorf("release by another expert: %v, want ErrNotHolder", err)
	}
	if held, err := svc.Mine(ctx, 11); err != nil || len(held) != 1 {
		t.Errorf("mine = %d, %v; want the one claimed", len(held), err)
	}
	if _, err := svc.Release(ctx, q.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := b.db.Question(ctx, q.ID)
	if got.Status != store.StatusOpen || got.ExpertID != 0 || !got.ClaimedAt.IsZero() {
		t.Errorf("released question = %+v, want open and unclaimed", got)
	}
	if _, total, _ := b.queue.Peek(ctx, "yuqing", []string{"rice"}, 10); total != 1 {
		t.Errorf("queue holds %d, want the released question back", total)
	}
	if _, err := svc.Claim(ctx, q.ID, 13, nil); err != nil {
		t.Errorf("claim after release: %v", err)
	}
	if err := svc.SetDuty(ctx, 1, false); !errors.Is(err, consult.ErrNotExpert) {
		t.Errorf("a farmer's /duty: %v, want ErrNotExpert", err)
	}
}

func TestAClaimNotAnsweredWithinTheLeaseGoesBackToTheQueue(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 13, "rice")
	q := bindAndAsk(t, svc, "水稻卷叶").Question
	if _, err := svc.Claim(ctx, q.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	var got []consult.ExpiredClaim
	collect := func(e consult.ExpiredClaim) []store.Message { got = append(got, e); return nil }
	if n, err := svc.ExpireClaims(ctx, 30*time.Minute, collect); err != nil || n != 0 {
		t.Fatalf("before the lease ends: released %d, %v; want none", n, err)
	}
	b.clock.advance(31 * time.Minute)
	if n, err := svc.ExpireClaims(ctx, 30*time.Minute, collect); err != nil || n != 1 {
		t.Fatalf("after the lease: released %d, %v; want 1", n, err)
	}
	if len(got) != 1 || got[0].Holder.UserID != 11 || len(got[0].Experts) != 1 || got[0].Experts[0].UserID != 13 {
		t.Errorf("expired claim = %+v; want holder 11 told and only expert 13 offered it", got)
	}
	if cur, _ := b.db.Question(ctx, q.ID); cur.Status != store.StatusOpen {
		t.Errorf("question is %s, want open", cur.Status)
	}
	if _, total, _ := b.queue.Peek(ctx, "yuqing", []string{"rice"}, 10); total != 1 {
		t.Errorf("queue holds %d, want the question back", total)
	}
}

func TestAQuestionUnclaimedPastTheSLAIsPushedAgainOnce(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	late := bindAndAsk(t, svc, "水稻卷叶").Question
	claimed := bindAndAsk(t, svc, "秧苗 水稻").Question
	if _, err := svc.Claim(ctx, claimed.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	var pushed []int64
	collect := func(r consult.AskResult) []store.Message {
		if len(r.Experts) != 1 || r.Experts[0].UserID != 11 {
			t.Errorf("re-push of #%d goes to %+v, want the on-duty rice expert", r.Question.ID, r.Experts)
		}
		pushed = append(pushed, r.Question.ID)
		return nil
	}
	if n, _ := svc.RepushUnclaimed(ctx, 15*time.Minute, collect); n != 0 {
		t.Errorf("before the SLA: pushed %d again, want 0", n)
	}
	b.clock.advance(16 * time.Minute)
	for range 2 {
		if _, err := svc.RepushUnclaimed(ctx, 15*time.Minute, collect); err != nil {
			t.Fatal(err)
		}
	}
	if len(pushed) != 1 || pushed[0] != late.ID {
		t.Errorf("pushed again %v, want only #%d, once", pushed, late.ID)
	}
}

func TestAClaimLostInRedisNamesTheWinnerWithoutTouchingTheQuestion(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 13, "rice")
	q := bindAndAsk(t, svc, "水稻卷叶").Question
	// Expert 11 has won the race and is storing the claim.
	if h, _, err := b.queue.Arbitrate(ctx, q.ID, 11, time.Minute); err != nil || h != 11 {
		t.Fatalf("arbitrate = %d, %v", h, err)
	}
	// Before the winner has named themselves, the loser learns only that it is taken.
	if res, err := svc.Claim(ctx, q.ID, 13, nil); !errors.Is(err, consult.ErrTaken) || res.Holder.UserID != 11 {
		t.Errorf("claim by 13 before naming = %d, %v; want ErrTaken by 11", res.Holder.UserID, err)
	}
	if err := b.queue.Claimed(ctx, "yuqing", "rice", q.ID, 11, "李专家"); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Claim(ctx, q.ID, 13, nil)
	if !errors.Is(err, consult.ErrTaken) || res.Holder.UserID != 11 || res.Holder.Name != "李专家" {
		t.Errorf("claim by 13 = holder %d %q, %v; want ErrTaken naming 11", res.Holder.UserID, res.Holder.Name, err)
	}
	if got, _ := b.db.Question(ctx, q.ID); got.Status != store.StatusOpen {
		t.Errorf("question is %s after a lost race, want still open for the winner to store", got.Status)
	}
	if _, err := svc.Claim(ctx, q.ID, 11, nil); err != nil {
		t.Errorf("the winner's own claim: %v", err)
	}
	if got, _ := b.db.Question(ctx, q.ID); got.Status != store.StatusClaimed || got.ExpertID != 11 {
		t.Errorf("question = %s by %d, want claimed by 11", got.Status, got.ExpertID)
	}
}

func TestWithoutRedisPostgresStillLetsExactlyOneClaimWin(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	for i := range 8 {
		addExpert(t, svc, int64(100+i), "rice")
	}
	q := bindAndAsk(t, svc, "水稻卷叶").Question
	gone := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { gone.Close() })
	cut := consult.NewService(b.db, store.NewQueue(gone, "gone:"), b.counties,
		consult.Options{Now: b.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cut.Claim(ctx, q.ID, int64(100+i), nil)
			if err != nil && !errors.Is(err, consult.ErrTaken) {
				t.Errorf("claim: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won++
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d claims won without Redis, want exactly 1", won)
	}
}

func TestClaimsStoredTogetherEachGetTheirOwnQuestionEventAndMessages(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	const n = 24
	var ids []int64
	for i := range n {
		addExpert(t, svc, int64(200+i), "rice")
		ids = append(ids, bindAndAsk(t, svc, fmt.Sprintf("水稻卷叶 第%d块田", i)).Question.ID)
	}
	// Each claim renders two messages, the second waiting for the first: stored in one
	// transaction with the others', each must still wait for its own first message.
	render := func(res consult.ClaimResult) []store.Message {
		chat := res.Holder.UserID
		return []store.Message{
			{ChatID: chat, Method: store.MethodSend, Text: fmt.Sprintf("card %d", res.Question.ID)},
			{ChatID: -chat, Method: store.MethodSend, Text: fmt.Sprintf("note %d", res.Question.ID), After: 1},
		}
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := svc.Claim(ctx, ids[i], int64(200+i), render)
			if err != nil || res.Question.ExpertID != int64(200+i) || res.Holder.UserID != int64(200+i) {
				t.Errorf("claim %d by %d = %d, %v", ids[i], 200+i, res.Question.ExpertID, err)
			}
		}()
	}
	wg.Wait()
	var events, pairs int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM question_events WHERE kind = 'claimed' AND question_id = ANY ($1)
		AND actor_id = (SELECT expert_id FROM questions WHERE id = question_id)`, ids).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM outbox n JOIN outbox c ON c.id = n.after_id
		WHERE n.text LIKE 'note %' AND c.text = 'card ' || substr(n.text, 6) AND c.chat_id = -n.chat_id`).Scan(&pairs); err != nil {
		t.Fatal(err)
	}
	if events != n || pairs != n {
		t.Errorf("%d claimed events and %d note-after-card pairs, want %d of each", events, pairs, n)
	}
}

func TestQuestionsAskedTogetherAreEachStoredOnceWithTheirOwnNumber(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	if _, _, err := svc.Bind(ctx, -100, "白泥村", adminID, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	const n = 30
	updates := make([]int64, n)
	for i := range updates {
		updates[i] = nextUpdate()
	}
	ask := func(i int) (consult.AskResult, error) {
		return svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: int64(500 + i), UpdateID: updates[i],
			Farmer: consult.Person{ID: int64(7000 + i), Name: "农户"}, Text: fmt.Sprintf("水稻卷叶 第%d块田", i)}, nil)
	}
	// Each update arrives twice at once (two instances polling through a failover).
	var wg sync.WaitGroup
	var mu sync.Mutex
	numbers := map[int64]int{}
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := ask(i / 2)
			if errors.Is(err, store.ErrDuplicate) {
				return
			}
			if err != nil || res.Question.FarmerID != int64(7000+i/2) || res.Question.MessageID != int64(500+i/2) {
				t.Errorf("ask %d = %+v, %v", i/2, res.Question, err)
			}
			mu.Lock()
			numbers[res.Question.ID]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(numbers) != n {
		t.Errorf("%d numbers for %d questions", len(numbers), n)
	}
	for id, times := range numbers {
		if times != 1 {
			t.Errorf("question #%d reported stored %d times", id, times)
		}
	}
	// Telegram delivers the same updates again: nothing is stored twice.
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ask(i); !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("redelivered ask %d: %v, want ErrDuplicate", i, err)
			}
		}()
	}
	wg.Wait()
	var stored, asked int
	b.pool.QueryRow(ctx, `SELECT count(*), (SELECT count(*) FROM question_events WHERE kind = 'asked') FROM questions`).Scan(&stored, &asked)
	if _, queued, _ := b.queue.Peek(ctx, "yuqing", []string{"rice"}, 1); stored != n || asked != n || queued != n {
		t.Errorf("%d stored, %d asked events, %d queued; want %d of each", stored, asked, queued, n)
	}
}

func TestADoublePressClaimsOnceAndSaysItIsYours(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	q := bindAndAsk(t, svc, "水稻卷叶").Question
	card := func(res consult.ClaimResult) []store.Message {
		return []store.Message{{ChatID: 11, Method: store.MethodSend, Text: "card"}}
	}
	var wg sync.WaitGroup
	results := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Claim(ctx, q.ID, 11, card)
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, consult.ErrAlreadyYours):
			t.Errorf("a repeated press: %v, want ErrAlreadyYours", err)
		}
	}
	if won != 1 {
		t.Errorf("%d presses claimed it, want 1", won)
	}
}

func TestAskManyGivesEachQuestionOfABatchTheOutcomeAskWould(t *testing.T) {
	t.Parallel()
	svc, b := setup(t, func(o *consult.Options) {
		rdb, prefix := storetest.NewRedis(t)
		o.Quota = store.NewQuota(rdb, prefix)
		o.Limits = &consult.Limits{Questions: 2, Window: time.Minute, Repeat: time.Hour, Pushes: 1, PushWindow: time.Hour}
	})
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 12, "rice")
	addExpert(t, svc, 13, "tea")
	for chat, township := range map[int64]string{-100: "白泥镇", -200: "龙溪镇"} {
		if _, _, err := svc.Bind(ctx, chat, "群", adminID, township, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Asked earlier: it uses up the rice experts' one push of the window.
	firstUpdate := nextUpdate()
	first, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: 1, Farmer: consult.Person{ID: 1}, Text: "水稻 卷叶怎么办", UpdateID: firstUpdate}, nil)
	if err != nil || len(first.Experts) != 2 {
		t.Fatalf("first question: %v, pushed to %d experts; want both rice experts", err, len(first.Experts))
	}
	twice := nextUpdate()
	in := func(chat, farmer int64, text string, update int64) consult.AskInput {
		return consult.AskInput{ChatID: chat, MessageID: update, Farmer: consult.Person{ID: farmer}, Text: text, UpdateID: update}
	}
	batch := []consult.AskInput{
		in(-100, 1, "水稻  卷叶怎么办", nextUpdate()),                                // 0: the same words again
		in(-300, 2, "水稻", nextUpdate()),                                       // 1: a chat never bound
		in(-200, 2, "   ", nextUpdate()),                                      // 2: nothing asked
		in(-200, 2, "水稻稻瘟病", twice),                                           // 3: stored
		in(-200, 2, "水稻稻瘟病", twice),                                           // 4: the same update twice in the batch
		in(-100, 1, "水稻 卷叶怎么办", firstUpdate),                                  // 5: redelivered
		in(-100, 3, strings.Repeat("稻", consult.MaxQuestion+1), nextUpdate()), // 6: too long
		in(-100, 4, "水稻问题一", nextUpdate()),                                    // 7: stored
		in(-200, 4, "茶叶问题二", nextUpdate()),                                    // 8: stored, tea
		in(-100, 4, "水稻问题三", nextUpdate()),                                    // 9: farmer 4's third in a minute
	}
	out := svc.AskMany(ctx, batch, nil)
	want := []error{consult.ErrRepeated, consult.ErrGroupNotBound, consult.ErrEmptyQuestion, nil, store.ErrDuplicate,
		store.ErrDuplicate, consult.ErrTooLong, nil, nil, consult.ErrTooManyQuestions}
	if len(out) != len(batch) {
		t.Fatalf("%d outcomes for %d questions", len(out), len(batch))
	}
	for i, o := range out {
		if !errors.Is(o.Err, want[i]) || (want[i] == nil) != (o.Err == nil) {
			t.Errorf("question %d: %v, want %v", i, o.Err, want[i])
		}
	}
	if out[0].Result.Question.ID != first.Question.ID {
		t.Errorf("the repeat points at #%d, want #%d", out[0].Result.Question.ID, first.Question.ID)
	}
	if out[9].Result.RetryIn <= 0 {
		t.Errorf("the flood is told to wait %v", out[9].Result.RetryIn)
	}
	stored := map[int64]bool{}
	for _, i := range []int{3, 7, 8} {
		q := out[i].Result.Question
		if q.ID == 0 || q.FarmerID != batch[i].Farmer.ID || q.Text != batch[i].Text || stored[q.ID] {
			t.Errorf("question %d stored as %+v", i, q)
		}
		stored[q.ID] = true
	}
	if cat := out[8].Result.Category.ID; cat != "tea" || len(out[8].Result.Experts) != 1 {
		t.Errorf("the tea question went to %s, pushed to %d; want tea, pushed to its expert", cat, len(out[8].Result.Experts))
	}
	// The rice experts had their push: the batch's rice questions wait in their bundles,
	// one row per expert for the whole batch.
	for _, i := range []int{3, 7} {
		if r := out[i].Result; len(r.Experts) != 0 || len(r.Bundled) != 2 {
			t.Errorf("question %d: pushed to %d, bundled for %d; want 0 and 2", i, len(r.Experts), len(r.Bundled))
		}
	}
	var rows, counted int
	if err := b.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(questions), 0) FROM expert_bundle_items`).Scan(&rows, &counted); err != nil || rows != 2 || counted != 4 {
		t.Errorf("bundle rows %d counting %d (%v); want 2 rows counting 4", rows, counted, err)
	}
	var questions, asked int
	b.pool.QueryRow(ctx, `SELECT count(*), (SELECT count(*) FROM question_events WHERE kind = 'asked') FROM questions`).Scan(&questions, &asked)
	_, rice, _ := b.queue.Peek(ctx, "yuqing", []string{"rice"}, 1)
	_, tea, _ := b.queue.Peek(ctx, "yuqing", []string{"tea"}, 1)
	if questions != 4 || asked != 4 || rice != 3 || tea != 1 {
		t.Errorf("%d stored, %d asked events, %d rice and %d tea queued; want 4, 4, 3, 1", questions, asked, rice, tea)
	}
}

// In a batch, each question is pushed to the experts with pushes left and gathered for
// the others; questions that go to the same experts share their list, and one
// question's split must not show in another's.
func TestAskManySplitsEachQuestionsExpertsByTheirPushesLeft(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t, func(o *consult.Options) {
		rdb, prefix := storetest.NewRedis(t)
		o.Quota = store.NewQuota(rdb, prefix)
		o.Limits = &consult.Limits{Pushes: 1, PushWindow: time.Hour}
	})
	ctx := context.Background()
	addExpert(t, svc, 21, "rice", "tea")
	addExpert(t, svc, 22, "rice")
	if _, _, err := svc.Bind(ctx, -100, "群", adminID, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	// Expert 21's one push goes to a tea question.
	if r, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: 1, Farmer: consult.Person{ID: 1}, Text: "茶叶 有虫", UpdateID: nextUpdate()}, nil); err != nil || len(r.Experts) != 1 {
		t.Fatalf("tea question: %v, pushed to %d; want expert 21", err, len(r.Experts))
	}
	out := svc.AskMany(ctx, []consult.AskInput{
		{ChatID: -100, MessageID: 2, Farmer: consult.Person{ID: 2}, Text: "水稻 卷叶", UpdateID: nextUpdate()},
		{ChatID: -100, MessageID: 3, Farmer: consult.Person{ID: 3}, Text: "水稻 稻瘟病", UpdateID: nextUpdate()},
	}, nil)
	ids := func(es []store.Expert) []int64 {
		var out []int64
		for _, e := range es {
			out = append(out, e.UserID)
		}
		slices.Sort(out)
		return out
	}
	want := []struct{ push, bundle []int64 }{{[]int64{22}, []int64{21}}, {nil, []int64{21, 22}}}
	for i, o := range out {
		if o.Err != nil {
			t.Fatalf("question %d: %v", i, o.Err)
		}
		if p, d := ids(o.Result.Experts), ids(o.Result.Bundled); !slices.Equal(p, want[i].push) || !slices.Equal(d, want[i].bundle) {
			t.Errorf("question %d: pushed to %v, gathered for %v; want %v and %v", i, p, d, want[i].push, want[i].bundle)
		}
	}
}

// A batch's search entries may wait in the index's pending list (which every search
// reads whole) while a burst goes on; once it is over they are merged into the index.
func TestABatchsSearchEntriesAreMergedOnceTheBurstIsOver(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	var limit string
	if err := b.pool.QueryRow(ctx, `SELECT current_setting('gin_pending_list_limit')`).Scan(&limit); err != nil || limit != "64kB" {
		t.Errorf("the service's sessions have a pending list limit of %q (%v), want 64kB", limit, err)
	}
	if _, _, err := svc.Bind(ctx, -100, "群", adminID, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	out := svc.AskMany(ctx, []consult.AskInput{
		{ChatID: -100, MessageID: 2, Farmer: consult.Person{ID: 2}, Text: "水稻 卷叶", UpdateID: nextUpdate()},
		{ChatID: -100, MessageID: 3, Farmer: consult.Person{ID: 3}, Text: "水稻 稻瘟病", UpdateID: nextUpdate()},
	}, nil)
	for i, o := range out {
		if o.Err != nil {
			t.Fatalf("question %d: %v", i, o.Err)
		}
	}
	svc.Settle()
	var pages int64
	if err := b.pool.QueryRow(ctx, `SELECT gin_clean_pending_list('question_search_in_time'::regclass)`).Scan(&pages); err != nil || pages != 0 {
		t.Errorf("after the burst %d pages were still pending (%v), want 0", pages, err)
	}
	if err := b.pool.QueryRow(ctx, `SELECT current_setting('gin_pending_list_limit')`).Scan(&limit); err != nil || limit != "64kB" {
		t.Errorf("after the batch a session's pending list limit is %q (%v), want 64kB", limit, err)
	}
	res, err := svc.Search(ctx, []string{"yuqing"}, consult.SearchInput{Text: "稻瘟病"})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].Question.ID != out[1].Result.Question.ID {
		t.Errorf("search for 稻瘟病 after the burst: %+v, %v; want question %d", res.Hits, err, out[1].Result.Question.ID)
	}
}

func TestQuestionsAskedTogetherGetTheirEarlierAnswersOnceStored(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	first := askedAndAnswered(t, svc, "水稻叶子发黄怎么办", "多半是缺氮，追施尿素")
	if _, _, err := svc.Bind(ctx, -200, "群", adminID, "龙溪镇", nil); err != nil {
		t.Fatal(err)
	}
	ack := func(r consult.AskResult) []store.Message {
		text := fmt.Sprintf("#%d 已收到", r.Question.ID)
		for _, s := range r.Similar {
			text += fmt.Sprintf(" 类似 #%d：%s", s.Question.ID, s.Answer.Text)
		}
		return []store.Message{{ChatID: r.Question.ChatID, Method: store.MethodSend, Text: text,
			Remember: store.BotMessage{Kind: store.MessageAck, RefID: r.Question.ID}}}
	}
	out := svc.AskMany(ctx, []consult.AskInput{
		{ChatID: -100, MessageID: 20, Farmer: consult.Person{ID: 2}, Text: "水稻叶片变黄了是什么原因", UpdateID: nextUpdate()},
		{ChatID: -200, MessageID: 21, Farmer: consult.Person{ID: 3}, Text: "水稻叶子变黄", UpdateID: nextUpdate()},
	}, ack)
	svc.Settle()
	for i, o := range out {
		if o.Err != nil {
			t.Fatalf("question %d: %v", i, o.Err)
		}
		var texts []string
		rows, _ := b.pool.Query(ctx, `SELECT text FROM outbox WHERE chat_id = $1 AND remember_ref = $2`, o.Result.Question.ChatID, o.Result.Question.ID)
		for rows.Next() {
			var s string
			rows.Scan(&s)
			texts = append(texts, s)
		}
		rows.Close()
		want := fmt.Sprintf("类似 #%d：多半是缺氮", first.ID)
		if len(texts) != 1 || !strings.Contains(texts[0], want) {
			t.Errorf("question %d: outbox %q, want one acknowledgement with %q", i, texts, want)
		}
		if q, err := b.db.Question(ctx, o.Result.Question.ID); err != nil || fmt.Sprint(q.SimilarIDs) != fmt.Sprint([]int64{first.ID}) {
			t.Errorf("question %d recorded %v (%v), want [%d]", i, q.SimilarIDs, err, first.ID)
		}
	}
}

func TestEarlierAnswersOlderThanTwoYearsAreNotOffered(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	first := askedAndAnswered(t, svc, "水稻叶子发黄怎么办", "多半是缺氮")
	ask := func(farmer int64) consult.AskResult { return askAs(t, svc, farmer, "水稻叶片变黄了") }
	if res := ask(2); len(res.Similar) != 1 || res.Similar[0].Question.ID != first.ID {
		t.Fatalf("soon after: similar %+v, want #%d", res.Similar, first.ID)
	}
	b.clock.advance(2*365*24*time.Hour + 24*time.Hour)
	if res := ask(3); len(res.Similar) != 0 {
		t.Errorf("two years later: similar %+v, want none", res.Similar)
	}
}

// TestTheClaimShowsWhatTheQuestionsLookupFound: the earlier answers found when a question
// was asked are recorded, and the expert who claims it gets those, read by number, not a
// second search; a question never looked up is searched at the claim.
func TestTheClaimShowsWhatTheQuestionsLookupFound(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	first := askedAndAnswered(t, svc, "水稻叶子发黄怎么办", "多半是缺氮")
	ask := func(farmer int64) store.Question { return askAs(t, svc, farmer, "水稻叶片变黄了").Question }
	second, third := ask(2), ask(3)
	if got, err := b.db.Question(ctx, second.ID); err != nil || fmt.Sprint(got.SimilarIDs) != fmt.Sprint([]int64{first.ID}) {
		t.Fatalf("#%d recorded %v (%v), want [%d]", second.ID, got.SimilarIDs, err, first.ID)
	}
	claim := func(q store.Question, expert int64) []consult.SimilarAnswer {
		t.Helper()
		res, err := svc.Claim(ctx, q.ID, expert, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Similar
	}
	if sim := claim(second, 11); len(sim) != 1 || sim[0].Question.ID != first.ID || sim[0].Answer.Text != "多半是缺氮" {
		t.Errorf("claim of #%d shows %+v, want #%d with its answer", second.ID, sim, first.ID)
	}
	// What was recorded is what the claim shows: a recorded "none" is not searched again,
	// and a question never looked up is.
	if _, err := b.pool.Exec(ctx, `UPDATE questions SET similar_ids = '{}' WHERE id = $1`, third.ID); err != nil {
		t.Fatal(err)
	}
	addExpert(t, svc, 12, "rice")
	if sim := claim(third, 12); len(sim) != 0 {
		t.Errorf("claim of #%d with none recorded shows %+v", third.ID, sim)
	}
	fourth := ask(4)
	if _, err := b.pool.Exec(ctx, `UPDATE questions SET similar_ids = NULL WHERE id = $1`, fourth.ID); err != nil {
		t.Fatal(err)
	}
	addExpert(t, svc, 13, "rice")
	if sim := claim(fourth, 13); len(sim) != 1 || sim[0].Question.ID != first.ID {
		t.Errorf("claim of #%d never looked up shows %+v, want #%d", fourth.ID, sim, first.ID)
	}
}

// askedAndAnswered binds the group, asks text there, and has expert 11, of rice, added,
// claim it and answer it.
func askedAndAnswered(t *testing.T, svc *consult.Service, text, answer string) store.Question {
	t.Helper()
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	q := bindAndAsk(t, svc, text).Question
	if _, err := svc.Claim(ctx, q.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: 11}, Text: answer, UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	return q
}

// askAs asks text in the bound group as the farmer.
func askAs(t *testing.T, svc *consult.Service, farmer int64, text string) consult.AskResult {
	t.Helper()
	res, err := svc.Ask(context.Background(), consult.AskInput{ChatID: -100, MessageID: farmer, Farmer: consult.Person{ID: farmer}, Text: text, UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
