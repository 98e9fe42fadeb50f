package consult_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// claimWatch records every Redis command that names a question's claim mark, the state
// of the claim race.
type claimWatch struct {
	mu   sync.Mutex
	seen []string
}

func (w *claimWatch) note(cmd redis.Cmder) {
	for _, a := range cmd.Args() {
		if s, ok := a.(string); ok && strings.Contains(s, "{claim:") {
			w.mu.Lock()
			w.seen = append(w.seen, cmd.Name()+" "+s)
			w.mu.Unlock()
		}
	}
}

func (w *claimWatch) DialHook(next redis.DialHook) redis.DialHook { return next }

func (w *claimWatch) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		w.note(cmd)
		return next(ctx, cmd)
	}
}

func (w *claimWatch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			w.note(cmd)
		}
		return next(ctx, cmds)
	}
}

// take returns what was seen since the last call.
func (w *claimWatch) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := w.seen
	w.seen = nil
	return seen
}

// TestAClaimFromSomeoneWhoMayNotClaimLeavesTheRaceAlone: a press of Claim by anyone but
// an approved expert of the question's county and category is refused before the Redis
// race, so it can never hold the question's mark for a moment and make a real expert see
// "taken"; the real expert's claim after it wins as usual.
func TestAClaimFromSomeoneWhoMayNotClaimLeavesTheRaceAlone(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 12, "tea")
	r, _, err := svc.RequestExpert(ctx, consult.ExpertRequestInput{Person: consult.Person{ID: 13, Name: "湄潭 专家"},
		Args: []string{"meitan", "茶叶"}, UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.DecideExpert(ctx, r.ID, 9002, true, nil); err != nil {
		t.Fatal(err)
	}
	q := bindAndAsk(t, svc, "水稻卷叶").Question

	// The same archive and queues, seen through a Redis client that reports every
	// command on a claim mark.
	rdb, prefix := storetest.NewRedis(t)
	watch := &claimWatch{}
	rdb.AddHook(watch)
	watched := consult.NewService(b.db, store.NewQueue(rdb, prefix), b.counties, consult.Options{Now: b.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	for _, tt := range []struct {
		name string
		user int64
	}{
		{"the farmer", 1},
		{"an expert of another category", 12},
		{"an expert of another county", 13},
		{"an admin of another county", 9002},
		{"the county's own admin, who is no expert", adminID},
		{"someone unknown", 4242},
	} {
		if _, err := watched.Claim(ctx, q.ID, tt.user, nil); !errors.Is(err, consult.ErrNotExpert) {
			t.Errorf("%s: claim = %v, want ErrNotExpert", tt.name, err)
		}
		if seen := watch.take(); len(seen) > 0 {
			t.Errorf("%s: the refused press touched the claim race: %q", tt.name, seen)
		}
	}
	res, err := watched.Claim(ctx, q.ID, 11, nil)
	if err != nil || res.Holder.UserID != 11 {
		t.Fatalf("the rice expert's claim = %+v, %v; want it won", res.Holder, err)
	}
	if seen := watch.take(); len(seen) == 0 {
		t.Error("the real claim was not raced for in Redis")
	}
	if got, _ := b.db.Question(ctx, q.ID); got.Status != store.StatusClaimed || got.ExpertID != 11 {
		t.Errorf("question = %s by %d, want claimed by 11", got.Status, got.ExpertID)
	}
}

// TestAGroupIsItsCountysAlone: an admin of another county can neither rebind a bound
// group nor change its language; the group's own admin can.
func TestAGroupIsItsCountysAlone(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	if err := svc.SetLanguage(ctx, -100, adminID, "en", nil); !errors.Is(err, consult.ErrGroupNotBound) {
		t.Errorf("the language of a group not bound: %v, want ErrGroupNotBound", err)
	}
	bindAndAsk(t, svc, "水稻卷叶")
	if g, county, err := svc.Bind(ctx, -100, "群", 9002, "湄江镇", nil); !errors.Is(err, consult.ErrBoundElsewhere) || county.ID != "yuqing" || g.Township != "白泥镇" {
		t.Errorf("another county's admin binding: %+v, %v; want ErrBoundElsewhere and the binding as it stands", g, err)
	}
	for _, who := range []int64{9002, 1, 11} {
		if err := svc.SetLanguage(ctx, -100, who, "en", nil); !errors.Is(err, consult.ErrNotAdmin) {
			t.Errorf("%d setting the group's language: %v, want ErrNotAdmin", who, err)
		}
	}
	if err := svc.SetLanguage(ctx, -100, adminID, "fr", nil); !errors.Is(err, consult.ErrUnknownLanguage) {
		t.Errorf("an unknown language: %v, want ErrUnknownLanguage", err)
	}
	if _, err := b.db.Language(ctx, -100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the group's language was set by someone refused: %v", err)
	}
	if err := svc.SetLanguage(ctx, 9002, 9002, "en", nil); err != nil {
		t.Errorf("a person's own language: %v", err)
	}
	if err := svc.SetLanguage(ctx, -100, adminID, "en", nil); err != nil {
		t.Errorf("the group's admin: %v", err)
	}
	if _, _, err := svc.Bind(ctx, -100, "群", adminID, "龙溪镇", nil); err != nil {
		t.Errorf("the group's own admin moving it to another township: %v", err)
	}
}
