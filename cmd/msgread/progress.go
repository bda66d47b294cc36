package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// logEvery is how often the plain progress line is printed.
const logEvery = 10 * time.Second

// checkProgress validates a --progress value.
func checkProgress(mode string) error {
	switch mode {
	case "auto", "bar", "log", "none":
		return nil
	}
	return usageError(fmt.Sprintf("--progress %q: want auto, bar, log or none", mode))
}

// startProgress shows the run's progress on stderr until the returned stop is
// called: a progress bar when mode is "bar", or "auto" on a terminal; a plain
// line every logEvery for "log", or "auto" elsewhere (CI); nothing for "none".
func startProgress(e *env, mode string, total int64, snapshot func() batch.Progress) (stop func()) {
	if mode == "auto" {
		mode = "log"
		if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
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
			showLog(e.stderr, total, snapshot, done)
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
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	update := func() {
		p := snapshot()
		if total >= 0 && p.Done > total {
			total = p.Done
			bar.ChangeMax64(total)
		}
		desc := fmt.Sprintf("errors %d", errorsSoFar(p))
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

func showLog(w io.Writer, total int64, snapshot func() batch.Progress, done <-chan struct{}) {
	tick := time.NewTicker(logEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			fmt.Fprintln(w, "msgread: "+progressLine(snapshot(), total))
		case <-done:
			return
		}
	}
}

func errorsSoFar(p batch.Progress) int64 {
	return reports.NotOK(p.ByStatus)
}

// progressLine is the plain progress line: rows done, rate, statuses, ETA.
func progressLine(p batch.Progress, total int64) string {
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Done) / s
	}
	of, eta := "", ""
	if total > 0 {
		of = fmt.Sprintf("/%d (%.1f%%)", total, 100*float64(p.Done)/float64(total))
		if rate > 0 && total > p.Done {
			eta = fmt.Sprintf(", ETA %s", (time.Duration(float64(total-p.Done)/rate) * time.Second).Round(time.Second))
		}
	}
	throttled := ""
	if p.Throttles > 0 {
		throttled = fmt.Sprintf("; slowed down %d times, now %.1f calls/s", p.Throttles, p.Rate)
	}
	return fmt.Sprintf("%d%s rows, %.1f rows/s; ok %d, failed %d, gave_up %d, invalid %d, skipped %d; %d calls (%d retries), %d in flight%s%s",
		p.Done, of, rate, p.ByStatus[reports.StatusOK], p.ByStatus[reports.StatusFailed], p.ByStatus[reports.StatusGaveUp],
		p.ByStatus[reports.StatusInvalid], p.ByStatus[reports.StatusSkipped], p.Attempts, p.Retries, p.InFlight, throttled, eta)
}
