package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports"
	"golang.org/x/sync/errgroup"
)

// Runner defaults; the CLI reuses them as flag defaults.
const (
	// DefaultRate is the API's documented ceiling, calls per second.
	DefaultRate = 200.0
	// DefaultWorkers holds DefaultRate with calls of up to about 1.25 s.
	DefaultWorkers = 256
	// DefaultRetries is how many times a transient failure is retried.
	DefaultRetries = 5
	// DefaultBackoffBase and DefaultBackoffMax shape the exponential backoff
	// with full jitter between retries.
	DefaultBackoffBase = 200 * time.Millisecond
	DefaultBackoffMax  = 10 * time.Second
	// DefaultFlushEvery is how often the report is flushed.
	DefaultFlushEvery = time.Second
	// DefaultMinRows and DefaultMaxFailureRate make the failure-rate stop:
	// once this many rows were sent, stop when more than this fraction of
	// them failed or gave up (as S3 Batch Operations does).
	DefaultMinRows        = 1000
	DefaultMaxFailureRate = 0.5
)

// Caller makes one call; *Client is the real one.
type Caller interface {
	MarkRead(ctx context.Context, req chatapi.Request) Result
}

// Output receives the report rows. One goroutine calls it.
type Output interface {
	Write(reports.Record) error
	Flush() error
}

// Config configures a Runner.
type Config struct {
	// Caller makes the calls. Required.
	Caller Caller
	// Rate is the ceiling in calls per second, retries included; zero means
	// DefaultRate. A Pacer enforces it: no second, including the first, holds
	// more calls.
	Rate float64
	// Workers is how many calls may be in flight; zero means DefaultWorkers.
	Workers int
	// Retries is how many times a transient failure is retried; zero means
	// DefaultRetries and a negative value none.
	Retries int
	// BackoffBase and BackoffMax shape the backoff; zero means the defaults.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// FlushEvery is how often the output is flushed; zero means
	// DefaultFlushEvery.
	FlushEvery time.Duration
	// Now is the clock for report timestamps; nil means time.Now.
	Now func() time.Time
	// Sleep waits between retries; nil means a timer. It returns early with
	// ctx's error when ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
	// Resume is the old report of the run this one continues: each input
	// row is asked of it, and its done lines are reported as skipped, not
	// sent. A line below its highest that is sent again may have reached
	// the API before (its report row was lost or it failed), and is
	// counted as re-sent. Nil means a fresh run.
	Resume *reports.Resume
	// Profile, when set, changes the rate over the run (steps, a ramp); Rate
	// is then ignored.
	Profile Profile
	// StopAfter, when positive, stops dispatching once the run is that old;
	// the run then ends normally, with the rows still queued not finished.
	StopAfter time.Duration
	// MinRows and MaxFailureRate stop the run with a *FailureRateError once
	// MinRows rows were sent and more than MaxFailureRate of them failed or
	// gave up. Zero means DefaultMinRows and DefaultMaxFailureRate; a
	// MaxFailureRate of 1 or more never stops.
	MinRows        int
	MaxFailureRate float64
}

// Runner sends the rows of an input through the rate ceiling and writes one
// report row for each row that finishes. Create one per run with New.
type Runner struct {
	cfg   Config
	pacer *Pacer // made by Run
	lat   *latencies
	// realStart is the run's wall-clock start, for the pacer, the timeline
	// and the durations (the injected clock only stamps report rows); ready
	// is closed once Run has set it and made the pacer and the timeline.
	realStart time.Time
	ready     chan struct{}
	ran       atomic.Bool

	abortOnce sync.Once
	aborted   chan struct{}

	// The first call goes alone, as a probe: a wrong key, region or admin
	// then costs one call, not one per worker.
	probeToken chan struct{}
	probeDone  chan struct{}
	probeOnce  sync.Once

	fatalOnce sync.Once
	fatal     *FatalError

	// Open-model measurement: each call's intended send time, the latency
	// from it, and the run per second.
	schedMu     sync.Mutex
	sched       schedule
	latIntended *latencies
	late        atomic.Int64
	timeline    *timeline
	codesMu     sync.Mutex
	codes       map[string]int // answers of every attempt, by code or failure

	// progress counters, read by Progress from other goroutines
	rowsRead, attempts, retries, inFlight, resent atomic.Int64
	byStatus                                      [5]atomic.Int64

	windowMu   sync.Mutex
	window     int64
	windowN    int
	peakWindow int
	firstCall  time.Time
	lastCall   time.Time
}

