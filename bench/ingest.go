package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// ingestAPI is the Bot API for `agriclinic serve` under a burst of questions: getUpdates
// hands out prepared batches of 100 updates, as Telegram does, and the next call's offset
// says the batch is stored (the poller confirms only what it stored). Everything the bot
// sends is accepted at once.
//
// The first batch warms the server up and is not measured: the burst is to meet a server
// that has been running, with its connections open and its start-up catch-up done. After
// it, getUpdates finds nothing until gate is closed.
type ingestAPI struct {
	mu        sync.Mutex
	batches   [][]byte      // each batch's getUpdates answer, the warm-up batch first
	lastID    []int         // each batch's last update id
	next      int           // the next batch to hand out
	warmed    chan struct{} // closed when the warm-up batch is confirmed
	gate      chan struct{} // closed when the measured batches may go
	servedAt  time.Time
	first     time.Time
	latencies []time.Duration
	again     int // batches handed out again (not confirmed)
	done      chan struct{}
	messageID int
}

func (a *ingestAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/getMe"):
		io.WriteString(w, `{"ok":true,"result":{"id":42,"is_bot":true,"first_name":"Bench","username":"bench_bot"}}`)
	case strings.HasSuffix(r.URL.Path, "/getUpdates"):
		offset, _ := strconv.Atoi(r.FormValue("offset"))
		if batch := a.updates(offset); batch != nil {
			w.Write(batch)
			return
		}
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
		io.WriteString(w, `{"ok":true,"result":[]}`)
	case strings.HasSuffix(r.URL.Path, "/sendMessage"), strings.HasSuffix(r.URL.Path, "/editMessageText"):
		a.mu.Lock()
		a.messageID++
		id := a.messageID
		a.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":0,"chat":{"id":1,"type":"private"}}}`, id)
	default:
		io.WriteString(w, `{"ok":true,"result":true}`)
	}
}

// updates records the confirmation the offset carries and returns the batch to hand out
// now, or nil when there is none.
func (a *ingestAPI) updates(offset int) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.servedAt.IsZero() {
		if offset <= a.lastID[a.next-1] {
			a.again++
			a.servedAt = time.Now()
			return a.batches[a.next-1]
		}
		if a.next == 1 {
			close(a.warmed)
		} else {
			a.latencies = append(a.latencies, time.Since(a.servedAt))
		}
		a.servedAt = time.Time{}
		if a.next == len(a.batches) {
			close(a.done)
		}
	}
	if a.next == len(a.batches) {
		return nil
	}
	if a.next == 1 {
		select {
		case <-a.gate:
		default:
			return nil
		}
	}
	if a.next == 1 && a.first.IsZero() {
		a.first = time.Now()
	}
	a.servedAt = time.Now()
	a.next++
	return a.batches[a.next-1]
}

// groupUpdate is a farmer's /ask in a village group, as Telegram delivers it.
func groupUpdate(id int, chat int64, messageID int, farmer int64, text string) map[string]any {
	return map[string]any{"update_id": id, "message": map[string]any{
		"message_id": messageID, "date": time.Now().Unix(), "text": text,
		"from":     map[string]any{"id": farmer, "is_bot": false, "first_name": "农户", "language_code": "zh-hans"},
		"chat":     map[string]any{"id": chat, "type": "group", "title": "村群 " + strconv.FormatInt(-chat, 10)},
		"entities": []map[string]any{{"type": "bot_command", "offset": 0, "length": 4}},
	}}
}

// firstUpdate is the first update id the ingest measures; the warm-up batch's come
// just before.
const (
	firstUpdate = 10_000_000
	warmUpdate  = firstUpdate - 100
)

