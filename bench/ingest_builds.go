package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"strings"
)

// ingestBuilds compares builds of agriclinic on the ingest instead of ours against the
// one-row INSERT peer: "before=/tmp/old/agriclinic,after=/tmp/new/agriclinic" (each
// built with go build ./cmd/agriclinic from its tree; the bench's database is migrated by
// this tree's code, so the builds must read its schema). Every round runs each build once,
// in an order that moves by one each round, so that none is always first after the
// bench's own work; the rounds' ratios are to the first build named. On a machine other
// work shares, a change of a fifth is not seen in runs of one build after another, and
// the CPU time the burst took (the service's and its Postgres backends') moves less with
// that work than the rate does.
var ingestBuilds = flag.String("ingest-builds", "", "ingest only: compare these builds (name=binary,…) in interleaved rounds instead of measuring this tree against its peer")

func ingestAgainstBuilds(ctx context.Context, e *env, sz sizes, batches [][]byte, lastID []int) ([]result, error) {
	type build struct{ name, bin string }
	var builds []build
	for _, nb := range strings.Split(*ingestBuilds, ",") {
		name, bin, ok := strings.Cut(nb, "=")
		if !ok || name == "" || bin == "" {
			return nil, fmt.Errorf("-ingest-builds: %q is not name=binary", nb)
		}
		builds = append(builds, build{name, bin})
	}
	defer func() {
		if err := forgetIngest(context.WithoutCancel(ctx), e); err != nil {
			log.Printf("ingest: removing the ingested questions: %v", err)
		}
	}()
	rates := make([][]float64, len(builds))
	cpus := make([][]float64, len(builds))
	p50s := make([][]float64, len(builds))
	for round := range sz.rounds {
		for k := range builds {
			i := (k + round) % len(builds)
			api := &ingestAPI{batches: batches, lastID: lastID, done: make(chan struct{}), warmed: make(chan struct{}), gate: make(chan struct{})}
			r, err := ingestOnce(ctx, e, sz, builds[i].bin, api, 100*round+i)
			if err != nil {
				return nil, fmt.Errorf("round %d, %s: %w", round+1, builds[i].name, err)
			}
			log.Printf("ingest, round %d of %d, %s: %.0f questions/s, per batch p50 %.1f ms, CPU %.1f s service + %.1f s Postgres",
				round+1, sz.rounds, builds[i].name, r.rate, msf(r.p50), r.serveCPU, r.pgCPU)
			rates[i], cpus[i], p50s[i] = append(rates[i], r.rate), append(cpus[i], r.serveCPU+r.pgCPU), append(p50s[i], msf(r.p50))
		}
	}
	var out []result
	for i, b := range builds {
		out = append(out, result{
			name: fmt.Sprintf("ingest, build %s: per batch p50 %s; CPU (service + Postgres) %.1f s, %s of %s's",
				b.name, msm(p50s[i]), median(cpus[i]), spread(ratios(cpus[i], cpus[0], faster), 2), builds[0].name),
			figure: fmt.Sprintf("%.0f questions/s", median(rates[i])),
			peer:   builds[0].name, ratio: spread(ratios(rates[i], rates[0], faster), 2), goal: "—",
		})
	}
	return out, nil
}

// backendTicks reads the CPU time, in clock ticks, of every Postgres backend connected to
// the bench's database but this one; empty when Postgres runs on another machine.
func backendTicks(ctx context.Context, e *env) map[int]int {
	out := map[int]int{}
	rows, err := e.pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			out[pid] = cpuTicks(pid)
		}
	}
	return out
}

// ticksSince is how many ticks the backends of now used since before (a backend that
// started meanwhile, all of its own).
func ticksSince(now, before map[int]int) int {
	n := 0
	for pid, t := range now {
		n += t - before[pid]
	}
	return max(n, 0)
}
