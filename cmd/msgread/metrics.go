package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// latencyBounds are the buckets of msgread_call_duration_seconds.
var latencyBounds = []time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// runCollector exports a run's counters as Prometheus metrics, read from
// the runner's snapshot at each scrape: nothing is added to the path of a
// call.
type runCollector struct {
	runner  *batch.Runner
	command string
	start   time.Time
	total   int64 // the input's rows; negative when unknown

	mu   sync.Mutex
	pace pace // sampled every second, for the ETA

	rows, rowsRead, calls, retries, throttles, inFlight, rate, target, quota, remaining, eta, latency, started, input, info *prometheus.Desc
}

func newRunCollector(runner *batch.Runner, command string, start time.Time, total int64) *runCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("msgread_"+name, help, labels, nil)
	}
	return &runCollector{runner: runner, command: command, start: start, total: total,
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
func (c *runCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.rows, c.rowsRead, c.calls, c.retries, c.throttles, c.inFlight, c.rate, c.target, c.quota, c.remaining, c.eta, c.latency, c.started, c.input, c.info} {
		ch <- d
	}
}

// sample adds a snapshot to the pace; a goroutine calls it every second.
func (c *runCollector) sample() {
	p := c.runner.Progress()
	c.mu.Lock()
	c.pace.add(p)
	c.mu.Unlock()
}

// Collect reads the runner's snapshot.
func (c *runCollector) Collect(ch chan<- prometheus.Metric) {
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
	gauge(c.info, 1, versionString(), c.command)
	if c.total >= 0 {
		left := max(c.total-p.Done, 0)
		gauge(c.input, float64(c.total))
		gauge(c.remaining, float64(left))
		c.mu.Lock()
		c.pace.add(p) // the freshest sample: a scrape need not wait for the ticker
		eta := c.pace.eta(left)
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

// serveMetrics serves the run's metrics on addr (a host left out is
// loopback) until the returned stop is called, and says where on stderr.
func serveMetrics(e *env, name, addr string, c *runCollector) (stop func(), err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usageError(fmt.Sprintf("--metrics-addr %q: want host:port, or :port for loopback", addr))
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(e.stderr, "msgread %s: warning: --metrics-addr %s is reachable beyond this machine; the metrics hold no secret, but say how the migration goes\n", name, addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, usageError(fmt.Sprintf("--metrics-addr: %v", err))
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(e.stderr, "msgread %s: metrics server: %v\n", name, err)
		}
	}()
	tick := time.NewTicker(time.Second)
	quit := make(chan struct{})
	go func() {
		for {
			select {
			case <-tick.C:
				c.sample()
			case <-quit:
				return
			}
		}
	}()
	fmt.Fprintf(e.stderr, "msgread %s: metrics at http://%s/metrics\n", name, net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)))
	return func() {
		tick.Stop()
		close(quit)
		srv.Close()
		<-done
	}, nil
}
