package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgread/msgread/internal/crashpoint"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
	"golang.org/x/sync/errgroup"
)

// Work is what an Engine needs to know of the calls it drives, for work
// items of type T: a row to mark read, or one account's peers to count.
// Pacing, the probe, retries, the breaker and outage budget, throttling
// and the meter know nothing else of the API.
type Work[T any] struct {
	// Call makes one call for item: the caller. Required.
	Call func(ctx context.Context, item T) Result
	// Settled, when set, finishes an item that needs no call (a line done
	// in an earlier run, an invalid row); ok false sends it.
	Settled func(item T) (o Outcome, ok bool)
	// Line names the item in a fatal answer's error: its input line.
	Line func(item T) int
}

// Outcome is how one work item ended.
type Outcome struct {
	// Status is ok, failed or gave_up for an item that was called, or what
	// Work.Settled said.
	Status reports.Status
	// Attempts counts its calls; Last is the last one's answer (zero when
	// none was made).
	Attempts int
	Last     Result
	// Info says why an item settled without a call (an invalid row).
	Info string
	// FinishedAt is when it ended, on the run's clock.
	FinishedAt time.Time
}

// Feed gives an Engine its work items, one at a time, in order; the
// workers pull from it in turn (no goroutine between it and them, nothing
// read ahead). Next returns io.EOF after the last item.
type Feed[T any] interface {
	Next(ctx context.Context) (T, error)
	// Counts says how much of the input was read: physical lines, rows
	// (one a line), blank lines, and whether the end was reached.
	Counts() (lines, rows, blank int, ended bool)
}

// Sink receives the finished items, in completion order, from one
// goroutine.
type Sink[T any] interface {
	Write(item T, o Outcome) error
	Flush() error
}

// FirstSender is a Sink told of each item's first call before it goes
// out (the send log): an error stops the run and the call does not go
// out; resent says an earlier run of a resumed chain sent it too. It is
// called from the workers, concurrently.
type FirstSender[T any] interface {
	Sending(item T) (resent bool, err error)
}

// readNotSent wraps a Feed's error for an item it read and then refused
// (a resume that does not match the input): the item counts as read and
// not finished.
type readNotSent struct{ err error }

func (e *readNotSent) Error() string { return e.err.Error() }
func (e *readNotSent) Unwrap() error { return e.err }

// Engine sends work items through the rate ceiling: one dispatcher paces
// every call, retries included; workers call, retry by the answer's class
// and hand each finished item to the Sink; the meter counts it all and
// writes the Summary. Make one per run with NewEngine.
type Engine[T any] struct {
	cfg  Config
	work Work[T]
	ran  atomic.Bool

	abortOnce sync.Once
	aborted   chan struct{}

	ready chan struct{} // closed once Run has made the meter
	meter *Meter
}

