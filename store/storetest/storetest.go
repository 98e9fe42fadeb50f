// Package storetest gives tests a real, empty, migrated Postgres database and a private
// key space on a real Redis. Nothing here is a mock: tests talk to the servers the product
// talks to.
//
// TEST_DATABASE_URL names a role that may create databases (default: the local server as
// postgres); TEST_REDIS_URL names the Redis (default: the local server).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/store"
)

// DefaultDatabaseURL is the server tests use when TEST_DATABASE_URL is unset.
const DefaultDatabaseURL = "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DefaultRedisURL is the server tests use when TEST_REDIS_URL is unset.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewDatabase gives the test a database with every migration applied, for it alone until
// it ends, and returns its URL. A database of its own lets a test commit, run the whole
// bot, and run in parallel with others.
//
// The database is one a finished test left and that was emptied since (see recycle.go),
// or else a copy (CREATE DATABASE … TEMPLATE) of a migrated template that the first call
// in a test binary finds or builds (see migratedTemplate): migrating a database costs
// about half a second, copying one a little less, emptying one a few hundredths.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	adminURL := env("TEST_DATABASE_URL", DefaultDatabaseURL)
	tmpl, err := migratedTemplate(ctx, adminURL)
	if err != nil {
		t.Fatalf("storetest: template database: %v", err)
	}
	digest := strings.TrimPrefix(tmpl, templatePrefix)
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("storetest: connect to %s: %v (is Postgres running? `bash .ci/services`)", redact(adminURL), err)
	}
	defer admin.Close(ctx)
	name := "agriclinic_test_" + randomName()
	url, err := databaseURL(adminURL, name)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	taken, err := takeIdle(ctx, admin, digest, name)
	if err != nil {
		t.Logf("storetest: no recycled database (%v); copying the template", err)
	}
	if !taken {
		if err := clone(ctx, admin, tmpl, name); err != nil {
			t.Fatalf("storetest: create database: %v", err)
		}
		// Without the record the database is dropped after the test, not recycled.
		if err := recordPristine(ctx, admin, url, name); err != nil {
			t.Logf("storetest: %s will not be recycled: %v", name, err)
		}
	}
	t.Cleanup(func() {
		ctx := context.Background()
		admin, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			t.Logf("storetest: drop %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if err := release(ctx, admin, adminURL, digest, name); err != nil {
			t.Logf("storetest: %s: %v", name, err)
		}
	})
	return url
}

// databaseURL is adminURL's server and role with another database.
func databaseURL(adminURL, name string) (string, error) {
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return "", fmt.Errorf("parse TEST_DATABASE_URL: %w", err)
	}
	return fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, name), nil
}

// NewPool returns a pool on a fresh migrated database (see NewDatabase).
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return NewPoolAt(t, NewDatabase(t))
}

// NewPoolAt opens a pool on url, closed when the test ends.
func NewPoolAt(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("storetest: pool: %v", err)
	}
	store.TunePool(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("storetest: pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewRedis returns a client on the test Redis and a key prefix no other test uses; the
// keys under it are deleted when the test ends.
func NewRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opts, err := redis.ParseURL(env("TEST_REDIS_URL", DefaultRedisURL))
	if err != nil {
		t.Fatalf("storetest: parse TEST_REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("storetest: redis: %v (is Redis running? `bash .ci/services`)", err)
	}
	prefix := "agriclinic-test:" + randomName() + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}

// redact hides a password in a URL for messages.
func redact(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "TEST_DATABASE_URL"
	}
	return fmt.Sprintf("%s@%s:%d", cfg.User, cfg.Host, cfg.Port)
}
