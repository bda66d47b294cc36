package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/crashpoint"
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
	// DefaultProbeRetries and DefaultProbeBackoff: the first call is tried
	// again this often while the service cannot be reached at all, waiting
	// 1 s, 2 s, 4 s… between tries; then the run stops.
	DefaultProbeRetries = 3
	DefaultProbeBackoff = time.Second
	// DefaultBreakerAfter is how long calls must fail to reach the service,
	// with none answered, before dispatch pauses; DefaultBreakerMaxWait caps
	// the wait between the paused run's probe calls.
	DefaultBreakerAfter   = 5 * time.Second
	DefaultBreakerMaxWait = 30 * time.Second
	// DefaultOutageBudget is how long a run waits for the service to answer
	// again before it stops.
	DefaultOutageBudget = 5 * time.Minute
)

// Caller makes one call; *Client is the real one.
type Caller interface {
	MarkRead(ctx context.Context, req chatapi.Request) Result
}

// Source is where a run's rows come from, in order: an input file (*Input)
// or synthetic rows (*Synthetic).
type Source interface {
	// Next returns the next row, or io.EOF after the last.
	Next() (Row, error)
	// Counts says how much was read: physical lines (for a file), rows,
	// blank lines, and whether the end was reached.
	Counts() (lines, rows, blank int, ended bool)
}

// SendLogger is an Output that logs each line before its first call (see
// reports.SendLog), so that a later resume knows which lines an earlier
// run sent. Sending is called from the workers, concurrently; an error
// stops the run before that call goes out.
type SendLogger interface {
	Sending(line int) error
}

// Output receives the report rows. One goroutine calls it.
type Output interface {
	Write(reports.Record) error
	Flush() error
}

// Config configures a Runner. Its zero values mean the defaults, except
// Caller, which is required.
type Config struct {
	// Caller makes the calls. Required.
	Caller Caller
	// Profile is the rate ceiling over the run, calls per second, retries
	// included; nil means Constant(DefaultRate). No second, including the
	// first, holds more calls.
	Profile Profile
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
	// Clock is the run's one clock: pacing, backoff, flushing, report
	// timestamps and measurements; nil means RealClock.
	Clock Clock
	// Resume is the old report of the run this one continues: each input
	// row is asked of it, and its done lines are reported as skipped, not
	// sent. A line it says was sent before (its report row was lost or it
	// failed) is counted as re-sent when sent again. Nil means a fresh run.
	Resume *reports.Resume
	// StopAfter, when positive, stops dispatching once the run is that old;
	// the run then ends normally, with the rows still queued not finished.
	StopAfter time.Duration
	// MinRows and MaxFailureRate stop the run with a *FailureRateError once
	// MinRows rows were sent and more than MaxFailureRate of them failed or
	// gave up. Zero means DefaultMinRows and DefaultMaxFailureRate; a
	// MaxFailureRate of 1 or more never stops.
	MinRows        int
	MaxFailureRate float64
	// ProbeRetries, ProbeBackoff, BreakerAfter and OutageBudget shape how a
	// run meets a service it cannot reach (see the Default constants); zero
	// means the default, and a negative ProbeRetries none.
	ProbeRetries int
	ProbeBackoff time.Duration
	BreakerAfter time.Duration
	OutageBudget time.Duration
}

// Runner sends the rows of a source through the rate ceiling and writes one
// report row for each row that finishes. Create one per run with New.
//
// One row's path: a free worker pulls it from the Source through the feed,
// which asks the Resume whether it is done (no row is read ahead, so none
// is read that the run does not finish or count); for each attempt the
// worker waits for a ticket from the dispatcher (the one goroutine that
// paces), calls, and retries by the answer's class; the finished report
// row goes to the writer goroutine (this Run's own), which writes it and
// counts it. The Meter sees every attempt and every row.
type Runner struct {
	cfg Config
	ran atomic.Bool

	abortOnce sync.Once
	aborted   chan struct{}

	ready chan struct{} // closed once Run has made the meter
	meter *Meter
}

