package bot_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// guardBundle is a Guard on a real Postgres and Redis, each behind a proxy that a test
// can take down, around a handler that fails the updates the test names.
type guardBundle struct {
	guard   *bot.Guard
	db      *store.DB
	pg      *storetest.Proxy
	redis   *storetest.Proxy
	mu      sync.Mutex
	handled map[int]int // update id -> times the handler saw it
	fail    map[int]bool
	// failText, when set, is the error of the failing updates.
	failText string
}

func setupGuard(t *testing.T) *guardBundle {
	t.Helper()
	dbURL := storetest.NewDatabase(t)
	g := &guardBundle{pg: storetest.NewProxy(t, "127.0.0.1:5432"), handled: map[int]int{}, fail: map[int]bool{}}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = g.pg.Addr()
	g.db = store.NewDB(storetest.NewPoolAt(t, u.String()))
	rdb, _ := storetest.NewRedis(t)
	g.redis = storetest.NewProxy(t, rdb.Options().Addr)
	viaProxy := redis.NewClient(&redis.Options{Addr: g.redis.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = viaProxy.Close() })
	// The handler stands for the bot: it needs Redis as the real one does for a claim, and
	// it fails the updates in fail whatever the state of the stores.
	handle := func(ctx context.Context, us []bot.Update) []error {
		errs := make([]error, len(us))
		g.mu.Lock()
		defer g.mu.Unlock()
		for i, u := range us {
			g.handled[u.UpdateID]++
			if err := viaProxy.Ping(ctx).Err(); err != nil {
				errs[i] = err
			} else if g.fail[u.UpdateID] {
				errs[i] = errors.New("refused by the archive")
				if g.failText != "" {
					errs[i] = errors.New(g.failText)
				}
			}
		}
		return errs
	}
	healthy := func(ctx context.Context) error {
		return errors.Join(g.db.Ping(ctx), viaProxy.Ping(ctx).Err())
	}
	g.guard = bot.NewGuard(g.db, handle, healthy, func(context.Context, bot.Update) string { return "yuqing" },
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	g.guard.Now = func() time.Time { return time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC) }
	return g
}

func guardUpdates(ids ...int) []bot.Update {
	us := make([]bot.Update, len(ids))
	for i, id := range ids {
		us[i] = bot.Update{Update: tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{
			MessageID: id, Chat: &tgbotapi.Chat{ID: -int64(id), Type: "group"}, Text: "/help"}}}
		us[i].Raw = []byte(`{"update_id":1}`)
	}
	return us
}

