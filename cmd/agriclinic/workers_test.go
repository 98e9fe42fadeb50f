package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestWorkersAreJoinedAndTheirErrorsLogged(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	w := &workers{log: slog.New(slog.NewTextHandler(&out, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	w.start(ctx, "failing", func(context.Context) error { return errors.New("lease store gone") })
	w.start(ctx, "patient", func(ctx context.Context) error {
		<-ctx.Done()
		close(stopped)
		return nil
	})
	cancel()
	w.wait(context.Background())
	select {
	case <-stopped:
	default:
		t.Fatal("wait returned before the patient worker did")
	}
	if got := out.String(); !strings.Contains(got, "worker=failing") || !strings.Contains(got, "lease store gone") {
		t.Errorf("log = %q, want the failing worker's error", got)
	}
}

func TestWorkersWaitNamesTheOnesStillRunningWhenItGivesUp(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	w := &workers{log: slog.New(slog.NewTextHandler(&out, nil))}
	release := make(chan struct{})
	w.start(context.Background(), "stuck", func(context.Context) error {
		<-release
		return nil
	})
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	w.wait(expired)
	if got := out.String(); !strings.Contains(got, "stuck") {
		t.Errorf("log = %q, want the worker still running named", got)
	}
	close(release)
	w.wait(context.Background())
}