// New validates cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Caller == nil {
		return nil, errors.New("batch: runner: a caller is required")
	}
	if cfg.Profile == nil {
		cfg.Profile = Constant(DefaultRate)
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	cfg.Retries = countOrDefault(cfg.Retries, DefaultRetries)
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.FlushEvery == 0 {
		cfg.FlushEvery = DefaultFlushEvery
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.MinRows == 0 {
		cfg.MinRows = DefaultMinRows
	}
	if cfg.MaxFailureRate == 0 {
		cfg.MaxFailureRate = DefaultMaxFailureRate
	}
	cfg.ProbeRetries = countOrDefault(cfg.ProbeRetries, DefaultProbeRetries)
	if cfg.ProbeBackoff == 0 {
		cfg.ProbeBackoff = DefaultProbeBackoff
	}
	if cfg.BreakerAfter == 0 {
		cfg.BreakerAfter = DefaultBreakerAfter
	}
	if cfg.OutageBudget == 0 {
		cfg.OutageBudget = DefaultOutageBudget
	}
	switch {
	case !(cfg.Profile.Max() > 0) || !(cfg.Profile.Rate(0) > 0):
		return nil, fmt.Errorf("batch: runner: rate %v must be positive", cfg.Profile)
	case cfg.Workers < 0:
		return nil, fmt.Errorf("batch: runner: workers %d must be positive", cfg.Workers)
	case cfg.BackoffBase < 0 || cfg.BackoffMax < cfg.BackoffBase:
		return nil, fmt.Errorf("batch: runner: backoff %v..%v is not a range", cfg.BackoffBase, cfg.BackoffMax)
	case cfg.MinRows < 0 || cfg.MaxFailureRate < 0:
		return nil, errors.New("batch: runner: the failure-rate limit must not be negative")
	}
	return &Runner{cfg: cfg, aborted: make(chan struct{}), ready: make(chan struct{})}, nil
}

// countOrDefault reads a count whose zero means the default and whose
// negative means none.
func countOrDefault(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}

// Run reads in and sends its rows, writing a report row to out for each row
// that finishes, in completion order. It blocks until the input is done or
// the run stops.
//
// Cancelling ctx stops dispatching: no new call starts, calls in flight
// finish (bounded by the client's timeout), the report is flushed, and Run
// returns ctx's error. Abort stops calls in flight too. A fatal answer stops
// the run the same way and returns a *FatalError; a resume that refuses the
// input a *reports.MismatchError or *reports.LineError. An input that turns
// unreadable halfway returns an error wrapping ErrBadInput, and an output
// that cannot be written the output's error. Rows refused by the API are
// report data, not errors. The Summary is valid in every case.
func (r *Runner) Run(ctx context.Context, in Source, out Output) (reports.Summary, error) {
	if !r.ran.CompareAndSwap(false, true) {
		return reports.NewSummary(), ErrRanTwice
	}
	clock := r.cfg.Clock
	start := clock.Now()
	pacer := NewPacer(r.cfg.Profile, start, DefaultWindowSlack)
	r.meter = newMeter(start, r.cfg.Profile, pacer)
	close(r.ready)

	// dispatch ends when no new attempt may start; calls, when the calls in
	// flight must stop too (Abort).
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
	if r.cfg.StopAfter > 0 {
		go func() {
			select {
			case <-clock.After(r.cfg.StopAfter):
				stop(errStopAfter)
			case <-dispatch.Done():
			}
		}()
	}

	w := &workers{cfg: r.cfg, meter: r.meter, dispatch: dispatch, calls: calls, stop: stop,
		disp: newDispatcher(clock, pacer, r.cfg, start, stop)}
	w.sendLog, _ = out.(SendLogger)
	var notFinished atomic.Int64
	results, wait := r.start(w, in, &notFinished)

	sum := reports.NewSummary()
	outErr := r.writeAll(results, out, &sum, stop)
	if outErr != nil {
		stop(outErr)
		abort()
		for range results {
			notFinished.Add(1) // finished, never given to out
		}
	}
	wait()

	sum.NotFinished = int(notFinished.Load())
	r.meter.fill(&sum, clock.Now())
	sum.Outages, sum.OutageSeconds = int(w.disp.outages.Load()), time.Duration(w.disp.outageDuration.Load()).Seconds()
	_, sum.InputRows, sum.BlankLines, _ = in.Counts()
	err := outErr
	switch {
	case outErr != nil:
		sum.Stopped = "writing the report: " + outErr.Error()
		return sum, outErr
	case w.fatalErr != nil:
		err = w.fatalErr
	case ctx.Err() != nil && calls.Err() != nil:
		err = ErrAborted
	default:
		err = context.Cause(dispatch) // nil when the input ran to its end
		if errors.Is(err, errStopAfter) {
			err = nil
		}
	}
	if err != nil {
		sum.Stopped = err.Error()
	}
	return sum, err
}

// start launches the dispatcher and the workers. Finished rows come on
// results, which closes once every worker is done; wait returns when every
// goroutine started has ended.
func (r *Runner) start(w *workers, in Source, notFinished *atomic.Int64) (results <-chan reports.Record, wait func()) {
	out := make(chan reports.Record, r.cfg.Workers)
	f := &feed{in: in, resume: r.cfg.Resume, meter: r.meter, notFinished: notFinished}
	var g errgroup.Group
	tickets, stopTickets := context.WithCancel(w.dispatch)
	g.Go(func() error {
		w.disp.run(tickets)
		return nil
	})
	var workers sync.WaitGroup
	for range r.cfg.Workers {
		workers.Add(1)
		g.Go(func() error {
			defer workers.Done()
			calls, cancel := context.WithCancel(w.calls)
			defer cancel()
			for {
				row, err := f.next(w.dispatch)
				if err != nil {
					if !errors.Is(err, io.EOF) && w.dispatch.Err() == nil {
						w.stop(err)
					}
					return nil
				}
				rec, done := w.process(calls, row)
				if !done {
					notFinished.Add(1)
					continue
				}
				out <- rec
			}
		})
	}
	go func() {
		workers.Wait()
		stopTickets() // no worker is left to take one
		close(out)
	}()
	return out, func() {
		_ = g.Wait()
		stopTickets()
	}
}

// feed hands the source's rows to the workers, in order, each marked done
// or not by the resume. The workers pull from it in turn: no goroutine
// between the file and them, no hand-off a row. A resume that refuses a
// row stops the feed there, before any later row is handed out.
type feed struct {
	mu          sync.Mutex
	in          Source
	resume      *reports.Resume
	meter       *Meter
	notFinished *atomic.Int64
	err         error // once set, every next returns it
}

// next returns the next row; io.EOF once the source ended (and the resume
// accepted its end), or the error that ended the feed. Once ctx is done no
// row is read.
func (f *feed) next(ctx context.Context) (Row, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Row{}, f.err
	}
	if err := ctx.Err(); err != nil {
		return Row{}, err
	}
	row, err := f.in.Next()
	switch {
	case errors.Is(err, io.EOF):
		lines, _, _, _ := f.in.Counts()
		if f.err = f.resume.Finish(lines); f.err == nil {
			f.err = io.EOF
		}
		return Row{}, f.err
	case err != nil:
		f.err = err
		return Row{}, err
	}
	f.meter.rowsRead.Add(1)
	if row.done, err = f.resume.Skip(row.Line, row.ReportAccount, row.PeerAccount, row.MsgReadTime); err != nil {
		f.notFinished.Add(1)
		f.err = err
		return Row{}, err
	}
	return row, nil
}

