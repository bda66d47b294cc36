package batch

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
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

// Config configures a Runner (and an Engine). A literal's zero values
// mean the defaults, except Caller, which is required; DefaultConfig holds
// the defaults, and its zeros, once set, mean zero.
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
	// Share is how the run shares the app's quota with the app's other
	// traffic: the zero value, ShareSafe, protects it (see Share).
	Share Share

	explicit bool // made by DefaultConfig: zero means zero
}

// Runner marks the rows of a Source read: the rows' work on the Engine.
// Create one per run with New.
//
// One row's path: a free worker pulls it from the Source through the feed,
// which asks the Resume whether it is done (no row is read ahead, so none
// is read that the run does not finish or count); for each attempt the
// worker waits for a ticket from the dispatcher (the one goroutine that
// paces), calls, and retries by the answer's class; the finished row goes
// to the writer goroutine (Run's own), which counts it in the meter and
// writes its report row to the Output.
type Runner struct {
	*Engine[Row]
	resume *reports.Resume
}

// New validates cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Caller == nil {
		return nil, errors.New("batch: runner: a caller is required")
	}
	e, err := NewEngine(cfg, Work[Row]{
		Call:    func(ctx context.Context, row Row) Result { return cfg.Caller.MarkRead(ctx, row.request()) },
		Settled: settleRow,
		Line:    func(row Row) int { return row.Line },
	})
	if err != nil {
		return nil, err
	}
	return &Runner{Engine: e, resume: cfg.Resume}, nil
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
func (r *Runner) Run(ctx context.Context, in Source, out Output) (digest.Summary, error) {
	if in == nil || out == nil {
		return digest.NewSummary(), ErrNoRows
	}
	sink := rowSink{out: out, resume: r.resume}
	sink.log, _ = out.(SendLogger)
	return r.Engine.Run(ctx, &rowFeed{in: in, resume: r.resume}, sink)
}

// request is the call that marks row read.
func (row Row) request() chatapi.Request {
	return chatapi.Request{ReportAccount: row.ReportAccount, PeerAccount: row.PeerAccount, MsgReadTime: row.ReadTime}
}

// settleRow finishes the rows that are not sent: done before (skipped), or
// invalid.
func settleRow(row Row) (Outcome, bool) {
	switch {
	case row.done:
		return Outcome{Status: reports.StatusSkipped}, true
	case row.Invalid != "":
		return Outcome{Status: reports.StatusInvalid, Info: row.Invalid}, true
	}
	return Outcome{}, false
}

// rowFeed hands the source's rows to the workers, in order, each marked
// done or not by the resume. A resume that refuses a row stops the feed
// there, before any later row is handed out.
type rowFeed struct {
	in     Source
	resume *reports.Resume
	err    error // once set, every Next returns it
}

// Next returns the next row; io.EOF once the source ended (and the resume
// accepted its end), or the error that ended the feed. The engine calls
// it under its lock.
func (f *rowFeed) Next(context.Context) (Row, error) {
	if f.err != nil {
		return Row{}, f.err
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
	if row.done, err = f.resume.Skip(row.Line, row.ReportAccount, row.PeerAccount, row.MsgReadTime); err != nil {
		f.err = err
		return Row{}, &readNotSent{err}
	}
	return row, nil
}

func (f *rowFeed) Counts() (lines, rows, blank int, ended bool) { return f.in.Counts() }

// rowSink writes each finished row's report row to the Output, and logs
// each row before its first call when the Output keeps a send log.
type rowSink struct {
	out    Output
	log    SendLogger // nil: none
	resume *reports.Resume
}

func (s rowSink) Write(row Row, o Outcome) error {
	rec := reports.Record{Line: row.Line, ReportAccount: row.ReportAccount, PeerAccount: row.PeerAccount, MsgReadTime: row.MsgReadTime,
		Raw: row.Raw, Status: o.Status, ErrorInfo: o.Info, FinishedAt: o.FinishedAt}
	if o.Attempts > 0 {
		res := o.Last
		rec.Attempts, rec.HTTPStatus, rec.Latency = o.Attempts, res.HTTPStatus, res.Latency
		rec.ErrorCode, rec.HasCode, rec.ErrorInfo = res.Code, res.Err == nil, res.Describe()
	}
	return s.out.Write(rec)
}

func (s rowSink) Flush() error { return s.out.Flush() }

// Sending logs the row's line before its first call, and says whether an
// earlier run of the resumed chain sent it.
func (s rowSink) Sending(row Row) (resent bool, err error) {
	if s.log != nil {
		if err := s.log.Sending(row.Line); err != nil {
			return false, err
		}
	}
	return s.resume.SentBefore(row.Line), nil
}