// NewEngine validates cfg (its Caller and Resume are not used: work makes
// the calls) and returns an Engine.
func NewEngine[T any](cfg Config, work Work[T]) (*Engine[T], error) {
	if work.Call == nil {
		return nil, errors.New("batch: engine: a caller is required")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if work.Line == nil {
		work.Line = func(T) int { return 0 }
	}
	return &Engine[T]{cfg: cfg, work: work, aborted: make(chan struct{}), ready: make(chan struct{})}, nil
}

// DefaultConfig returns a Config holding every default. Its zero values,
// once set, mean zero: Retries 0 retries nothing, MinRows 0 applies the
// failure-rate stop from the first row, ProbeRetries 0 tries the probe
// once. (A Config literal's zero values mean the defaults.)
func DefaultConfig() Config {
	return Config{Profile: Constant(DefaultRate), Workers: DefaultWorkers, Retries: DefaultRetries,
		BackoffBase: DefaultBackoffBase, BackoffMax: DefaultBackoffMax, FlushEvery: DefaultFlushEvery, Clock: RealClock{},
		MinRows: DefaultMinRows, MaxFailureRate: DefaultMaxFailureRate, ProbeRetries: DefaultProbeRetries, ProbeBackoff: DefaultProbeBackoff,
		BreakerAfter: DefaultBreakerAfter, OutageBudget: DefaultOutageBudget, explicit: true}
}

// withDefaults fills cfg's zero values (unless it came from
// DefaultConfig) and checks it.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Profile == nil {
		cfg.Profile = Constant(DefaultRate)
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.explicit {
		return cfg.check()
	}
	cfg.Workers = cmpOr(cfg.Workers, DefaultWorkers)
	cfg.Retries = countOrDefault(cfg.Retries, DefaultRetries)
	cfg.BackoffBase = cmpOr(cfg.BackoffBase, DefaultBackoffBase)
	cfg.BackoffMax = cmpOr(cfg.BackoffMax, DefaultBackoffMax)
	cfg.FlushEvery = cmpOr(cfg.FlushEvery, DefaultFlushEvery)
	cfg.MinRows = cmpOr(cfg.MinRows, DefaultMinRows)
	cfg.MaxFailureRate = cmpOr(cfg.MaxFailureRate, DefaultMaxFailureRate)
	cfg.ProbeRetries = countOrDefault(cfg.ProbeRetries, DefaultProbeRetries)
	cfg.ProbeBackoff = cmpOr(cfg.ProbeBackoff, DefaultProbeBackoff)
	cfg.BreakerAfter = cmpOr(cfg.BreakerAfter, DefaultBreakerAfter)
	cfg.OutageBudget = cmpOr(cfg.OutageBudget, DefaultOutageBudget)
	return cfg.check()
}

// check refuses settings a run cannot work with.
func (cfg Config) check() (Config, error) {
	switch {
	case !(cfg.Profile.Max() > 0) || !(cfg.Profile.Rate(0) > 0):
		return cfg, fmt.Errorf("batch: runner: rate %v must be positive", cfg.Profile)
	case cfg.Workers <= 0:
		return cfg, fmt.Errorf("batch: runner: workers %d must be positive", cfg.Workers)
	case cfg.BackoffBase < 0 || cfg.BackoffMax < cfg.BackoffBase:
		return cfg, fmt.Errorf("batch: runner: backoff %v..%v is not a range", cfg.BackoffBase, cfg.BackoffMax)
	case cfg.MinRows < 0 || cfg.MaxFailureRate < 0:
		return cfg, errors.New("batch: runner: the failure-rate limit must not be negative")
	case cfg.FlushEvery <= 0:
		return cfg, fmt.Errorf("batch: runner: flush interval %v must be positive", cfg.FlushEvery)
	case cfg.Retries < 0 || cfg.ProbeRetries < 0:
		return cfg, errors.New("batch: runner: retries must not be negative (from DefaultConfig, 0 is none)")
	}
	return cfg, nil
}

// cmpOr is v, or def when v is zero.
func cmpOr[N comparable](v, def N) N {
	var zero N
	if v == zero {
		return def
	}
	return v
}

// finished is an item and how it ended.
type finished[T any] struct {
	item T
	Outcome
}

