//go:build !nodemo

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

func TestTheDemoListensOnThisMachineOnlyByDefault(t *testing.T) {
	t.Parallel()
	demoToken := map[string]string{"TELEGRAM_TOKEN": "0:demo"}
	// Set to "" as an unset environment is: envOf turns METRICS_ADDR off for tests.
	cfg, err := loadConfig(demoEnv(envOf(map[string]string{"METRICS_ADDR": ""}), demoToken), false)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:8080" {
		t.Errorf("the demo's HTTP_ADDR by default: %q, want 127.0.0.1:8080 (its /play/dashboard signs anyone in as admin)", cfg.HTTPAddr)
	}
	if cfg.MetricsAddr != "" {
		t.Errorf("the demo's METRICS_ADDR by default: %q, want off", cfg.MetricsAddr)
	}
	cfg, err = loadConfig(demoEnv(envOf(map[string]string{"HTTP_ADDR": ":8081", "METRICS_ADDR": "127.0.0.1:9191"}), demoToken), false)
	if err != nil || cfg.HTTPAddr != ":8081" || cfg.MetricsAddr != "127.0.0.1:9191" {
		t.Errorf("addresses asked for: %q, %q, %v; want :8081 and 127.0.0.1:9191", cfg.HTTPAddr, cfg.MetricsAddr, err)
	}
	// serve keeps its own default.
	if cfg, err := loadConfig(envOf(nil), false); err != nil || cfg.HTTPAddr != ":8080" {
		t.Errorf("serve's HTTP_ADDR by default: %q, %v; want :8080", cfg.HTTPAddr, err)
	}
}

// secretFile writes value to a file of the test, as a container's secret is mounted.
func secretFile(t *testing.T, name, value string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTheDemoReadsEveryVariableFromAFileAsServeDoes(t *testing.T) {
	t.Parallel()
	dbURL := storetest.NewDatabase(t)
	rdb, prefix := storetest.NewRedis(t)
	redisURL := storetest.DefaultRedisURL
	if v := os.Getenv("TEST_REDIS_URL"); v != "" {
		redisURL = v
	}
	_, stop := runDemo(t, map[string]string{
		"DATABASE_URL_FILE": secretFile(t, "database_url", dbURL),
		"REDIS_URL_FILE":    secretFile(t, "redis_url", redisURL),
		"REDIS_PREFIX_FILE": secretFile(t, "redis_prefix", prefix),
		"LOG_LEVEL":         "warn",
	})
	defer stop()

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var seeded bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM groups WHERE chat_id = $1)`, int64(demoGroupID)).Scan(&seeded); err != nil || !seeded {
		t.Errorf("the database DATABASE_URL_FILE names: seeded %v, %v; want the demo clinic in it", seeded, err)
	}
	if !redisKeysAppear(t, rdb, prefix) {
		t.Errorf("no key under %q in the Redis REDIS_URL_FILE names: the demo did not use it", prefix)
	}
}

// redisKeysAppear waits up to 10 s for a key under prefix (the leases are taken just
// after the demo says it is ready).
func redisKeysAppear(t *testing.T, rdb *redis.Client, prefix string) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		keys, err := rdb.Keys(context.Background(), prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
}

// realArchive makes a database as serve leaves it: migrated, the example county saved
// and a group of its own bound.
func realArchive(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	dbURL := storetest.NewDatabase(t)
	pool := storetest.NewPoolAt(t, dbURL)
	if _, err := store.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	rdb, prefix := storetest.NewRedis(t)
	counties, err := consult.ParseCounties(consult.ExampleCounties, "yuqing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc := consult.NewService(store.NewDB(pool), store.NewQueue(rdb, prefix), counties, consult.Options{})
	if err := svc.SaveCounties(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return dbURL, conn
}

// demoRefuses runs the demo on dbURL and returns the error it stops with; a demo that
// starts fails the test.
func demoRefuses(t *testing.T, dbURL string) error {
	t.Helper()
	_, prefix := storetest.NewRedis(t)
	env := demoTestEnv(dbURL, prefix)
	env["HTTP_ADDR"] = freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &readySignal{ready: make(chan struct{})}
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"demo"}, envOf(env), out, &logs) }()
	select {
	case err := <-done:
		return err
	case <-out.ready:
		cancel()
		<-done
		t.Fatalf("the demo started on a database that holds another archive")
	case <-time.After(60 * time.Second):
		cancel()
		<-done
		t.Fatalf("the demo neither started nor refused within a minute:\n%s", logs.String())
	}
	return nil
}

func TestTheDemoRefusesADatabaseThatHoldsAnotherArchive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL, conn := realArchive(t)
	if _, err := conn.Exec(ctx, `INSERT INTO groups (chat_id, county_id, township, title, bound_by, bound_at)
		VALUES (-100777, 'yuqing', '白泥镇', '白泥镇种植户交流群', 42, now())`); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	err = demoRefuses(t, dbURL)
	t.Logf("the demo says: %v", err)
	if err == nil || !strings.Contains(err.Error(), cfg.Database) || !strings.Contains(err.Error(), "not the demo's") {
		t.Errorf("the demo on a real archive: %v; want a refusal naming the database %s", err, cfg.Database)
	}
	var demoGroup bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM groups WHERE chat_id = $1)`, int64(demoGroupID)).Scan(&demoGroup); err != nil || demoGroup {
		t.Errorf("the refused database got the demo's group: %v, %v", demoGroup, err)
	}
}

func TestTheDemoRefusesItsOwnArchiveOnceAnotherChatAskedInIt(t *testing.T) {
	t.Parallel()
	_, prefix := storetest.NewRedis(t)
	dbURL := storetest.NewDatabase(t)
	_, stop := runDemo(t, demoTestEnv(dbURL, prefix))
	stop()
	// The demo starts again on what it made itself.
	_, stop = runDemo(t, demoTestEnv(dbURL, prefix))
	stop()

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE questions SET chat_id = -100888 WHERE id = (SELECT min(id) FROM questions)`); err != nil {
		t.Fatal(err)
	}
	if err := demoRefuses(t, dbURL); err == nil || !strings.Contains(err.Error(), fmt.Sprint(-100888)) {
		t.Errorf("the demo on an archive with a question from chat -100888: %v; want a refusal naming that chat", err)
	}
}
