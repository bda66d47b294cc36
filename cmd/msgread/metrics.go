package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serveMetrics serves the run's metrics on addr (a host left out is
// loopback) until the returned stop is called, and says where on stderr.
func serveMetrics(e *env, name, addr string, c *batch.Collector) (stop func(), err error) {
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
				c.Sample()
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