// writeAll writes results to out as they come, flushing every FlushEvery
// of the run's clock, and applies the failure-rate stop. Rows lost to a
// kill between flushes are merely sent again: the lines done before the
// run are in the report before it starts (reports.Open).
func (r *Runner) writeAll(results <-chan reports.Record, out Output, sum *reports.Summary, stop context.CancelCauseFunc) error {
	flush := r.cfg.Clock.After(r.cfg.FlushEvery)
	stopped := false
	for {
		select {
		case rec, ok := <-results:
			if !ok {
				crashpoint.Hit("final")
				return out.Flush()
			}
			// Counted before it is written: a row given to out that never
			// reaches its file is moved to not finished by Account.
			sum.Add(rec)
			r.meter.finished(rec)
			if err := out.Write(rec); err != nil {
				return err
			}
			if sent, failed := sum.Sent(); !stopped && sent >= r.cfg.MinRows && float64(failed) > r.cfg.MaxFailureRate*float64(sent) {
				stopped = true
				stop(&FailureRateError{Failed: failed, Sent: sent, Limit: r.cfg.MaxFailureRate, TopCode: topCode(sum.ByCode)})
			}
		case <-flush:
			if err := out.Flush(); err != nil {
				return err
			}
			flush = r.cfg.Clock.After(r.cfg.FlushEvery)
		}
	}
}

// Abort makes a run that is draining after its context was cancelled stop
// its calls in flight too. Safe from any goroutine.
func (r *Runner) Abort() { r.abortOnce.Do(func() { close(r.aborted) }) }

// Progress returns the run's counters; zero before Run starts. Safe from
// any goroutine.
func (r *Runner) Progress() Progress {
	select {
	case <-r.ready:
		return r.meter.progress(r.cfg.Clock.Now())
	default:
		return Progress{ByStatus: map[reports.Status]int64{}}
	}
}

// Timeline returns the run's per-second timeline; call it after Run.
func (r *Runner) Timeline() []reports.Second {
	select {
	case <-r.ready:
		return r.meter.timeline.finish(r.cfg.Clock.Now())
	default:
		return nil
	}
}
