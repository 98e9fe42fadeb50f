package bot

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the counters the bot keeps as it works; what can be read off the archive and
// the queues at scrape time (questions by status, queue depth, outbox backlog) is collected
// in cmd/agriclinic. A nil *Metrics counts nothing.
type Metrics struct {
	updates     *prometheus.CounterVec
	sends       *prometheus.CounterVec
	rateLimited prometheus.Counter
	setAsides   prometheus.Counter
	toClaim     prometheus.Histogram
	toAnswer    prometheus.Histogram
}

// minutes are the buckets for time to claim and to answer: a clinic counts in minutes
// and hours, not milliseconds.
var minutes = []float64{60, 5 * 60, 15 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600}

// NewMetrics registers the bot's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agriclinic_updates_total", Help: "Telegram updates handled, by kind and outcome (ok, retry, panic).",
		}, []string{"kind", "outcome"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "agriclinic_sends_total", Help: "Outbox deliveries by method (send, edit) and result (sent, retry, failed, limited).",
		}, []string{"method", "result"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agriclinic_telegram_429_total", Help: "Times Telegram answered 429 Too Many Requests.",
		}),
		setAsides: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agriclinic_updates_set_aside_total", Help: "Updates set aside in dead_updates after failing repeatedly (see the dashboard's problems page).",
		}),
		toClaim: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "agriclinic_time_to_claim_seconds", Help: "From a question asked to an expert claiming it.", Buckets: minutes,
		}),
		toAnswer: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "agriclinic_time_to_answer_seconds", Help: "From a question asked to its answer.", Buckets: minutes,
		}),
	}
	reg.MustRegister(m.updates, m.sends, m.rateLimited, m.setAsides, m.toClaim, m.toAnswer)
	return m
}

func (m *Metrics) update(kind, outcome string) {
	if m != nil {
		// Commands are few and known; anything else would make a label per typo.
		m.updates.WithLabelValues(kindLabel(kind), outcome).Inc()
	}
}

func (m *Metrics) send(method, result string) {
	if m != nil {
		m.sends.WithLabelValues(method, result).Inc()
	}
}

func (m *Metrics) limited() {
	if m != nil {
		m.rateLimited.Inc()
	}
}

func (m *Metrics) setAside() {
	if m != nil {
		m.setAsides.Inc()
	}
}

func (m *Metrics) claimed(seconds float64) {
	if m != nil {
		m.toClaim.Observe(seconds)
	}
}

func (m *Metrics) answered(seconds float64) {
	if m != nil {
		m.toAnswer.Observe(seconds)
	}
}

// kindLabel keeps the label set bounded: unknown commands are one label, and so are
// buttons of unknown actions (forged data would otherwise make a label per press).
func kindLabel(kind string) string {
	for _, k := range []struct {
		prefix string
		known  func() map[string]struct{}
	}{{"command:", knownCommands}, {"button:", knownButtons}} {
		if name, ok := strings.CutPrefix(kind, k.prefix); ok {
			if _, known := k.known()[name]; !known {
				return k.prefix + "unknown"
			}
			return kind
		}
	}
	return kind
}

// knownCommands are the commands of commandTable, each its own label.
var knownCommands = sync.OnceValue(func() map[string]struct{} {
	known := map[string]struct{}{}
	for _, c := range commandTable() {
		known[c.name] = struct{}{}
	}
	return known
})

// knownButtons are the actions of buttonTable, each its own label.
var knownButtons = sync.OnceValue(func() map[string]struct{} {
	known := map[string]struct{}{}
	for _, btn := range buttonTable() {
		known[btn.action] = struct{}{}
	}
	return known
})