// Run pulls the feed's items and sends them, giving each one that finishes
// to sink, in completion order. It blocks until the feed is done or the
// run stops.
//
// Cancelling ctx stops dispatching: no new call starts, calls in flight
// finish (bounded by the client's timeout), the sink is flushed, and Run
// returns ctx's error. Abort stops calls in flight too. A fatal answer
// stops the run the same way and returns a *FatalError; the feed's error
// ends it with that error; a sink that cannot be written, with the sink's.
// Items refused by the API are data, not errors. The Summary is valid in
// every case.
func (e *Engine[T]) Run(ctx context.Context, feed Feed[T], sink Sink[T]) (digest.Summary, error) {
	if feed == nil || sink == nil {
		return digest.NewSummary(), ErrNoRows // before a worker pulls from nothing
	}
	if !e.ran.CompareAndSwap(false, true) {
		return digest.NewSummary(), ErrRanTwice
	}
	clock := e.cfg.Clock
	start := clock.Now()
	pacer := NewPacer(e.cfg.Profile, start, DefaultWindowSlack)
	pacer.SetShare(e.cfg.Share)
	e.meter = newMeter(start, e.cfg.Profile, pacer)
	close(e.ready)

	// dispatch ends when no new attempt may start; calls, when the calls in
	// flight must stop too (Abort).
	dispatch, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	calls, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	go func() {
		select {
		case <-e.aborted:
			abort()
		case <-calls.Done():
		}
	}()
	e.stopAfter(dispatch, stop)

	w := &workers[T]{cfg: e.cfg, work: e.work, meter: e.meter, dispatch: dispatch, calls: calls, stop: stop,
		disp: newDispatcher(clock, pacer, e.meter, e.cfg, start, stop)}
	w.firstSender, _ = sink.(FirstSender[T])
	results, wait := e.start(w, feed)

	outErr := e.writeAll(results, sink, stop)
	if outErr != nil {
		stop(outErr)
		abort()
		for range results {
			e.meter.notFinished.Add(1) // finished, never given to the sink
		}
	}
	wait()

	sum := e.meter.summary(clock.Now(), feed, w.disp)
	err := e.cause(ctx, outErr, w, dispatch, calls)
	if err != nil {
		sum.Stopped = err.Error()
		if outErr != nil {
			sum.Stopped = "writing the report: " + outErr.Error()
		}
	}
	return sum, err
}

// stopAfter ends dispatching once the run is Config.StopAfter old, if set.
func (e *Engine[T]) stopAfter(dispatch context.Context, stop context.CancelCauseFunc) {
	if e.cfg.StopAfter <= 0 {
		return
	}
	go func() {
		select {
		case <-e.cfg.Clock.After(e.cfg.StopAfter):
			stop(errStopAfter)
		case <-dispatch.Done():
		}
	}()
}

// cause is the error a run ended with: the sink's, a fatal answer, an
// abort, or why dispatching ended (nil for the end of the feed or of the
// planned duration).
func (e *Engine[T]) cause(ctx context.Context, outErr error, w *workers[T], dispatch, calls context.Context) error {
	switch {
	case outErr != nil:
		return outErr
	case w.fatalErr != nil:
		return w.fatalErr
	case ctx.Err() != nil && calls.Err() != nil:
		return ErrAborted
	}
	err := context.Cause(dispatch)
	if errors.Is(err, errStopAfter) {
		return nil
	}
	return err
}

// start launches the dispatcher and the workers. Finished items come on
// results, which closes once every worker is done; wait returns when every
// goroutine started has ended.
func (e *Engine[T]) start(w *workers[T], feed Feed[T]) (results <-chan finished[T], wait func()) {
	out := make(chan finished[T], e.cfg.Workers)
	var g errgroup.Group
	tickets, stopTickets := context.WithCancel(w.dispatch)
	g.Go(func() error {
		w.disp.run(tickets)
		return nil
	})
	var mu sync.Mutex // the feed is pulled by one worker at a time
	var workersDone sync.WaitGroup
	for range e.cfg.Workers {
		workersDone.Add(1)
		g.Go(func() error {
			defer workersDone.Done()
			calls, cancel := context.WithCancel(w.calls)
			defer cancel()
			for {
				item, err := e.next(&mu, feed, w.dispatch)
				if err != nil {
					if !errors.Is(err, io.EOF) && w.dispatch.Err() == nil {
						w.stop(err)
					}
					return nil
				}
				o, done := w.process(calls, item)
				if !done {
					e.meter.notFinished.Add(1)
					continue
				}
				out <- finished[T]{item, o}
			}
		})
	}
	go func() {
		workersDone.Wait()
		stopTickets() // no worker is left to take one
		close(out)
	}()
	return out, func() {
		_ = g.Wait()
		stopTickets()
	}
}

