package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/consult"
)

// benchClaims races claimers for open questions through the service, three at once for
// each question, and checks that every question went to exactly one of them. The peer
// is asynq, a Redis task queue, handing out the same number of tasks to as many workers.
// Each round asks its questions afresh, races for them, and then has asynq hand out its
// tasks.
func benchClaims(ctx context.Context, e *env, sz sizes) ([]result, error) {
	c := &e.counties[0]
	var cats []string
	for _, k := range c.Categories {
		cats = append(cats, k.ID)
	}
	// A kept database still holds an earlier run's experts and group (chat -9).
	for _, sql := range []string{`DELETE FROM experts`, `DELETE FROM groups WHERE chat_id = -9`} {
		if _, err := e.pool.Exec(ctx, sql); err != nil {
			return nil, err
		}
	}
	if err := forgetClaims(ctx, e); err != nil {
		return nil, err
	}
	if _, _, err := e.svc.Bind(ctx, -9, "抢单群", c.Admins[0], c.Townships[0], nil); err != nil {
		return nil, fmt.Errorf("bind: %w", err)
	}
	experts := make([][]any, sz.claimers)
	for i := range experts {
		experts[i] = []any{c.ID, int64(700_000 + i), "专家" + strconv.Itoa(i), cats, c.Admins[0], time.Now()}
	}
	if _, err := e.pool.CopyFrom(ctx, pgx.Identifier{"experts"}, []string{"county_id", "user_id", "name", "categories", "approved_by", "approved_at"},
		pgx.CopyFromRows(experts)); err != nil {
		return nil, err
	}
	// The last round's questions go when the race is done: on a kept database they would
	// be the newest of the county, and a search benchmark run next (ILIKE's walk down the
	// time index above all) would pass through them first.
	defer func() {
		if err := forgetClaims(context.WithoutCancel(ctx), e); err != nil {
			fmt.Fprintln(os.Stderr, "claims: removing the raced questions:", err)
		}
	}()
	var p99s []float64
	ours := func(round int) (float64, error) {
		rate, p99, err := claimRound(ctx, e, sz, round)
		p99s = append(p99s, msf(p99))
		return rate, err
	}
	peer := func(int) (float64, error) { return asynqRate(ctx, sz) }
	rates, peers, err := alternate("claim race, claims/s (asynq tasks/s the peer)", sz.rounds, ours, peer)
	if err != nil {
		return nil, err
	}
	rs := ratios(rates, peers, faster)
	return []result{{
		name: fmt.Sprintf("claim race: %d claimers, %d questions, 3 at once each; double claims 0; p99 %s",
			sz.claimers, sz.claims, msm(p99s)),
		figure: fmt.Sprintf("%.0f claims/s", median(rates)), peer: fmt.Sprintf("asynq %.0f tasks/s", median(peers)),
		ratio: spread(rs, 2), goal: "≥ the peer's rate", verdict: verdict(median(rs) >= 1),
	}}, nil
}

// forgetClaims removes an earlier round's (or run's) questions and the notices their
// claims left, and vacuums what that deleted, so that every round races on the same
// database.
func forgetClaims(ctx context.Context, e *env) error {
	for _, sql := range []string{
		`DELETE FROM question_events WHERE question_id IN (SELECT id FROM questions WHERE chat_id = -9)`,
		`DELETE FROM question_search WHERE question_id IN (SELECT id FROM questions WHERE chat_id = -9)`,
		`DELETE FROM questions WHERE chat_id = -9`,
		`TRUNCATE outbox, bot_messages`,
	} {
		if _, err := e.pool.Exec(ctx, sql); err != nil {
			return err
		}
	}
	return vacuum(ctx, e)
}

