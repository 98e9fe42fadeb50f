// Command bench measures AgriClinic against what a user or an engineer would compare it
// with, in one run on one machine, and writes docs/benchmarks.md.
//
//	cd bench && go run .            # the full sizes
//	cd bench && go run . -smoke     # small sizes: checks the suite still works
//
// It needs the Postgres and Redis of the tests (bash .ci/services) and creates its own
// database, which it drops at the end. Every figure is the median of several runs, and
// each ratio is taken from the same run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
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
}

var full = sizes{archive: 1_000_000, queries: 21, claims: 10_000, claimers: 500, tasks: 10_000}
var smoke = sizes{archive: 5_000, queries: 5, claims: 500, claimers: 50, tasks: 500}

// result is one line of the table: a figure, its peer's and the goal.
type result struct {
	name, figure, peer, ratio, goal, verdict string
}

func main() {
	small := flag.Bool("smoke", false, "small sizes, to check the suite works (figures mean nothing)")
	out := flag.String("out", "../docs/benchmarks.md", "where to write the report (empty: nowhere)")
	flag.Parse()
	sz := full
	if *small {
		sz = smoke
	}
	ctx := context.Background()
	bench, err := newEnv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer bench.close()

	var results []result
	for _, b := range []struct {
		name string
		run  func(context.Context, *env, sizes) ([]result, error)
	}{
		{"archive search", benchSearch},
		{"claim race", benchClaims},
		{"footprint", benchFootprint},
	} {
		start := time.Now()
		r, err := b.run(ctx, bench, sz)
		if err != nil {
			log.Fatalf("%s: %v", b.name, err)
		}
		log.Printf("%s done in %v", b.name, time.Since(start).Round(time.Millisecond))
		results = append(results, r...)
	}
	report := render(results, sz, *small)
	fmt.Print(report)
	if *out != "" && !*small {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			log.Fatal(err)
		}
	}
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
	fmt.Fprintf(&b, "\nSizes: %d archived questions, %d runs per query; %d questions raced for by %d claimers; %d asynq tasks.\n",
		sz.archive, sz.queries, sz.claims, sz.claimers, sz.tasks)
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
