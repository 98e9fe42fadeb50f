// Command bench measures AgriClinic against what a user or an engineer would compare it
// with, in one run on one machine, and writes docs/benchmarks.md.
//
//	cd bench && go run .            # the full sizes
//	cd bench && go run . -smoke     # small sizes: checks the suite still works
//	cd bench && go run . -only search -keep -out ''   # one benchmark, database kept for the next run
//
// It needs the Postgres and Redis of the tests (bash .ci/services) and creates its own
// database, which it drops at the end. A measure with a peer runs in alternating rounds,
// ours then the peer's (rounds.go); its ratio is the median of the rounds' ratios, with
// their lowest and highest, and its goal is met when that median meets it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

// sizes are the workloads; -smoke shrinks them so CI can run the suite in seconds.
type sizes struct {
	archive  int // archived questions for the search benchmark
	queries  int // runs of each query
	claims   int // questions raced for
	claimers int // concurrent claimers
	tasks    int // asynq tasks for the claim peer
	ingest   int // questions delivered to the running service
	rounds   int // alternating rounds of each measure that has a peer (see rounds.go)
	// sendMessages go to sendChats (half of them groups), sendRuns times.
	sendMessages, sendChats, sendRuns int
}

// A full sending run takes about 5.5 minutes (10,000 messages at 30 a second).
var full = sizes{archive: 1_000_000, queries: 21, claims: 10_000, claimers: 500, tasks: 10_000, ingest: 10_000, rounds: 5,
	sendMessages: 10_000, sendChats: 200, sendRuns: 3}
var smoke = sizes{archive: 5_000, queries: 5, claims: 500, claimers: 50, tasks: 500, ingest: 1000, rounds: 2,
	sendMessages: 120, sendChats: 40, sendRuns: 1}

// result is one line of the table: a figure, its peer's and the goal.
type result struct {
	name, figure, peer, ratio, goal, verdict string
}

func main() {
	small := flag.Bool("smoke", false, "small sizes and 2 alternating rounds instead of 5, to check the suite works (figures mean nothing)")
	out := flag.String("out", "../docs/benchmarks.md", "where to write the report (empty: nowhere)")
	only := flag.String("only", "", "run only these benchmarks (comma-separated: search, claims, ingest, footprint, sending); the report is then printed, not written")
	keep := flag.Bool("keep", false, "keep the database for the next run and reuse a kept one (its archive is filled once)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	sendMessages := flag.Int("send-messages", 0, "messages for the sending benchmark instead of the size's (a shorter run)")
	sendRuns := flag.Int("send-runs", 0, "runs of the sending benchmark instead of the size's")
	rounds := flag.Int("rounds", 0, "alternating rounds (ours, then the peer's) of search, claims and ingest instead of the size's")
	flag.Parse()
	if *only != "" {
		*out = ""
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	sz := full
	if *small {
		sz = smoke
	}
	if *sendMessages > 0 {
		sz.sendMessages = *sendMessages
	}
	if *sendRuns > 0 {
		sz.sendRuns = *sendRuns
	}
	if *rounds > 0 {
		sz.rounds = *rounds
	}
	ctx := context.Background()
	bench, err := newEnv(ctx, *keep)
	if err != nil {
		log.Fatal(err)
	}
	defer bench.close()

	var results []result
	for _, b := range []struct {
		name, flag string
		run        func(context.Context, *env, sizes) ([]result, error)
	}{
		{"archive search", "search", benchSearch},
		{"claim race", "claims", benchClaims},
		{"ingest", "ingest", benchIngest},
		{"footprint", "footprint", benchFootprint},
		{"sending", "sending", benchSending},
		{"quiet bursts", "bursts", benchBursts},
		{"pesticide check", "pesticide", benchPesticide},
	} {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), b.flag) {
			continue
		}
		start := time.Now()
		r, err := b.run(ctx, bench, sz)
		if err != nil {
			bench.close()
			log.Fatalf("%s: %v", b.name, err)
		}
		log.Printf("%s done in %v", b.name, time.Since(start).Round(time.Millisecond))
		results = append(results, r...)
	}
	report := render(results, sz, *small)
	fmt.Print(report)
	if *out == "" || *small || *only != "" {
		return // a partial or smoke table must not replace the full one
	}
	old, err := os.ReadFile(*out)
	if err != nil && !os.IsNotExist(err) {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, []byte(report+handWritten(string(old))), 0o644); err != nil {
		log.Fatal(err)
	}
}

// handWritten is what people wrote below the table in the report (everything from its
// first "## " heading: the table has none), kept when the table is written again.
func handWritten(report string) string {
	if strings.HasPrefix(report, "## ") {
		return report
	}
	if i := strings.Index(report, "\n## "); i >= 0 {
		return "\n" + report[i+1:]
	}
	return ""
}

func render(results []result, sz sizes, small bool) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `cd bench && go run .` on %s; %s, %d CPUs, %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.NumCPU(), machine())
	if small {
		b.WriteString("**Smoke sizes: these figures mean nothing.**\n\n")
	}
	b.WriteString("| what | AgriClinic | peer | ratio | goal | |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.name, r.figure, r.peer, r.ratio, r.goal, r.verdict)
	}
	fmt.Fprintf(&b, "\nSearch, claim race and ingest ran in %d alternating rounds each, ours then the peer's, in one process; their ratio is the median of the rounds' ratios (lowest–highest in brackets), their figures the medians of the rounds', and a goal is met when the median ratio meets it.\n", sz.rounds)
	fmt.Fprintf(&b, "\nSizes, per round: %d archived questions, %d runs per query after one unmeasured round; %d questions raced for by %d claimers; %d asynq tasks;\n%d questions ingested; %d one-row INSERTs. %d messages to %d chats, %d runs.\n",
		sz.archive, sz.queries, sz.claims, sz.claimers, sz.tasks, sz.ingest, min(sz.ingest, 5000), sz.sendMessages, sz.sendChats, sz.sendRuns)
	return b.String()
}

func machine() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOOS + "/" + runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}