// claimRound asks sz.claims questions and races the claimers for them, and returns
// claims per second and the p99 of a press.
func claimRound(ctx context.Context, e *env, sz sizes, round int) (float64, time.Duration, error) {
	if err := forgetClaims(ctx, e); err != nil {
		return 0, 0, err
	}
	// The questions are asked as farmers ask them, a hundred at a time, before the
	// experts' presses (nobody is on duty, so nobody is notified): each gets its
	// earlier-answer lookup, as in the clinic, and the claims race for them afterwards.
	// Every round's farmers and updates are new ones, or their flood limit and the
	// redelivery check would refuse them.
	base := round * sz.claims
	var ids []int64
	for start := 0; start < sz.claims; start += 100 {
		var ins []consult.AskInput
		for i := start; i < min(start+100, sz.claims); i++ {
			// One text for all, in words no archived question has: every lookup after the
			// first is answered by the service's memo of recent lookups and finds nothing, so
			// each claim reads back an empty list of earlier answers. A text of its own each
			// made every lookup walk the index back two years (16 ms each under load, minutes a
			// round): this measures the race, not the suggestions.
			ins = append(ins, consult.AskInput{ChatID: -9, MessageID: int64(base + i), UpdateID: int64(20_000_000 + base + i),
				Farmer: consult.Person{ID: int64(9_000_000 + base + i), Name: "农户"}, Text: "抢单测试？"})
		}
		for _, o := range e.svc.AskMany(ctx, ins, nil) {
			if o.Err != nil {
				return 0, 0, fmt.Errorf("ask: %w", o.Err)
			}
			ids = append(ids, o.Result.Question.ID)
		}
	}
	e.svc.Settle()
	jobs := make(chan int64, 3*len(ids))
	for _, id := range ids {
		jobs <- id
		jobs <- id
		jobs <- id
	}
	close(jobs)
	var (
		mu        sync.Mutex
		wins      = map[int64]int{}
		latencies []time.Duration
		failed    error
		wg        sync.WaitGroup
	)
	start := time.Now()
	for w := range sz.claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			expert := int64(700_000 + w)
			for id := range jobs {
				t0 := time.Now()
				_, err := e.svc.Claim(ctx, id, expert, nil)
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				switch {
				case err == nil:
					wins[id]++
				case errors.Is(err, consult.ErrTaken), errors.Is(err, consult.ErrAlreadyYours):
				default:
					if failed == nil {
						failed = err
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failed != nil {
		return 0, 0, failed
	}
	doubles, unclaimed := 0, 0
	for _, id := range ids {
		switch wins[id] {
		case 0:
			unclaimed++
		case 1:
		default:
			doubles++
		}
	}
	var held int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM questions WHERE id = ANY ($1) AND status = 'claimed' AND expert_id IS NOT NULL`, ids).Scan(&held); err != nil {
		return 0, 0, err
	}
	if doubles > 0 || unclaimed > 0 || held != len(ids) {
		return 0, 0, fmt.Errorf("claim race: %d questions claimed twice, %d not at all, %d held of %d", doubles, unclaimed, held, len(ids))
	}
	return float64(len(ids)) / elapsed.Seconds(), quantile(latencies, 99), nil
}

// asynqRate enqueues tasks and has asynq hand them to as many workers as there are
// claimers, and returns tasks handled per second, from the first enqueue to the last
// handled.
func asynqRate(ctx context.Context, sz sizes) (float64, error) {
	opt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: 3}
	client := asynq.NewClient(opt)
	defer client.Close()
	var done atomic.Int64
	finished := make(chan struct{})
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: sz.claimers, LogLevel: asynq.ErrorLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc("claim", func(context.Context, *asynq.Task) error {
		if done.Add(1) == int64(sz.tasks) {
			close(finished)
		}
		return nil
	})
	if err := srv.Start(mux); err != nil {
		return 0, err
	}
	defer srv.Shutdown()
	start := time.Now()
	for i := range sz.tasks {
		if _, err := client.EnqueueContext(ctx, asynq.NewTask("claim", []byte(strconv.Itoa(i))), asynq.MaxRetry(0)); err != nil {
			return 0, err
		}
	}
	select {
	case <-finished:
	case <-time.After(5 * time.Minute):
		return 0, errors.New("asynq did not finish")
	}
	elapsed := time.Since(start)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 3})
	defer rdb.Close()
	if keys, _ := rdb.Keys(ctx, "asynq:*").Result(); len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
	return float64(sz.tasks) / elapsed.Seconds(), nil
}
