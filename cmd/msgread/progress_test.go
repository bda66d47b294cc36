package main

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports"
)

// TestBarCountsOnlyWorkedRows: after a resume skips 9,000 done lines in
// no time, the bar works through 100 rows a second: its rows/s says 100
// from the first second on (not 119,732/s falling toward 946/s as the
// skipped rows' burst ages) and its ETA is the rows left at 100/s.
func TestBarCountsOnlyWorkedRows(t *testing.T) {
	defer func(every time.Duration) { barEvery = every }(barEvery)
	barEvery = 2 * time.Millisecond
	const total, skipped, perSecond, seconds = 20_000, 9_000, 100, 12
	n := 0
	enough := make(chan struct{})
	snapshot := func() batch.Progress { // one second of the run a draw
		worked := int64(perSecond * n)
		p := batch.Progress{Done: skipped + worked, Elapsed: time.Duration(n) * time.Second,
			ByStatus: map[reports.Status]int64{reports.StatusSkipped: skipped, reports.StatusOK: worked}}
		if n++; n == seconds {
			close(enough)
		}
		return p
	}
	var out syncBuffer
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() { showBar(&out, total, snapshot, done); close(finished) }()
	select {
	case <-enough:
	case <-time.After(time.Minute):
		t.Fatal("the bar drew no 12 updates in a minute")
	}
	close(done)
	<-finished
	text := out.String()
	rates := regexp.MustCompile(`(\d+) rows/s`).FindAllStringSubmatch(text, -1)
	if len(rates) == 0 {
		t.Fatalf("the bar shows no rows/s:\n%q", text)
	}
	for _, m := range rates {
		if r, _ := strconv.Atoi(m[1]); r != perSecond {
			t.Errorf("the bar shows %s rows/s, want %d: skipped rows counted\n%q", m[1], perSecond, text)
			break
		}
	}
	// Each draw's ETA is its rows left at 100/s (within the bar's rounding
	// and a draw's second), not at a rate that counts the skipped rows.
	etas := regexp.MustCompile(`ETA (\S+) .*?\((\d+)/\d+\)`).FindAllStringSubmatch(text, -1)
	if len(etas) == 0 {
		t.Fatalf("the bar shows no ETA:\n%q", text)
	}
	for _, m := range etas {
		eta, err := time.ParseDuration(m[1])
		done, _ := strconv.Atoi(m[2])
		want := time.Duration((total-done)/perSecond) * time.Second
		if err != nil || eta < want-2*time.Second || eta > want+2*time.Second {
			t.Errorf("ETA %s with %d of %d done, want about %v (the rows left at %d/s)\n%q", m[1], done, total, want, perSecond, text)
			break
		}
	}
}