func (g *guardBundle) deadCount(t *testing.T) int {
	t.Helper()
	dead, err := g.db.DeadUpdates(context.Background(), "yuqing", 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(dead)
}

func TestAnOutageSetsNothingAsideButAnUpdateThatKeepsFailingIsSetAside(t *testing.T) {
	t.Parallel()
	g := setupGuard(t)
	ctx := context.Background()
	batch := guardUpdates(1, 2, 3)

	// Redis away for twice MaxTries deliveries: every update fails, none counts.
	g.redis.Down()
	for range 2 * bot.MaxTries {
		for _, err := range g.guard.HandleMany(ctx, batch) {
			if err == nil {
				t.Fatal("an update succeeded without Redis")
			}
		}
	}
	g.redis.Up()
	// Postgres away: nothing can even be checked; nothing counts.
	g.pg.Down()
	for range 2 * bot.MaxTries {
		for _, err := range g.guard.HandleMany(ctx, batch) {
			if err == nil {
				t.Fatal("an update succeeded without Postgres")
			}
		}
	}
	g.pg.Up()
	if n := g.deadCount(t); n != 0 {
		t.Fatalf("%d updates set aside after an outage, want 0", n)
	}

	// Both back; update 2 fails every time while both answer.
	g.fail[2] = true
	for try := 1; try <= bot.MaxTries; try++ {
		errs := g.guard.HandleMany(ctx, batch)
		if errs[0] != nil || errs[2] != nil {
			t.Fatalf("try %d: the ordinary updates failed: %v", try, errs)
		}
		if setAside := errs[1] == nil; setAside != (try == bot.MaxTries) {
			t.Fatalf("try %d: update 2 set aside = %v, want it only at try %d", try, setAside, bot.MaxTries)
		}
	}
	if n := g.deadCount(t); n != 1 {
		t.Fatalf("%d updates set aside, want 1", n)
	}
	// Handled updates are not handled again when Telegram delivers them again, nor is the
	// one set aside.
	before := map[int]int{1: g.handled[1], 2: g.handled[2], 3: g.handled[3]}
	for _, err := range g.guard.HandleMany(ctx, append(batch, batch...)) {
		if err != nil {
			t.Fatalf("a redelivery failed: %v", err)
		}
	}
	for id, n := range before {
		if g.handled[id] != n {
			t.Errorf("update %d handled again on redelivery (%d times, was %d)", id, g.handled[id], n)
		}
	}
}

func TestTheSameUpdateTwiceInABatchIsHandledOnce(t *testing.T) {
	t.Parallel()
	g := setupGuard(t)
	batch := guardUpdates(7, 7, 8)
	for _, err := range g.guard.HandleMany(context.Background(), batch) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if g.handled[7] != 1 || g.handled[8] != 1 {
		t.Errorf("handled %v, want each once", g.handled)
	}
}

func TestAnUnreadableUpdateIsSetAsideAtOnce(t *testing.T) {
	t.Parallel()
	g := setupGuard(t)
	us := guardUpdates(9)
	us[0].Message, us[0].DecodeErr = nil, errors.New("json: cannot unmarshal string into Go value of type int")
	if errs := g.guard.HandleMany(context.Background(), us); errs[0] != nil {
		t.Fatalf("an unreadable update was not set aside: %v", errs[0])
	}
	if g.handled[9] != 0 {
		t.Error("an unreadable update reached the handler")
	}
	dead, err := g.db.DeadUpdates(context.Background(), "", 10)
	if err != nil || len(dead) != 1 || dead[0].Tries != 1 {
		t.Fatalf("dead updates %+v, %v: want the unreadable one after 1 try", dead, err)
	}
}

// TestAdminsHearOfUpdatesSetAsideOnceADayAtMost: the county's admins get one private
// notice with the count; more set aside the same day wait for the next day's notice.
func TestAdminsHearOfUpdatesSetAsideOnceADayAtMost(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	c := newClinicWithoutPolling(t, func(o *consult.Options, _ redis.UniversalClient, _ string) {
		o.Now = func() time.Time { return clock }
	})
	ctx := context.Background()
	setAside := func(id int64) {
		t.Helper()
		if _, err := c.db.RecordFailure(ctx, store.FailedUpdate{UpdateID: id, Raw: "{}", CountyID: "yuqing", Err: "refused"}, 1, clock); err != nil {
			t.Fatal(err)
		}
	}
	notices := func() int {
		var n int
		if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE chat_id = $1 AND text LIKE '%搁置%'`, c.admin.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	setAside(1)
	setAside(2)
	if told, err := c.bot.TellSetAside(ctx); err != nil || told != 1 {
		t.Fatalf("told %d counties, %v; want 1", told, err)
	}
	var text string
	if err := c.pool.QueryRow(ctx, `SELECT text FROM outbox WHERE chat_id = $1`, c.admin.ID).Scan(&text); err != nil || !strings.Contains(text, "有 2 条") {
		t.Fatalf("notice %q, %v; want the count of 2", text, err)
	}
	setAside(3)
	clock = clock.Add(23 * time.Hour)
	if told, err := c.bot.TellSetAside(ctx); err != nil || told != 0 || notices() != 1 {
		t.Fatalf("within the day: told %d, %v, %d notices; want none more", told, err, notices())
	}
	clock = clock.Add(time.Hour)
	if told, err := c.bot.TellSetAside(ctx); err != nil || told != 1 || notices() != 2 {
		t.Fatalf("a day later: told %d, %v, %d notices; want the second", told, err, notices())
	}
}

// TestALongErrorInChineseIsStoredCutBetweenCharacters: an error is cut to a length the
// archive keeps; cut inside a character it would be invalid UTF-8, Postgres would refuse
// the record, and the update would never be set aside.
func TestALongErrorInChineseIsStoredCutBetweenCharacters(t *testing.T) {
	g := setupGuard(t)
	g.fail[5] = true
	g.failText = "x" + strings.Repeat("触发器拒绝了这个问题", 40)
	var errs []error
	for range bot.MaxTries {
		errs = g.guard.HandleMany(context.Background(), guardUpdates(5))
	}
	if errs[0] != nil {
		t.Fatalf("not set aside after %d tries: %v", bot.MaxTries, errs[0])
	}
	dead, err := g.db.DeadUpdates(context.Background(), "yuqing", 10)
	if err != nil || len(dead) != 1 || !utf8.ValidString(dead[0].Err) || !strings.HasSuffix(dead[0].Err, "…") {
		t.Fatalf("dead updates %+v, %v; want one with its error cut between characters", dead, err)
	}
}