// forgetIngest removes what an ingest run leaves: its questions, the shared
// acknowledgements of its groups' bursts, and the messages its sender had not finished.
func forgetIngest(ctx context.Context, e *env) error {
	for _, sql := range []string{
		// Every group of a round is in a burst: left behind, each round's lists (naming
		// questions deleted) and their dead rows stayed for the next rounds to read, with
		// no vacuum.
		`DELETE FROM group_ack_questions WHERE question_id IN (SELECT id FROM questions WHERE update_id >= $1)`,
		`DELETE FROM question_events WHERE question_id IN (SELECT id FROM questions WHERE update_id >= $1)`,
		`DELETE FROM question_search WHERE question_id IN (SELECT id FROM questions WHERE update_id >= $1)`,
		`DELETE FROM questions WHERE update_id >= $1`,
		// Each run numbers its updates from the same ids; those a run handled would be
		// skipped as redeliveries by the next.
		`DELETE FROM handled_updates WHERE update_id >= $1`,
		`DELETE FROM dead_updates WHERE update_id >= $1`,
	} {
		if _, err := e.pool.Exec(ctx, sql, warmUpdate); err != nil {
			return err
		}
	}
	for _, sql := range []string{
		`DELETE FROM group_acks a WHERE NOT EXISTS (SELECT 1 FROM group_ack_questions g WHERE g.ack_id = a.id)`,
		`TRUNCATE outbox, bot_messages, expert_bundle_items`,
		`VACUUM ANALYZE group_acks, group_ack_questions`,
	} {
		if _, err := e.pool.Exec(ctx, sql); err != nil {
			return err
		}
	}
	return nil
}

// benchIngest runs `agriclinic serve` against ingestAPI with sz.ingest questions from 100
// village groups, 20 on-duty experts in each category, and measures questions stored per
// second, each batch's time from handed out to confirmed, and the process's resident
// memory meanwhile. The peer is a loop of one-row INSERT transactions into the same
// Postgres: what committing each update on its own can reach. Each round starts the
// service afresh on a database without the last round's questions, delivers the burst,
// stops the service, and then runs the peer.
func benchIngest(ctx context.Context, e *env, sz sizes) ([]result, error) {
	c := &e.counties[0]
	const groups = 100
	for g := range groups {
		chat := int64(-5_000_000 - g)
		if _, _, err := e.svc.Bind(ctx, chat, "村群", c.Admins[0], c.Townships[g%len(c.Townships)], nil); err != nil {
			return nil, fmt.Errorf("bind: %w", err)
		}
	}
	var batches [][]byte
	var lastID []int
	r := rand.New(rand.NewPCG(3, 4))
	for start := -100; start < sz.ingest; start += 100 {
		var batch []map[string]any
		for i := start; i < min(start+100, sz.ingest); i++ {
			chat := int64(-5_000_000 - r.IntN(groups))
			text := "/ask " + questionText(r) + fmt.Sprintf("（%d号地）", i)
			batch = append(batch, groupUpdate(firstUpdate+i, chat, 1000+i, int64(3_000_000+i), text))
		}
		data, err := json.Marshal(map[string]any{"ok": true, "result": batch})
		if err != nil {
			return nil, err
		}
		batches = append(batches, data)
		lastID = append(lastID, firstUpdate+min(start+100, sz.ingest)-1)
	}
	if *ingestBuilds != "" {
		return ingestAgainstBuilds(ctx, e, sz, batches, lastID)
	}
	bin, cleanup, err := buildBinary(ctx)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	// Once the last round is done, the ingest is removed again: on a kept database, a
	// search benchmark run next would otherwise walk back through its 10,000 questions
	// first, the newest of the archive.
	defer func() {
		ctx := context.WithoutCancel(ctx)
		if err := errors.Join(forgetIngest(ctx, e), vacuum(ctx, e)); err != nil {
			fmt.Fprintln(os.Stderr, "ingest: removing the ingested questions:", err)
		}
	}()
	var rounds []ingestRound
	ours := func(round int) (float64, error) {
		api := &ingestAPI{batches: batches, lastID: lastID, done: make(chan struct{}), warmed: make(chan struct{}), gate: make(chan struct{})}
		res, err := ingestOnce(ctx, e, sz, bin, api, round)
		rounds = append(rounds, res)
		return res.rate, err
	}
	peer := func(int) (float64, error) { return insertLoopRate(ctx, e, min(sz.ingest, 5000)) }
	rates, peers, err := alternate("ingest, questions/s (one-row INSERTs/s the peer)", sz.rounds, ours, peer)
	if err != nil {
		return nil, err
	}
	var p50s, p99s, mids, serve, pg []float64
	var peak, outbox, again int
	for _, r := range rounds {
		p50s, p99s, mids = append(p50s, msf(r.p50)), append(p99s, msf(r.p99)), append(mids, float64(r.midKB))
		serve, pg = append(serve, r.serveCPU), append(pg, r.pgCPU)
		peak, outbox, again = max(peak, r.peakKB), max(outbox, r.outbox), again+r.again
	}
	rs := ratios(rates, peers, faster)
	return []result{
		{
			name: fmt.Sprintf("ingest: %d questions from 100 groups in batches of 100, 20 experts per category (up to %d expert notices in the outbox, %d batches handed out again); per batch p50 %s, p99 %s; CPU %.1f s service + %.1f s Postgres",
				sz.ingest, outbox, again, msm(p50s), msm(p99s), median(serve), median(pg)),
			figure: fmt.Sprintf("%.0f questions/s", median(rates)), peer: fmt.Sprintf("one-row INSERT transactions %.0f rows/s", median(peers)),
			ratio: spread(rs, 2), goal: "≥ 3,000/s and ≥ the peer", verdict: verdict(median(rates) >= 3000 && median(rs) >= 1),
		},
		{name: "resident memory during the ingest, median / peak", figure: fmt.Sprintf("%.1f MB / %.1f MB", median(mids)/1024, float64(peak)/1024),
			peer: "—", ratio: "—", goal: "< 60 MB", verdict: verdict(peak < 60*1024)},
	}, nil
}

