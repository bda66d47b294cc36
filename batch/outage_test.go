package batch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports"
)

// outageCaller answers ok, except while down says the service cannot be
// reached (on the run's clock).
type outageCaller struct {
	clock batch.Clock
	down  func(now time.Time) bool
	mu    sync.Mutex
	calls int
	lost  int // calls made while down
}

func (c *outageCaller) MarkRead(ctx context.Context, _ chatapi.Request) batch.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.down(c.clock.Now()) {
		c.lost++
		return batch.Result{Class: chatapi.ClassRetry, Err: errors.New("dial tcp: connection refused"), Unreachable: "connection refused by 127.0.0.1:9"}
	}
	return batch.Result{Class: chatapi.ClassOK, HTTPStatus: 200}
}

func rowsOf(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("u%d,p,", i)
	}
	return lines
}

// TestUnreachableServiceStopsAtTheProbe: nothing answers, so the first call
// is tried 1 + DefaultProbeRetries times, 1 s, 2 s and 4 s apart, and the
// run stops naming the cause, with every row unfinished (none given up).
func TestUnreachableServiceStopsAtTheProbe(t *testing.T) {
	clock := newFakeClock()
	c := &outageCaller{clock: clock, down: func(time.Time) bool { return true }}
	r, _ := batch.New(batch.Config{Caller: c, Profile: batch.Constant(200), Workers: 8, Clock: clock})
	start := clock.Now()
	sum, err := r.Run(context.Background(), input(t, rowsOf(500)...), &memOutput{})
	var unreachable *batch.UnreachableError
	if !errors.As(err, &unreachable) || unreachable.Cause != "connection refused by 127.0.0.1:9" {
		t.Fatalf("err %v, want an UnreachableError naming the cause", err)
	}
	if c.calls != 1+batch.DefaultProbeRetries {
		t.Errorf("%d calls, want %d", c.calls, 1+batch.DefaultProbeRetries)
	}
	if waited := clock.Now().Sub(start); waited < 7*time.Second || waited > 20*time.Second {
		t.Errorf("stopped after %v of the run's clock, want the 1+2+4 s of backoff", waited)
	}
	if sum.ByStatus[reports.StatusGaveUp] != 0 || sum.InputRows != sum.Rows+sum.NotFinished {
		t.Errorf("statuses %v, %d read, %d not finished", sum.ByStatus, sum.InputRows, sum.NotFinished)
	}
}

// TestBlipCostsNoRow: the service goes away for ten seconds mid-run; the
// breaker pauses dispatch, probes until it answers, and every row ends ok.
func TestBlipCostsNoRow(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	c := &outageCaller{clock: clock, down: func(now time.Time) bool {
		d := now.Sub(t0)
		return d > 3*time.Second && d < 13*time.Second
	}}
	r, _ := batch.New(batch.Config{Caller: c, Profile: batch.Constant(200), Workers: 16, Clock: clock})
	sum, err := r.Run(context.Background(), input(t, rowsOf(4000)...), &memOutput{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ByStatus[reports.StatusOK] != 4000 || sum.Outages == 0 || sum.OutageSeconds <= 0 {
		t.Fatalf("statuses %v, outages %d (%.1f s)", sum.ByStatus, sum.Outages, sum.OutageSeconds)
	}
	// Before the breaker opened, calls went on at the rate for about
	// BreakerAfter; then only probes: far fewer than 10 s at 200/s.
	if c.lost > 200*int(batch.DefaultBreakerAfter/time.Second)+50 {
		t.Errorf("%d calls met the outage: the dead service was hammered", c.lost)
	}
}

// TestOutageBudgetStops: the service goes away for good; the run pauses,
// probes with growing waits, and stops once nothing has answered for the
// outage budget.
func TestOutageBudgetStops(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	c := &outageCaller{clock: clock, down: func(now time.Time) bool { return now.Sub(t0) > 2*time.Second }}
	r, _ := batch.New(batch.Config{Caller: c, Profile: batch.Constant(200), Workers: 16, Clock: clock, OutageBudget: time.Minute})
	sum, err := r.Run(context.Background(), input(t, rowsOf(4000)...), &memOutput{})
	var outage *batch.OutageError
	if !errors.As(err, &outage) || outage.For < time.Minute || outage.Cause == "" {
		t.Fatalf("err %v, want an OutageError after a minute", err)
	}
	if sum.ByStatus[reports.StatusGaveUp] != 0 || sum.InputRows != sum.Rows+sum.NotFinished {
		t.Errorf("statuses %v, %d read, %d not finished: an outage gives no row up", sum.ByStatus, sum.InputRows, sum.NotFinished)
	}
	if c.lost > 200*int(batch.DefaultBreakerAfter/time.Second)+50 {
		t.Errorf("%d calls met the outage", c.lost)
	}
}

// TestOutageSecondsCountAPauseNoAnswerEnded: a pause that no answer ended
// is counted up to the moment the run stopped, whether the outage budget
// stopped it or an interrupt did (it read "paused for 0 s").
func TestOutageSecondsCountAPauseNoAnswerEnded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		interrupt time.Duration // on the run's clock after the start; 0: none
		min, max  float64
	}{
		// Down from 2 s; the breaker opens about BreakerAfter (5 s) later,
		// and the budget stops the run once a probe finds 60 s without an
		// answer (probes are up to 30 s apart).
		{"outage budget", 0, 45, 75},
		// Interrupted on the first probe 30 s after the start: paused
		// about 23 s, give or take a probe's backoff.
		{"interrupt", 30 * time.Second, 15, 55},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			t0 := clock.Now()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := &outageCaller{clock: clock, down: func(now time.Time) bool {
				if tc.interrupt > 0 && now.Sub(t0) >= tc.interrupt {
					cancel()
				}
				return now.Sub(t0) > 2*time.Second
			}}
			r, _ := batch.New(batch.Config{Caller: c, Profile: batch.Constant(200), Workers: 16, Clock: clock, OutageBudget: time.Minute})
			sum, err := r.Run(ctx, input(t, rowsOf(4000)...), &memOutput{})
			if err == nil {
				t.Fatal("the run ended without an error")
			}
			if sum.Outages != 1 || sum.OutageSeconds < tc.min || sum.OutageSeconds > tc.max {
				t.Errorf("%d outages, paused %.1f s; want one of %.0f-%.0f s (stopped by %v)", sum.Outages, sum.OutageSeconds, tc.min, tc.max, err)
			}
		})
	}
}
