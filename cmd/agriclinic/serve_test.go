package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// syncBuffer is a log sink the server goroutine writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeRunsTheWholeBinaryAgainstABotAPIServer starts `agriclinic serve` as a newcomer
// would, configured only through the environment, and checks that it answers on Telegram
// and on /healthz, and exits cleanly when stopped.
func TestServeRunsTheWholeBinaryAgainstABotAPIServer(t *testing.T) {
	t.Parallel()
	tg := telegramtest.NewServer(t)
	admin := tg.NewUser("王", "局长", "zh-hans")
	counties := exampleWithAdmin(t, admin.ID)
	_, prefix := storetest.NewRedis(t)
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"TELEGRAM_TOKEN":      tg.Token(),
		"TELEGRAM_API_URL":    tg.URL(),
		"DATABASE_URL":        storetest.NewDatabase(t),
		"REDIS_URL":           storetest.DefaultRedisURL,
		"REDIS_PREFIX":        prefix,
		"HTTP_ADDR":           addr,
		"METRICS_ADDR":        metricsAddr,
		"AGRICLINIC_COUNTIES": counties,
	}
	if v := os.Getenv("TEST_REDIS_URL"); v != "" {
		env["REDIS_URL"] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envOf(env), &logs, &logs) }()
	t.Cleanup(func() { cancel() })

	group := tg.NewGroup("白泥镇群")
	bind := tg.SendText(group, admin, "/bind 白泥镇")
	tg.WaitMessage(t, group.ID, func(m tgbotapi.Message) bool {
		return m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == bind.MessageID && strings.Contains(m.Text, "余庆县 白泥镇")
	})

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d, want 200", path, resp.StatusCode)
		}
	}
	// The fake Bot API holds the bind reply as soon as the sender's call reaches it; the
	// sender counts the send when the call returns. Scrape until the count shows.
	if missing := scrapeUntil(t, "http://"+metricsAddr+"/metrics", []string{
		`agriclinic_updates_total{kind="command:bind",outcome="ok"} 1`,
		`agriclinic_queue_depth{category="rice",county="yuqing"} 0`,
		`agriclinic_outbox_backlog`,
		`agriclinic_sends_total{method="send",result="sent"}`,
	}); len(missing) > 0 {
		t.Errorf("/metrics lacks %s", strings.Join(missing, ", "))
	}
	var health bytes.Buffer
	if err := run(ctx, []string{"health"}, envOf(env), &health, &health); err != nil {
		t.Errorf("agriclinic health: %v (%s)", err, health.String())
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v after a stop signal, want nil (exit 0); logs:\n%s", err, logs.String())
	}
	if strings.Contains(logs.String(), tg.Token()) {
		t.Errorf("the bot token reached the log")
	}
}

// exampleWithAdmin writes the shipped county file with adminID among its admins and
// returns its path.
func exampleWithAdmin(t *testing.T, adminID int64) string {
	t.Helper()
	example, err := os.ReadFile("../../consult/yuqing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "county.yaml")
	text := strings.Replace(string(example), "admins: [", fmt.Sprintf("admins: [%d, ", adminID), 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// scrapeUntil reads url until its body holds every one of wants, for at most 10 s, and
// returns those still missing at the last read.
func scrapeUntil(t *testing.T, url string, wants []string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var missing []string
		for _, want := range wants {
			if !strings.Contains(string(body), want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		<-tick.C
	}
}

// runServe runs `agriclinic serve` with env until the test ends, and logs what it wrote
// when the test failed.
func runServe(t *testing.T, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envOf(env), &logs, &logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Log(logs.String())
		}
	})
}