// New validates cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Caller == nil {
		return nil, errors.New("batch: runner: a caller is required")
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Profile == nil {
		cfg.Profile = Constant(cfg.Rate)
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Retries == 0 {
		cfg.Retries = DefaultRetries
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.FlushEvery == 0 {
		cfg.FlushEvery = DefaultFlushEvery
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MinRows == 0 {
		cfg.MinRows = DefaultMinRows
	}
	if cfg.MaxFailureRate == 0 {
		cfg.MaxFailureRate = DefaultMaxFailureRate
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	switch {
	case cfg.Rate < 0:
		return nil, fmt.Errorf("batch: runner: rate %v must be positive", cfg.Rate)
	case cfg.Workers < 0:
		return nil, fmt.Errorf("batch: runner: workers %d must be positive", cfg.Workers)
	case cfg.BackoffBase < 0 || cfg.BackoffMax < cfg.BackoffBase:
		return nil, fmt.Errorf("batch: runner: backoff %v..%v is not a range", cfg.BackoffBase, cfg.BackoffMax)
	case cfg.MinRows < 0 || cfg.MaxFailureRate < 0:
		return nil, errors.New("batch: runner: the failure-rate limit must not be negative")
	}
	r := &Runner{
		cfg:         cfg,
		lat:         newLatencies(),
		latIntended: newLatencies(),
		codes:       map[string]int{},
		sched:       schedule{profile: cfg.Profile, slack: DefaultWindowSlack},
		aborted:     make(chan struct{}),
		ready:       make(chan struct{}),
		probeToken:  make(chan struct{}, 1),
		probeDone:   make(chan struct{}),
	}
	r.probeToken <- struct{}{}
	return r, nil
}

// Run reads in and sends its rows, writing a report row to out for each row
// that finishes, in completion order. It blocks until the input is done or
// the run stops.
//
// Cancelling ctx stops dispatching: no new call starts, calls in flight
// finish (bounded by the client's timeout), the report is flushed, and Run
// returns ctx's error. Abort stops calls in flight too. A fatal answer stops
// the run the same way and returns a *FatalError. An input that turns
// unreadable halfway returns an error wrapping ErrBadInput, and an output
// that cannot be written the output's error. Rows refused by the API are
// report data, not errors. The Summary is valid in every case.
func (r *Runner) Run(ctx context.Context, in *Input, out Output) (reports.Summary, error) {
	if !r.ran.CompareAndSwap(false, true) {
		return reports.NewSummary(), ErrRanTwice
	}
	r.realStart = time.Now()
	r.pacer = NewProfilePacer(r.cfg.Profile, r.realStart, DefaultWindowSlack, nil, nil)
	r.timeline = newTimeline(r.realStart, r.cfg.Profile, func() float64 { return r.pacer.Stats().Rate })
	close(r.ready)
	dispatch, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	calls, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	go func() {
		select {
		case <-r.aborted:
			abort()
		case <-calls.Done():
		}
	}()

	rows := make(chan Row, r.cfg.Workers)
	results := make(chan reports.Record, r.cfg.Workers)
	var notFinished atomic.Int64

	if r.cfg.StopAfter > 0 {
		t := time.AfterFunc(r.cfg.StopAfter, func() { stop(errStopAfter) })
		defer t.Stop()
	}

	var g errgroup.Group
	g.Go(func() error {
		defer close(rows)
		if err := r.read(dispatch, in, rows, &notFinished); err != nil && dispatch.Err() == nil {
			stop(err)
		}
		return nil
	})
	var workers sync.WaitGroup
	for range r.cfg.Workers {
		workers.Add(1)
		g.Go(func() error {
			defer workers.Done()
			for row := range rows {
				rec, done := r.process(dispatch, calls, stop, row)
				if !done {
					notFinished.Add(1)
					continue
				}
				results <- rec
			}
			return nil
		})
	}
	go func() {
		workers.Wait()
		close(results)
	}()

	sum := reports.NewSummary()
	outErr := r.writeAll(results, out, &sum, stop)
	if outErr != nil {
		stop(outErr)
		abort()
		for range results {
		}
	}
	_ = g.Wait()

	sum.NotFinished = int(notFinished.Load())
	r.fillSummary(&sum)
	_, sum.InputRows, sum.BlankLines, _ = in.Counts()
	if outErr != nil {
		sum.Stopped = "writing the report: " + outErr.Error()
		return sum, outErr
	}
	err := context.Cause(dispatch) // nil when the input ran to its end
	switch {
	case r.fatal != nil:
		err = r.fatal
	case ctx.Err() != nil && calls.Err() != nil:
		err = ErrAborted
	case errors.Is(err, errStopAfter):
		err = nil
	}
	if err != nil {
		sum.Stopped = err.Error()
	}
	return sum, err
}

// read hands the input's rows to the workers, in order, each marked done
// or not by the resume: a resume that refuses a row stops the run there,
// before any later row is handed out. A row read but not handed out counts
// as not finished.
func (r *Runner) read(ctx context.Context, in *Input, rows chan<- Row, notFinished *atomic.Int64) error {
	for ctx.Err() == nil {
		row, err := in.Next()
		if errors.Is(err, io.EOF) {
			lines, _, _, _ := in.Counts()
			return r.cfg.Resume.Finish(lines)
		}
		if err != nil {
			return err
		}
		r.rowsRead.Add(1)
		if row.done, err = r.cfg.Resume.Skip(row.Line, row.ReportAccount, row.PeerAccount); err != nil {
			notFinished.Add(1)
			return err
		}
		select {
		case rows <- row:
		case <-ctx.Done():
			notFinished.Add(1)
		}
	}
	return nil
}

// Abort makes a run that is draining after its context was cancelled stop
// its calls in flight too. Safe from any goroutine.
func (r *Runner) Abort() { r.abortOnce.Do(func() { close(r.aborted) }) }

// writeAll writes results to out as they come, flushing every FlushEvery,
// and applies the failure-rate stop.
func (r *Runner) writeAll(results <-chan reports.Record, out Output, sum *reports.Summary, stop context.CancelCauseFunc) error {
	tick := time.NewTicker(r.cfg.FlushEvery)
	defer tick.Stop()
	stopped := false
	for {
		select {
		case rec, ok := <-results:
			if !ok {
				return out.Flush()
			}
			if err := out.Write(rec); err != nil {
				return err
			}
			sum.Add(rec)
			r.byStatus[statusIndex(rec.Status)].Add(1)
			if sent, failed := sum.Sent(); !stopped && sent >= r.cfg.MinRows && float64(failed) > r.cfg.MaxFailureRate*float64(sent) {
				stopped = true
				stop(&FailureRateError{Failed: failed, Sent: sent, Limit: r.cfg.MaxFailureRate, TopCode: topCode(sum.ByCode)})
			}
		case <-tick.C:
			if err := out.Flush(); err != nil {
				return err
			}
		}
	}
}

// process sends one row, retrying as its answers say, and returns its report
// row; done is false when the run stopped before the row finished.
func (r *Runner) process(dispatch, calls context.Context, stop context.CancelCauseFunc, row Row) (rec reports.Record, done bool) {
	rec = reports.Record{Line: row.Line, ReportAccount: row.ReportAccount, PeerAccount: row.PeerAccount, MsgReadTime: row.MsgReadTime}
	if row.done {
		rec.Status, rec.FinishedAt = reports.StatusSkipped, r.cfg.Now()
		return rec, true
	}
	if row.Invalid != "" {
		rec.Status, rec.ErrorInfo, rec.FinishedAt = reports.StatusInvalid, row.Invalid, r.cfg.Now()
		return rec, true
	}
	if dispatch.Err() != nil {
		return rec, false
	}
	if r.cfg.Resume != nil && row.Line <= r.cfg.Resume.MaxLine {
		r.resent.Add(1)
	}
	req := chatapi.Request{ReportAccount: row.ReportAccount, PeerAccount: row.PeerAccount, MsgReadTime: row.ReadTime}
	renewed := false
	for attempt := 1; ; attempt++ {
		probe, err := r.awaitProbe(dispatch)
		if err != nil {
			return rec, false
		}
		waitStart := time.Now()
		if err := r.pacer.Wait(dispatch); err != nil {
			r.endProbe(probe, false)
			return rec, false
		}
		sentAt := time.Now()
		intended := r.intendedTime(sentAt, sentAt.Sub(waitStart) >= pacerHeld)
		r.countCall(attempt)
		late := sentAt.Sub(intended) > LateAfter
		if late {
			r.late.Add(1)
		}
		r.timeline.sent(sentAt, late)
		r.inFlight.Add(1)
		res := r.cfg.Caller.MarkRead(calls, req)
		r.inFlight.Add(-1)
		if calls.Err() == nil {
			end := time.Now()
			r.latIntended.record(end.Sub(intended))
			r.timeline.answered(end, res, end.Sub(intended))
			r.countCode(res)
		}
		if res.Throttle {
			r.pacer.Throttle()
		}
		if res.Class == chatapi.ClassFatal {
			r.stopFatal(stop, res, row.Line) // before the probe opens the gate
		}
		r.endProbe(probe, res.Err == nil && res.Class != chatapi.ClassRenew)
		if calls.Err() != nil {
			return rec, false
		}
		r.lat.record(res.Latency)
		rec.Attempts, rec.HTTPStatus, rec.Latency = attempt, res.HTTPStatus, res.Latency
		rec.ErrorCode, rec.HasCode, rec.ErrorInfo = res.Code, res.Err == nil, res.Describe()
		rec.FinishedAt = r.cfg.Now()

		switch res.Class {
		case chatapi.ClassOK:
			rec.Status = reports.StatusOK
			return rec, true
		case chatapi.ClassPerRow:
			rec.Status = reports.StatusFailed
			return rec, true
		case chatapi.ClassRenew:
			if !renewed {
				// The client has dropped the stale UserSig; sign anew once.
				renewed = true
				continue
			}
			r.stopFatal(stop, res, row.Line)
			rec.Status = reports.StatusFailed
			return rec, true
		case chatapi.ClassFatal:
			rec.Status = reports.StatusFailed
			return rec, true
		}
		// ClassRetry
		if attempt > r.cfg.Retries {
			rec.Status = reports.StatusGaveUp
			return rec, true
		}
		if err := r.cfg.Sleep(dispatch, r.backoff(attempt)); err != nil {
			return rec, false
		}
	}
}

func (r *Runner) stopFatal(stop context.CancelCauseFunc, res Result, line int) {
	r.fatalOnce.Do(func() {
		code := chatapi.Lookup(res.Code)
		r.fatal = &FatalError{Code: res.Code, Info: res.Describe(), Line: line, Hint: code.Hint}
		if res.Code == chatapi.CodeSigExpired || res.Code == chatapi.CodeSigExpired2 {
			r.fatal.Hint = "the UserSig was refused as expired even after renewing it: " + code.Hint
		}
		stop(r.fatal)
	})
}

// backoff returns the wait before retry number attempt: full jitter over an
// exponential range, capped.
func (r *Runner) backoff(attempt int) time.Duration {
	ceil := r.cfg.BackoffMax
	if attempt < 32 {
		ceil = min(r.cfg.BackoffBase<<(attempt-1), r.cfg.BackoffMax)
	}
	if ceil <= 0 {
		return 0
	}
	return rand.N(ceil + 1)
}
