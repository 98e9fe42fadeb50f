package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// startServe runs serve with cfg changed by adjust, and returns the address its HTTP
// server listens on; it stops with the test.
func startServe(t *testing.T, env map[string]string, adjust func(*config)) net.Addr {
	t.Helper()
	tg := telegramtest.NewServer(t)
	_, prefix := storetest.NewRedis(t)
	base := map[string]string{
		"TELEGRAM_TOKEN":   tg.Token(),
		"TELEGRAM_API_URL": tg.URL(),
		"DATABASE_URL":     storetest.NewDatabase(t),
		"REDIS_URL":        storetest.DefaultRedisURL,
		"REDIS_PREFIX":     prefix,
		"HTTP_ADDR":        "127.0.0.1:0",
		"METRICS_ADDR":     "off",
		"LOG_LEVEL":        "warn",
	}
	if v := os.Getenv("TEST_REDIS_URL"); v != "" {
		base["REDIS_URL"] = v
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := loadConfig(envOf(base), true)
	if err != nil {
		t.Fatal(err)
	}
	if adjust != nil {
		adjust(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	listening := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- serveWith(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)), serveExtras{listening: func(a net.Addr) { listening <- a }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, logs.String())
		}
	})
	select {
	case a := <-listening:
		return a
	case err := <-done:
		t.Fatalf("serve ended before listening: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve not listening within 30 s:\n%s", logs.String())
	}
	return nil
}

// closedWithin reports whether the server closes conn within d (whatever it sends first).
func closedWithin(t *testing.T, r io.Reader, conn net.Conn, d time.Duration) bool {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func TestTheHTTPServerDropsSlowAndIdleConnections(t *testing.T) {
	short := func(c *config) {
		c.HTTPTimeouts = httpTimeouts{ReadHeader: 300 * time.Millisecond, Read: 300 * time.Millisecond, Write: 5 * time.Second, Idle: 300 * time.Millisecond}
	}
	addr := startServe(t, nil, short).String()

	// A body promised and never sent: the server reads what the client owes before it
	// answers.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncsrf="); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(t, slow, slow, 5*time.Second) {
		t.Error("a request whose body never comes holds its connection open past the read timeout")
	}

	// A kept-alive connection that asks nothing more.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %v, %v", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if !closedWithin(t, br, idle, 5*time.Second) {
		t.Error("an idle kept-alive connection stays open past the idle timeout")
	}
}

func TestEveryHTTPServerHasEveryTimeout(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(envOf(map[string]string{}), false)
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(http.NotFoundHandler(), cfg.HTTPTimeouts)
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("timeouts: header %v, read %v, write %v, idle %v; want all set", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	// The playground's long poll (25 s) must end before the write timeout cuts it.
	if srv.WriteTimeout < time.Minute {
		t.Errorf("write timeout %v is shorter than the longest honest response", srv.WriteTimeout)
	}
}

func TestMetricsAreServedOnTheirOwnAddressNotThePublicOne(t *testing.T) {
	t.Parallel()
	metrics := freeAddr(t)
	public := startServe(t, map[string]string{"METRICS_ADDR": metrics}, nil).String()
	status := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := status("http://" + public + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on HTTP_ADDR: %d, want 404", code)
	}
	if code, body := status("http://" + metrics + "/metrics"); code != http.StatusOK || !strings.Contains(body, "agriclinic_outbox_backlog") {
		t.Errorf("/metrics on METRICS_ADDR: %d\n%s", code, body)
	}
	if code, _ := status("http://" + public + "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz on HTTP_ADDR: %d, want 200", code)
	}
}

func TestMetricsAddrIsLoopbackByDefaultAndCanBeOff(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		value, want, err string
	}{
		{"", "127.0.0.1:9090", ""},
		{"off", "", ""},
		{"OFF", "", ""},
		{"10.0.0.5:9100", "10.0.0.5:9100", ""},
		{"9090", "", "METRICS_ADDR"},
		{":8080", "", "METRICS_ADDR"}, // HTTP_ADDR's own
	} {
		cfg, err := loadConfig(envOf(map[string]string{"METRICS_ADDR": c.value}), false)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("METRICS_ADDR=%q: %v; want an error naming %s", c.value, err, c.err)
		case c.err == "" && (err != nil || cfg.MetricsAddr != c.want):
			t.Errorf("METRICS_ADDR=%q: %q, %v; want %q", c.value, cfg.MetricsAddr, err, c.want)
		}
	}
}
