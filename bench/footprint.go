package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// miniBotAPI answers just what `agriclinic serve` asks at start and when idle: who the
// bot is, the command menus, and empty long polls.
func miniBotAPI() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/getMe"):
			io.WriteString(w, `{"ok":true,"result":{"id":42,"is_bot":true,"first_name":"Bench","username":"bench_bot"}}`)
		case strings.HasSuffix(r.URL.Path, "/getUpdates"):
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			io.WriteString(w, `{"ok":true,"result":[]}`)
		case strings.HasSuffix(r.URL.Path, "/sendMessage"):
			io.WriteString(w, `{"ok":true,"result":{"message_id":1,"date":0,"chat":{"id":1,"type":"private"}}}`)
		default:
			io.WriteString(w, `{"ok":true,"result":true}`)
		}
	}))
}

// benchFootprint builds the binary, starts `agriclinic serve` on the bench database
// (migrations already applied, as after an upgrade) and measures the time until /readyz
// answers 200 and the resident memory once idle.
func benchFootprint(ctx context.Context, e *env, sz sizes) ([]result, error) {
	// Idle means nothing to do: an earlier benchmark's undelivered messages (the ingest
	// leaves thousands) would keep the sender busy for minutes.
	if _, err := e.pool.Exec(ctx, `TRUNCATE outbox, bot_messages, expert_bundle_items`); err != nil {
		return nil, err
	}
	bin, cleanup, err := buildBinary(ctx)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	api := miniBotAPI()
	defer api.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()

	var starts []time.Duration
	var rss int
	for run := range 3 {
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), "TELEGRAM_TOKEN=42:bench", "TELEGRAM_API_URL="+api.URL, "DATABASE_URL="+e.databaseURL(),
			"REDIS_URL=redis://127.0.0.1:6379/0", "REDIS_PREFIX="+e.prefix+"serve:", "HTTP_ADDR="+addr, "METRICS_ADDR=off", "LOG_LEVEL=error")
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		ready := false
		for time.Since(t0) < 30*time.Second {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ready = true
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		starts = append(starts, time.Since(t0))
		if run == 2 {
			if !waitIdle(cmd.Process.Pid, time.Minute) {
				fmt.Fprintln(os.Stderr, "footprint: agriclinic serve did not become idle within a minute; resident memory measured anyway")
			}
			rss = residentKB(cmd.Process.Pid)
		}
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if !ready {
			return nil, fmt.Errorf("agriclinic serve was not ready within 30 s")
		}
	}
	p50, _ := percentiles(starts)
	return []result{
		{name: "start to ready (migrations applied), median of 3", figure: ms(p50), peer: "—", ratio: "—", goal: "< 1 s", verdict: verdict(p50 < time.Second)},
		{name: "resident memory, idle", figure: fmt.Sprintf("%.1f MB", float64(rss)/1024), peer: "—", ratio: "—", goal: "< 60 MB (at load)", verdict: verdict(rss < 60*1024)},
	}, nil
}

// residentKB reads a process's resident set size from /proc.
func residentKB(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return 0
}

// cpuTicks reads the CPU time a process has used, in clock ticks (1/100 s).
func cpuTicks(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	user, _ := strconv.Atoi(fields[11])
	sys, _ := strconv.Atoi(fields[12])
	return user + sys
}

// waitIdle waits until a process has used almost no CPU (under 30 ms) for a whole second,
// or for at most limit, and says whether it became idle. A server just started catches up
// first (queues rebuilt from Postgres, overdue jobs run); "idle" and "a burst arrives"
// are measured after that, as they would meet a server that has been running.
func waitIdle(pid int, limit time.Duration) bool {
	const step, window = 250 * time.Millisecond, 4 // a second of steps
	var seen []int
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(step) {
		seen = append(seen, cpuTicks(pid))
		if n := len(seen); n > window && seen[n-1]-seen[n-1-window] < 3 {
			return true
		}
	}
	return false
}
