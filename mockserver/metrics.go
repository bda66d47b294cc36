package mockserver

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the mock's Prometheus metrics, in a registry of its own so
// that several mocks can live in one process.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	unread   *prometheus.CounterVec
	faults   *prometheus.CounterVec
	latency  prometheus.Histogram
	resets   prometheus.Counter
}

func newMetrics(marks func() int, production func() ProductionStats) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "msgread_mock_answers_total",
			Help: "Answers with a JSON envelope, by ErrorCode.",
		}, []string{"code"}),
		unread: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "msgread_mock_unread_answers_total",
			Help: "Answers of get_c2c_unread_msg_num, by ErrorCode.",
		}, []string{"code"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "msgread_mock_faults_total",
			Help: "Requests answered by an injected fault, by fault kind.",
		}, []string{"kind"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "msgread_mock_injected_latency_seconds",
			Help:    "Latency the mock added before answering.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		resets: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "msgread_mock_resets_total",
			Help: "POST /mock/reset calls. They zero /mock/stats, never these counters, which count from the mock's start.",
		}),
	}
	m.reg.MustRegister(m.requests, m.unread, m.faults, m.latency, m.resets,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "msgread_mock_marked_pairs",
			Help: "Distinct pairs marked read.",
		}, func() float64 { return float64(marks()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "msgread_mock_production_calls_total",
			Help: "Production calls the mock generated under the mark-read ceiling (a scenario's production traffic).",
		}, func() float64 { return float64(production().Calls) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "msgread_mock_production_refused_total",
			Help: "Production calls the mark-read ceiling refused.",
		}, func() float64 { return float64(production().Refused) }),
		collectors.NewGoCollector(),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
