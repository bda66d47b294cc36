package main

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports"
	"github.com/schollz/progressbar/v3"
)

// DefaultLogEvery is how often the plain progress line is printed.
const DefaultLogEvery = 10 * time.Second

// rateWindow is how far back the progress rate and the ETA look: a resumed
// run's skipped rows, or the slow start of a ramp, fade out of it.
const rateWindow = time.Minute

// pace measures the rows a run works through (skipped ones left out) over
// the last rateWindow, for an honest rate and ETA.
type pace struct {
	samples []paceSample // a second apart at least, oldest first
	latest  paceSample
}

type paceSample struct {
	at     time.Duration // since the run started
	worked int64         // rows finished, skipped ones left out
}

// add records a snapshot.
func (p *pace) add(s batch.Progress) {
	p.latest = paceSample{s.Elapsed, s.Done - s.ByStatus[reports.StatusSkipped]}
	if n := len(p.samples); n == 0 || p.latest.at-p.samples[n-1].at >= time.Second {
		p.samples = append(p.samples, p.latest)
	}
	for len(p.samples) > 2 && p.latest.at-p.samples[1].at >= rateWindow {
		p.samples = p.samples[1:]
	}
}

// rate is the rows per second over the window; 0 until it spans a second.
func (p *pace) rate() float64 {
	if len(p.samples) == 0 {
		return 0
	}
	first := p.samples[0]
	span := (p.latest.at - first.at).Seconds()
	if span < 1 {
		return 0
	}
	return float64(p.latest.worked-first.worked) / span
}

// eta is the time the rows left take at the window's rate; 0 unknown.
func (p *pace) eta(remaining int64) time.Duration {
	r := p.rate()
	if r <= 0 || remaining <= 0 {
		return 0
	}
	return (time.Duration(float64(remaining)/r) * time.Second).Round(time.Second)
}

// checkProgress validates a --progress value.
func checkProgress(mode string) error {
	switch mode {
	case "auto", "bar", "log", "none":
		return nil
	}
	return usageError(fmt.Sprintf("--progress %q: want auto, bar, log or none", mode))
}

// progressView is how progress is shown: --progress, --log-every and
// whether log lines are JSON.
type progressView struct {
	mode  string
	every time.Duration
	json  bool
}

// startProgress shows the run's progress on stderr until the returned stop is
// called: a progress bar when mode is "bar", or "auto" on a terminal; a plain
// line every logEvery for "log", or "auto" elsewhere (CI); nothing for "none".
func startProgress(e *env, v progressView, total int64, snapshot func() batch.Progress) (stop func()) {
	mode := v.mode
	if mode == "auto" {
		mode = "log"
		if isTerminal(e.stderr) && !v.json {
			mode = "bar"
		}
	}
	if mode == "none" {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if mode == "bar" {
			showBar(e.stderr, total, snapshot, done)
		} else {
			showLog(e.stderr, v, total, snapshot, done)
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

func showBar(w io.Writer, total int64, snapshot func() batch.Progress, done <-chan struct{}) {
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("marking read"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetPredictTime(false), // its ETA would count skipped rows
		progressbar.OptionFullWidth(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var pc pace
	update := func() {
		p := snapshot()
		pc.add(p)
		if total >= 0 && p.Done > total {
			total = p.Done
			bar.ChangeMax64(total)
		}
		desc := fmt.Sprintf("errors %d", errorsSoFar(p))
		if eta := pc.eta(total - p.Done); total > 0 && eta > 0 {
			desc += fmt.Sprintf(", ETA %s", eta)
		}
		if p.Throttles > 0 {
			desc += fmt.Sprintf(", slowed to %.0f/s", p.Rate)
		}
		bar.Describe(desc)
		bar.Set64(p.Done)
	}
	for {
		select {
		case <-tick.C:
			update()
		case <-done:
			update()
			bar.Exit()
			fmt.Fprintln(w)
			return
		}
	}
}

func showLog(w io.Writer, v progressView, total int64, snapshot func() batch.Progress, done <-chan struct{}) {
	// Sample every second for the rate, print every v.every.
	sample := time.NewTicker(time.Second)
	defer sample.Stop()
	print := time.NewTicker(v.every)
	defer print.Stop()
	var pc pace
	var log *slog.Logger
	if v.json {
		log = slog.New(slog.NewJSONHandler(w, nil))
	}
	for {
		select {
		case <-sample.C:
			pc.add(snapshot())
		case now := <-print.C:
			p := snapshot()
			pc.add(p)
			if log != nil {
				log.Info("progress", progressAttrs(p, total, &pc)...)
				continue
			}
			fmt.Fprintln(w, now.UTC().Format(time.RFC3339)+" msgread: "+progressLine(p, total, &pc))
		case <-done:
			return
		}
	}
}

// progressAttrs are the progress line's values, for a JSON log line.
func progressAttrs(p batch.Progress, total int64, pc *pace) []any {
	attrs := []any{slog.Int64("done", p.Done)}
	if total > 0 {
		left := max(total-p.Done, 0)
		attrs = append(attrs, slog.Int64("input_rows", total), slog.Int64("remaining", left))
		if d := pc.eta(left); d > 0 {
			attrs = append(attrs, slog.Float64("eta_seconds", d.Seconds()))
		}
	}
	attrs = append(attrs, slog.Float64("rows_per_second", pc.rate()))
	for _, st := range reports.Statuses {
		attrs = append(attrs, slog.Int64(string(st), p.ByStatus[st]))
	}
	return append(attrs, slog.Int64("calls", p.Attempts), slog.Int64("retries", p.Retries), slog.Int64("in_flight", p.InFlight),
		slog.Float64("rate", p.Rate), slog.Float64("target_rate", p.Target), slog.Int("throttles", p.Throttles))
}

func errorsSoFar(p batch.Progress) int64 {
	return reports.NotOK(p.ByStatus)
}

// progressLine is the plain progress line: rows done of the input's,
// rows left, the rate and ETA over the last minute (skipped rows left out),
// statuses and calls.
func progressLine(p batch.Progress, total int64, pc *pace) string {
	of, eta := "", ""
	if total > 0 {
		left := max(total-p.Done, 0)
		of = fmt.Sprintf(" of %d input rows (%.1f%%), %d remaining", total, 100*float64(p.Done)/float64(total), left)
		if d := pc.eta(left); d > 0 {
			eta = fmt.Sprintf(", ETA %s", d)
		}
	}
	throttled := ""
	if p.Throttles > 0 {
		throttled = fmt.Sprintf("; slowed down %d times, now %.1f calls/s", p.Throttles, p.Rate)
	}
	return fmt.Sprintf("done %d%s; %.1f rows/s over the last minute%s; ok %d, failed %d, gave_up %d, invalid %d, skipped %d; %d calls (%d retries), %d in flight%s",
		p.Done, of, pc.rate(), eta, p.ByStatus[reports.StatusOK], p.ByStatus[reports.StatusFailed], p.ByStatus[reports.StatusGaveUp],
		p.ByStatus[reports.StatusInvalid], p.ByStatus[reports.StatusSkipped], p.Attempts, p.Retries, p.InFlight, throttled)
}
