package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// stateCollector reads at scrape time what the archive and the queues hold, so the
// figures are true across all instances and survive restarts.
type stateCollector struct {
	db       *store.DB
	queue    *store.Queue
	counties []consult.County
	log      *slog.Logger
	now      func() time.Time

	questions *prometheus.Desc
	depth     *prometheus.Desc
	oldest    *prometheus.Desc
	backlog   *prometheus.Desc
}

func newStateCollector(db *store.DB, queue *store.Queue, counties []consult.County, log *slog.Logger) *stateCollector {
	return &stateCollector{
		db: db, queue: queue, counties: counties, log: log, now: time.Now,
		questions: prometheus.NewDesc("agriclinic_questions", "Questions in the archive by county and status.", []string{"county", "status"}, nil),
		depth:     prometheus.NewDesc("agriclinic_queue_depth", "Open questions waiting in each queue.", []string{"county", "category"}, nil),
		oldest:    prometheus.NewDesc("agriclinic_queue_oldest_seconds", "Age of the oldest question waiting in each queue (0 when empty).", []string{"county", "category"}, nil),
		backlog:   prometheus.NewDesc("agriclinic_outbox_backlog", "Messages stored but not yet delivered to Telegram.", nil, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.questions
	ch <- c.depth
	ch <- c.oldest
	ch <- c.backlog
}

// Collect leaves out what it cannot read (a scrape while Redis is down still reports the
// archive) and logs why.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if counts, err := c.db.QuestionCounts(ctx); err != nil {
		c.log.Warn("metrics: question counts", "err", err)
	} else {
		for _, s := range counts {
			ch <- prometheus.MustNewConstMetric(c.questions, prometheus.GaugeValue, float64(s.Count), s.CountyID, s.Status)
		}
	}
	if n, err := c.db.OutboxBacklog(ctx); err != nil {
		c.log.Warn("metrics: outbox backlog", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(n))
	}
	for _, county := range c.counties {
		ids := make([]string, len(county.Categories))
		for i, cat := range county.Categories {
			ids[i] = cat.ID
		}
		stats, err := c.queue.Stats(ctx, county.ID, ids)
		if err != nil {
			c.log.Warn("metrics: queues", "county", county.ID, "err", err)
			continue
		}
		for _, s := range stats {
			age := 0.0
			if !s.Oldest.IsZero() {
				age = c.now().Sub(s.Oldest).Seconds()
			}
			ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(s.Depth), county.ID, s.Category)
			ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, county.ID, s.Category)
		}
	}
}