// ingestRound is what one burst measured.
type ingestRound struct {
	rate          float64 // questions stored per second
	p50, p99      time.Duration
	midKB, peakKB int // resident memory, median and peak
	outbox, again int // expert notices written; batches handed out again
	// CPU seconds the service and its Postgres backends used during the burst (0 when
	// Postgres runs on another machine): on a machine other work shares, the rate moves
	// with that work, the CPU time much less.
	serveCPU, pgCPU float64
}

// ingestOnce starts `agriclinic serve` (bin) against api, delivers its burst, checks
// what was stored, and stops the service.
func ingestOnce(ctx context.Context, e *env, sz sizes, bin string, api *ingestAPI, round int) (ingestRound, error) {
	c := &e.counties[0]
	// A kept database may still hold an interrupted run's ingest, or the last round's.
	if err := forgetIngest(ctx, e); err != nil {
		return ingestRound{}, err
	}
	// Earlier benchmarks' experts (the claim race's) would each be told of every question.
	if _, err := e.pool.Exec(ctx, `DELETE FROM experts`); err != nil {
		return ingestRound{}, err
	}
	if err := vacuum(ctx, e); err != nil {
		return ingestRound{}, err
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ingestRound{}, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve")
	// A prefix of its own each round: a fresh service's queues and limits, as at a start.
	prefix := fmt.Sprintf("%singest%d:", e.prefix, round)
	cmd.Env = append(os.Environ(), "TELEGRAM_TOKEN=42:bench", "TELEGRAM_API_URL="+srv.URL, "DATABASE_URL="+e.databaseURL()+getenv("BENCH_DSN_EXTRA", ""),
		"REDIS_URL=redis://127.0.0.1:6379/0", "REDIS_PREFIX="+prefix, "HTTP_ADDR="+addr, "METRICS_ADDR=off", "LOG_LEVEL="+getenv("BENCH_LOG_LEVEL", "error"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return ingestRound{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Stopped before the peer runs, so that the service's work after the burst (sending
	// the notices, the earlier-answer lookups) does not run beside it.
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		<-exited
	}()
	select {
	case <-api.warmed:
	case err := <-exited:
		exited <- err
		return ingestRound{}, fmt.Errorf("ingest: agriclinic serve stopped: %v", err)
	case <-time.After(5 * time.Minute):
		return ingestRound{}, fmt.Errorf("ingest: the warm-up batch was not confirmed in 5 minutes")
	}
	// The experts come on duty after the warm-up, so that its questions do not use up
	// their push allowance (three a window) and turn the burst's notices into digests.
	var experts [][]any
	for i, cat := range c.Categories {
		for j := range 20 {
			id := int64(800_000 + 100*i + j)
			experts = append(experts, []any{c.ID, id, "专家" + strconv.FormatInt(id, 10), []string{cat.ID}, c.Admins[0], time.Now()})
		}
	}
	if _, err := e.pool.CopyFrom(ctx, pgx.Identifier{"experts"}, []string{"county_id", "user_id", "name", "categories", "approved_by", "approved_at"},
		pgx.CopyFromRows(experts)); err != nil {
		return ingestRound{}, err
	}
	if !waitIdle(cmd.Process.Pid, time.Minute) {
		fmt.Fprintln(os.Stderr, "ingest: agriclinic serve did not become idle within a minute after the warm-up; measuring anyway")
	}
	serveTicks, pgTicks := cpuTicks(cmd.Process.Pid), backendTicks(ctx, e)
	close(api.gate)
	var rss []int
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(15 * time.Minute)
wait:
	for {
		select {
		case <-api.done:
			break wait
		case <-tick.C:
			if kb := residentKB(cmd.Process.Pid); kb > 0 {
				rss = append(rss, kb)
			}
		case err := <-exited:
			exited <- err // for the deferred stop
			return ingestRound{}, fmt.Errorf("ingest: agriclinic serve stopped: %v", err)
		case <-timeout:
			return ingestRound{}, fmt.Errorf("ingest: %d of %d batches confirmed in 15 minutes", len(api.latencies), len(api.batches))
		}
	}
	serveCPU, pgCPU := float64(cpuTicks(cmd.Process.Pid)-serveTicks)/100, float64(ticksSince(backendTicks(ctx, e), pgTicks))/100
	api.mu.Lock()
	elapsed := time.Since(api.first)
	latencies := slices.Clone(api.latencies)
	again := api.again
	api.mu.Unlock()

	// Everything the issue asks of an ingested question: stored once, queued, experts told.
	var stored, outbox int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM questions WHERE update_id >= $1`, firstUpdate).Scan(&stored); err != nil {
		return ingestRound{}, err
	}
	// The ingested questions' numbers first: as one IN (subquery) the planner, with
	// statistics from before the ingest, took 100 s over a busy outbox.
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE remember_kind = 'question_notice'
		AND remember_ref = ANY ((SELECT array_agg(id) FROM questions WHERE update_id >= $1)::bigint[])`, firstUpdate).Scan(&outbox); err != nil {
		return ingestRound{}, err
	}
	var queued int64
	for _, cat := range c.Categories {
		queued += e.rdb.ZCard(ctx, prefix+"{"+c.ID+"}:queue:"+cat.ID).Val()
	}
	if outbox == 0 {
		return ingestRound{}, fmt.Errorf("ingest: %d questions stored and no expert notice in the outbox", stored)
	}
	if stored != sz.ingest || queued < int64(stored) {
		return ingestRound{}, fmt.Errorf("ingest: %d questions stored and %d queued of %d", stored, queued, sz.ingest)
	}
	slices.Sort(rss)
	res := ingestRound{rate: float64(stored) / elapsed.Seconds(), p50: quantile(latencies, 50), p99: quantile(latencies, 99),
		outbox: outbox, again: again, serveCPU: serveCPU, pgCPU: pgCPU}
	if len(rss) > 0 {
		res.peakKB, res.midKB = rss[len(rss)-1], rss[len(rss)/2]
	}
	return res, nil
}

// insertLoopRate is the peer: one row per transaction, one after another.
func insertLoopRate(ctx context.Context, e *env, n int) (float64, error) {
	if _, err := e.pool.Exec(ctx, `DROP TABLE IF EXISTS ingest_peer`); err != nil {
		return 0, err
	}
	if _, err := e.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS ingest_peer (id bigserial PRIMARY KEY, chat_id bigint, update_id bigint UNIQUE, text text, at timestamptz)`); err != nil {
		return 0, err
	}
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	r := rand.New(rand.NewPCG(5, 6))
	start := time.Now()
	for i := range n {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO ingest_peer (chat_id, update_id, text, at) VALUES ($1, $2, $3, now())`,
				int64(-5_000_000-r.IntN(100)), int64(i), questionText(r))
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// buildBinary builds agriclinic into a temporary folder.
func buildBinary(ctx context.Context) (string, func(), error) {
	dir, err := os.MkdirTemp("", "agriclinic-bench")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "agriclinic")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/agriclinic")
	build.Dir = ".."
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build: %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}
