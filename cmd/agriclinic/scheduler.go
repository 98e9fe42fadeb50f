package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/robfig/cron/v3"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/consult"
)

// runScheduler runs the county schedules until ctx ends. A cron entry fires each minute
// (clinic sessions start on the minute) and only asks the service to do what is due;
// the service records every piece of work in Postgres, so every instance may run this at
// once and a restart at any moment repeats nothing. It also runs once at start, which
// catches up on what fell due while the bot was down.
func runScheduler(ctx context.Context, svc *consult.Service, log *slog.Logger) error {
	due := func() {
		if n, err := svc.RunDue(ctx, bot.ScheduledMessages); err != nil {
			log.Warn("scheduled work failed; the next minute tries again", "err", err)
		} else if n > 0 {
			log.Info("scheduled work done", "pieces", n)
		}
	}
	logger := cronLogger{log}
	c := cron.New(cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)), cron.WithLogger(logger))
	if _, err := c.AddFunc("* * * * *", due); err != nil {
		return fmt.Errorf("scheduler not started: %w", err)
	}
	due()
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// cronLogger writes cron's own messages (a recovered panic, a skipped run) to our log.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	l.log.Debug("cron: "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append(keysAndValues, "err", err)...)
}
