package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// leaseTTL is how long a lease lasts without renewal: a standby takes over within about
// this long after the holder dies.
const leaseTTL = 6 * time.Second

// whileLeader runs fn whenever this instance holds the named lease and stops it (by
// cancelling its context) when another instance holds it instead. While Redis cannot be
// reached, every instance runs fn: the work it guards (polling, periodic jobs) stays
// correct when done twice — Telegram refuses a second poller with 409 and Postgres
// deduplicates — and a bot that stops working when Redis blinks would be worse.
func whileLeader(ctx context.Context, leases *store.Leases, name, holder string, ttl time.Duration, log *slog.Logger, fn func(context.Context) error) error {
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for ctx.Err() == nil {
		ok, err := leases.Acquire(ctx, name, holder, ttl)
		if err != nil {
			log.Warn("lease unavailable; running without it", "lease", name, "err", err)
			ok = true
		}
		if !ok {
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
			continue
		}
		log.Info("holding the lease", "lease", name, "holder", holder)
		if err := holdWhileRunning(ctx, leases, name, holder, ttl, log, tick, fn); err != nil {
			return err
		}
	}
	return nil
}

// holdWhileRunning runs fn and renews the lease until fn ends, ctx ends or the lease is
// lost.
func holdWhileRunning(ctx context.Context, leases *store.Leases, name, holder string, ttl time.Duration, log *slog.Logger, tick *time.Ticker, fn func(context.Context) error) error {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(fctx) }()
	for {
		select {
		case err := <-done:
			_ = leases.Release(context.WithoutCancel(ctx), name, holder)
			return err
		case <-tick.C:
			ok, err := leases.Acquire(ctx, name, holder, ttl)
			if err != nil {
				log.Warn("cannot renew the lease; carrying on", "lease", name, "err", err)
				continue
			}
			if !ok {
				log.Warn("lost the lease to another instance; standing by", "lease", name)
				cancel()
				return <-done
			}
		}
	}
}

// every runs job now and then every interval until ctx ends; a failure is logged and the
// next round tries again.
func every(ctx context.Context, interval time.Duration, log *slog.Logger, name string, job func(context.Context) error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := job(ctx); err != nil && ctx.Err() == nil {
			log.Warn("periodic job failed", "job", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
