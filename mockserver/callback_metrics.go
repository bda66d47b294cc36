package mockserver

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// callbackMetrics are the webhooks' Prometheus metrics, by callback
// command; registered with the mock's own when it sends callbacks.
type callbackMetrics struct {
	sent, answered, dropped *prometheus.CounterVec
	failed                  *prometheus.CounterVec // by command and reason
	latency                 *prometheus.HistogramVec
}

func newCallbackMetrics() *callbackMetrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append([]string{"command"}, labels...))
	}
	return &callbackMetrics{
		sent:     counter("msgread_mock_callbacks_sent_total", "Callbacks POSTed to the callback URL, by CallbackCommand."),
		answered: counter("msgread_mock_callbacks_answered_total", "Callbacks the endpoint answered 2xx."),
		failed:   counter("msgread_mock_callbacks_failed_total", "Callbacks that failed, by reason (http NNN, timeout, connection, stopped).", "reason"),
		dropped:  counter("msgread_mock_callbacks_dropped_total", "Callbacks dropped because the queue was full."),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "msgread_mock_callback_latency_seconds",
			Help:    "Time the callback endpoint took to answer (2xx or not).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"command"}),
	}
}

// collectors are the metrics to register, with a gauge of the callbacks
// pending.
func (c *callbacks) collectors() []prometheus.Collector {
	m := c.metrics
	return []prometheus.Collector{m.sent, m.answered, m.failed, m.dropped, m.latency,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "msgread_mock_callbacks_pending",
			Help: "Callbacks queued or in flight.",
		}, func() float64 {
			c.mu.Lock()
			defer c.mu.Unlock()
			return float64(c.pending)
		}),
	}
}

// count counts one callback's end; why is "" for a 2xx answer.
func (m *callbackMetrics) count(command, why string, took time.Duration) {
	if why == "" {
		m.answered.WithLabelValues(command).Inc()
	} else {
		m.failed.WithLabelValues(command, why).Inc()
	}
	if why == "" || why[0] == 'h' {
		m.latency.WithLabelValues(command).Observe(took.Seconds())
	}
}
