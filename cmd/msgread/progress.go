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
		// Its own rows/s and ETA would count skipped rows (a resume skips
		// 100,000 a second): barText gives the pace's, over worked rows.
		progressbar.OptionThrottle(barEvery*4/5),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionFullWidth(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	tick := time.NewTicker(barEvery)
	defer tick.Stop()
	var pc batch.Pace
	update := func() {
		p := snapshot()
		pc.Add(p)
		if total >= 0 && p.Done > total {
			total = p.Done
			bar.ChangeMax64(total)
		}
		bar.Describe(barText(p, total, &pc))
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

// barEvery is how often the bar is drawn (a variable for tests).
var barEvery = 250 * time.Millisecond

// barText is the bar's description: errors so far, and the rows worked a
// second and the ETA over the pace's window, skipped rows left out (after a
// resume, the bar's count jumps by the done lines, which take no time).
func barText(p batch.Progress, total int64, pc *batch.Pace) string {
	desc := fmt.Sprintf("errors %d", errorsSoFar(p))
	if r := pc.Rate(); r > 0 {
		desc += fmt.Sprintf(", %.0f rows/s", r)
	}
	if eta := pc.ETA(total - p.Done); total > 0 && eta > 0 {
		desc += fmt.Sprintf(", ETA %s", eta)
	}
	if p.Throttles > 0 {
		desc += fmt.Sprintf(", slowed to %.0f/s", p.Rate)
	}
	return desc
}

func showLog(w io.Writer, v progressView, total int64, snapshot func() batch.Progress, done <-chan struct{}) {
	// Sample every second for the rate, print every v.every.
	sample := time.NewTicker(time.Second)
	defer sample.Stop()
	print := time.NewTicker(v.every)
	defer print.Stop()
	var pc batch.Pace
	var log *slog.Logger
	if v.json {
		log = slog.New(slog.NewJSONHandler(w, nil))
	}
	for {
		select {
		case <-sample.C:
			pc.Add(snapshot())
		case now := <-print.C:
			p := snapshot()
			pc.Add(p)
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
func progressAttrs(p batch.Progress, total int64, pc *batch.Pace) []any {
	attrs := []any{slog.Int64("done", p.Done)}
	if total > 0 {
		left := max(total-p.Done, 0)
		attrs = append(attrs, slog.Int64("input_rows", total), slog.Int64("remaining", left))
		if d := pc.ETA(left); d > 0 {
			attrs = append(attrs, slog.Float64("eta_seconds", d.Seconds()))
		}
	}
	attrs = append(attrs, slog.Float64("rows_per_second", pc.Rate()))
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
func progressLine(p batch.Progress, total int64, pc *batch.Pace) string {
	of, eta := "", ""
	if total > 0 {
		left := max(total-p.Done, 0)
		of = fmt.Sprintf(" of %d input rows (%.1f%%), %d remaining", total, 100*float64(p.Done)/float64(total), left)
		if d := pc.ETA(left); d > 0 {
			eta = fmt.Sprintf(", ETA %s", d)
		}
	}
	throttled := ""
	if p.Throttles > 0 {
		throttled = fmt.Sprintf("; slowed down %d times, now %.1f calls/s", p.Throttles, p.Rate)
	}
	return fmt.Sprintf("done %d%s; %.1f rows/s over the last minute%s; ok %d, failed %d, gave_up %d, invalid %d, skipped %d; %d calls (%d retries), %d in flight%s",
		p.Done, of, pc.Rate(), eta, p.ByStatus[reports.StatusOK], p.ByStatus[reports.StatusFailed], p.ByStatus[reports.StatusGaveUp],
		p.ByStatus[reports.StatusInvalid], p.ByStatus[reports.StatusSkipped], p.Attempts, p.Retries, p.InFlight, throttled)
}