// next pulls the feed's next item under mu; once ctx is done, none.
func (e *Engine[T]) next(mu *sync.Mutex, feed Feed[T], ctx context.Context) (T, error) {
	mu.Lock()
	defer mu.Unlock()
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	item, err := feed.Next(ctx)
	var refused *readNotSent
	switch {
	case err == nil:
		e.meter.rowsRead.Add(1)
	case errors.As(err, &refused):
		e.meter.rowsRead.Add(1)
		e.meter.notFinished.Add(1)
	}
	return item, err
}

// writeAll gives results to sink as they come, flushing every FlushEvery
// of the run's clock, and applies the failure-rate stop. Items lost to a
// kill between flushes are merely sent again: the lines done before the
// run are in the report before it starts (reports.Open).
func (e *Engine[T]) writeAll(results <-chan finished[T], sink Sink[T], stop context.CancelCauseFunc) error {
	flush := e.cfg.Clock.After(e.cfg.FlushEvery)
	stopped := false
	for {
		select {
		case f, ok := <-results:
			if !ok {
				crashpoint.Hit("final")
				return sink.Flush()
			}
			// Counted before it is written: an item given to the sink that
			// never reaches its file is moved to not finished by Account.
			sent, failed := e.meter.finished(f.Outcome)
			if err := sink.Write(f.item, f.Outcome); err != nil {
				return err
			}
			if !stopped && sent >= e.cfg.MinRows && float64(failed) > e.cfg.MaxFailureRate*float64(sent) {
				stopped = true
				stop(&FailureRateError{Failed: failed, Sent: sent, Limit: e.cfg.MaxFailureRate, TopCode: e.meter.topCode()})
			}
		case <-flush:
			if err := sink.Flush(); err != nil {
				return err
			}
			flush = e.cfg.Clock.After(e.cfg.FlushEvery)
		}
	}
}

// Abort makes a run that is draining after its context was cancelled stop
// its calls in flight too. Safe from any goroutine.
func (e *Engine[T]) Abort() { e.abortOnce.Do(func() { close(e.aborted) }) }

// started reports whether Run has made the meter (its views read it).
func (e *Engine[T]) started() bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}

// Progress returns the run's counters; zero before Run starts. Safe from
// any goroutine.
func (e *Engine[T]) Progress() Progress {
	if !e.started() {
		return Progress{ByStatus: map[reports.Status]int64{}}
	}
	return e.meter.progress(e.cfg.Clock.Now())
}

// Timeline returns the run's per-second timeline; call it after Run.
func (e *Engine[T]) Timeline() []digest.Second {
	if !e.started() {
		return nil
	}
	return e.meter.timeline.finish(e.cfg.Clock.Now())
}

// TimelineSince returns the seconds of the run's timeline that are over
// (the run's clock has passed them), from index from on; none before Run
// starts. A second returned never changes. Safe from any goroutine.
func (e *Engine[T]) TimelineSince(from int) []digest.Second {
	if !e.started() {
		return nil
	}
	return e.meter.timeline.closedSince(e.cfg.Clock.Now(), from)
}

// Answers counts the answers of every call so far by code ("0", "70500",
// "http 502", "network", "malformed"), each with its class; none before
// Run starts. Safe from any goroutine.
func (e *Engine[T]) Answers() []Answer {
	if !e.started() {
		return nil
	}
	return e.meter.answerList()
}

// LatencyBuckets returns the calls answered within each bound, from their
// actual send (cumulative), with the count and the sum of their latencies.
func (e *Engine[T]) LatencyBuckets(bounds []time.Duration) (cumulative []uint64, count uint64, sum time.Duration) {
	if !e.started() {
		return make([]uint64, len(bounds)), 0, 0
	}
	return e.meter.lat.Buckets(bounds)
}
