package batch

import (
	"sync"
	"time"

	"github.com/msgread/msgread/reports"
	"github.com/prometheus/client_golang/prometheus"
)

// latencyBounds are the buckets of msgread_call_duration_seconds.
var latencyBounds = []time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// Collector exports a run's counters as Prometheus metrics (msgread_*),
// read from the runner's snapshot at each scrape: nothing is added to the
// path of a call. Its ETA looks at the last PaceWindow: call Sample every
// second or so to feed it between scrapes. Safe for concurrent use.
type Collector struct {
	runner           *Runner
	command, version string
	start            time.Time
	total            int64 // the input's rows; negative when unknown

	mu   sync.Mutex
	pace Pace

	rows, rowsRead, calls, retries, throttles, inFlight, rate, target, quota, remaining, eta, latency, started, input, info *prometheus.Desc
}

// NewCollector returns the metrics of runner's run, which started at start
// and reads total rows (negative when unknown); command and version label
// msgread_build_info.
func NewCollector(runner *Runner, command, version string, start time.Time, total int64) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("msgread_"+name, help, labels, nil)
	}
	return &Collector{runner: runner, command: command, version: version, start: start, total: total,
		rows:      d("rows_total", "Rows finished, by their status in the report.", "status"),
		rowsRead:  d("rows_read_total", "Rows taken from the input."),
		calls:     d("calls_total", "Calls answered, retries included, by error code (or http NNN, network, malformed) and class.", "code", "class"),
		retries:   d("retries_total", "Calls that were retries of an earlier call."),
		throttles: d("throttle_events_total", "Times a 'slow down' answer lowered the pacer's rate."),
		inFlight:  d("calls_in_flight", "Calls sent and not yet answered."),
		rate:      d("pacer_rate_calls_per_second", "The pacer's rate now (below the target after a slow-down)."),
		target:    d("target_rate_calls_per_second", "The rate the profile asks for now."),
		quota:     d("quota_left_calls_per_second", "The calls a second the service has left, as the pacer last learned it (only after a 'slow down')."),
		remaining: d("rows_remaining", "Input rows not finished yet (only when the input's size is known)."),
		eta:       d("eta_seconds", "Time the remaining rows take at the rate of the last minute, skipped rows left out (only when known)."),
		latency:   d("call_duration_seconds", "Latency of each answered call, from its send."),
		started:   d("start_time_seconds", "When the run started, in Unix seconds."),
		input:     d("input_rows", "Rows in the input (only when its size is known)."),
		info:      d("build_info", "Always 1: msgread's version and the command running.", "version", "command"),
	}
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.rows, c.rowsRead, c.calls, c.retries, c.throttles, c.inFlight, c.rate, c.target, c.quota, c.remaining, c.eta, c.latency, c.started, c.input, c.info} {
		ch <- d
	}
}

// Sample adds the runner's snapshot to the pace behind the ETA.
func (c *Collector) Sample() {
	p := c.runner.Progress()
	c.mu.Lock()
	c.pace.Add(p)
	c.mu.Unlock()
}

// Collect reads the runner's snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	p := c.runner.Progress()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	for _, st := range reports.Statuses {
		counter(c.rows, float64(p.ByStatus[st]), string(st))
	}
	counter(c.rowsRead, float64(p.Read))
	for _, a := range c.runner.Answers() {
		counter(c.calls, float64(a.N), a.Code, a.Class)
	}
	counter(c.retries, float64(p.Retries))
	counter(c.throttles, float64(p.Throttles))
	gauge(c.inFlight, float64(p.InFlight))
	gauge(c.rate, p.Rate)
	gauge(c.target, p.Target)
	if p.QuotaLeft > 0 {
		gauge(c.quota, p.QuotaLeft)
	}
	gauge(c.started, float64(c.start.UnixNano())/1e9)
	gauge(c.info, 1, c.version, c.command)
	if c.total >= 0 {
		left := max(c.total-p.Done, 0)
		gauge(c.input, float64(c.total))
		gauge(c.remaining, float64(left))
		c.mu.Lock()
		c.pace.Add(p) // the freshest sample: a scrape need not wait for Sample
		eta := c.pace.ETA(left)
		c.mu.Unlock()
		if eta > 0 || left == 0 {
			gauge(c.eta, eta.Seconds())
		}
	}
	cum, n, sum := c.runner.LatencyBuckets(latencyBounds)
	buckets := make(map[float64]uint64, len(latencyBounds))
	for i, b := range latencyBounds {
		buckets[b.Seconds()] = cum[i]
	}
	ch <- prometheus.MustNewConstHistogram(c.latency, n, sum.Seconds(), buckets)
}
