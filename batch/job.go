package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// JobConfig is one run of rows (msgread run) or one load test (msgread
// load), from its outputs to its summary.
type JobConfig struct {
	// Command names the job in its summary and its HTML: "run" or "load".
	Command string
	// Runner configures the engine; its Caller makes the calls. Its Resume
	// is set by the job, from Files.
	Runner Config
	// Input is the rows of a file or a stream (OpenInput); when nil, Source
	// gives the rows (synthetic ones) and Rows says how many, -1 unknown.
	Input  *InputFile
	Source Source
	Rows   int64
	// Files is where the report goes, and the report a resume continues.
	Files reports.Plan
	// Timeline and HTML name the charts' files; "" names each after the
	// report (REPORT.timeline.csv, REPORT.html; REPORT.2.timeline.csv ...
	// when appending, so that each run has its own).
	Timeline, HTML string
	// Thresholds are judged at the end.
	Thresholds digest.Thresholds
	// ProjectRows, when positive, projects the run's pace onto that many
	// rows (a load test's question: how long would the migration take?).
	ProjectRows int64
	// Target is what the job calls, as its outputs name it.
	Target Target
	// Explain adds to a stop's message what a person can turn to fix it
	// (the CLI's flags); nil leaves it as it is.
	Explain func(error) error
	// Verify, when set, reads a sample of the run's ok rows back once it
	// ran to its end (see Verify), before the charts are written.
	Verify *JobVerify
	// OwnHTML makes a resumed run's HTML report chart this run only; by
	// default it charts the whole chain (see Rebuild).
	OwnHTML bool
	// Notes receives what the job has to say on the way: a resume's check
	// beginning, an input that grew. Nil discards them.
	Notes func(string)
}

// JobVerify is a job's verification: Sample of its ok rows, chosen by
// Seed, read back by Counter into REPORT.verify.csv.
type JobVerify struct {
	Sample  Sample
	Seed    uint64
	Counter UnreadCounter
}

// Target is what a job calls, as its outputs name it.
type Target struct {
	// Name names the target for the reports' headline: "the bundled
	// mock", "the mock at URL", "external endpoint URL", "region NAME".
	// Mock, when set, adds its scenario and seed.
	Name string
	Seed uint64
	// Mock is set when the target is the bundled mock.
	Mock *digest.MockInfo
	// Ceiling is the target's own steady limit in calls per second when
	// known, else zero; CeilingAt its limit at a moment, when known (the
	// bundled mock's): the job then measures the run's share of it.
	Ceiling   float64
	CeilingAt func(time.Time) int
	// Production, when set, counts the app's own calls the target made
	// and refused under the same ceiling (the bundled mock's production
	// traffic), for the quota's account of what the run cost production.
	Production func() (calls, refused uint64)
	// Callbacks, when set, waits a while (within ctx) for the callbacks
	// the target still has queued to be delivered, stops them, and
	// returns what its webhooks did (the bundled mock's, given a callback
	// URL), for the summary. It is called once, when the run and its
	// verification are done.
	Callbacks func(ctx context.Context) *digest.Callbacks
}

// SetupError is a job that could not start: nothing was sent.
type SetupError struct {
	// What names what could not be used: "input", "report", "resume",
	// "timeline", "html", or "check" (the input against the resume).
	What string
	// Stop is the summary's stop code; Usage says a person must fix a file
	// or a setting (else the job stopped on what it found).
	Stop  string
	Usage bool
	Err   error
}

func (e *SetupError) Error() string { return e.What + ": " + e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// Job is one run from its start to its summary. Make one with OpenJob, run
// it once with Run; the Runner shows its progress meanwhile.
type Job struct {
	cfg     JobConfig
	files   *reports.Files
	charts  *charts
	runner  *Runner
	source  Source
	started time.Time
	ran     atomic.Bool
	// production is the target's production counts when the run began.
	production [2]uint64
}

// OpenJob opens the job's outputs (report, failed rows, timeline, HTML),
// loads the resumed report and checks it against the input, and makes the
// runner: everything before the first call. Its errors are *SetupError,
// or ctx's when an interrupt came first.
func OpenJob(ctx context.Context, cfg JobConfig) (*Job, error) {
	if cfg.Input == nil && cfg.Source == nil {
		// Refused before anything is made: a job without rows would only
		// fail in its first worker.
		return nil, &SetupError{What: "settings", Stop: digest.StopUsageError, Usage: true, Err: ErrNoRows}
	}
	j := &Job{cfg: cfg, source: cfg.Source}
	if cfg.Runner.Clock == nil {
		cfg.Runner.Clock = RealClock{}
		j.cfg.Runner.Clock = cfg.Runner.Clock
	}
	j.started = cfg.Runner.Clock.Now()
	if cfg.Input != nil {
		j.source = cfg.Input.Input
	}
	if err := j.openFiles(ctx); err != nil {
		return nil, err
	}
	if err := j.prepare(ctx); err != nil {
		j.files.Abandon() // the charts too: Files made them
		return nil, err
	}
	return j, nil
}

func (j *Job) prepare(ctx context.Context) error {
	var err error
	if j.charts, err = createCharts(j.files, j.cfg.Timeline, j.cfg.HTML, j.cfg.Verify != nil); err != nil {
		return err
	}
	if err := j.checkResume(ctx); err != nil {
		return err
	}
	rc := j.cfg.Runner
	rc.Resume = j.files.Resume
	if j.runner, err = New(rc); err != nil {
		return &SetupError{What: "settings", Stop: digest.StopUsageError, Usage: true, Err: err}
	}
	return nil
}

// openFiles opens the report files (and loads the resumed report).
func (j *Job) openFiles(ctx context.Context) error {
	p := j.cfg.Files
	p.Stopped = func() bool { return ctx.Err() != nil }
	if p.Resume != "" {
		// A report to resume is a file a run wrote, locked and maybe
		// appended to: a named pipe would block its open, a device never end.
		if st, err := os.Stat(p.Resume); err == nil && !st.Mode().IsRegular() {
			return &SetupError{What: "resume", Stop: digest.StopResumeError, Usage: true,
				Err: fmt.Errorf("%s is not a regular file (it names a report msgread wrote)", p.Resume)}
		}
	}
	files, err := reports.Open(p)
	var resume *reports.ResumeError
	switch {
	case err == nil:
		j.files = files
		return nil
	case errors.Is(err, reports.ErrStopped):
		return &SetupError{What: "resume", Stop: digest.StopInterrupted, Err: errors.New("interrupted while reading the resumed report")}
	case errors.As(err, &resume):
		return &SetupError{What: "resume", Stop: digest.StopResumeError, Usage: true, Err: err}
	}
	return &SetupError{What: "report", Stop: digest.StopOutputError, Usage: true, Err: err}
}

// checkResume checks the resumed report against the input before the first
// call: its lines must be data lines of the input, and a regular file is
// read whole to compare every done line's pair. A stream is compared as
// the run reads it.
func (j *Job) checkResume(ctx context.Context) error {
	res, in := j.files.Resume, j.cfg.Input
	if res == nil || in == nil {
		return nil
	}
	mismatch := func(usage bool, err error) error {
		return &SetupError{What: "check", Stop: digest.StopResumeMismatch, Usage: usage, Err: err}
	}
	if in.Lines >= 0 {
		if err := res.CheckLines(int(in.Lines)); err != nil {
			return mismatch(true, err)
		}
	}
	again, closeAgain, ok, err := in.Reopen(ctx)
	if !ok {
		return nil
	}
	if err != nil {
		return &SetupError{What: "input", Stop: digest.StopInputError, Usage: true, Err: err}
	}
	defer closeAgain()
	if res.Done() > 0 {
		j.note(fmt.Sprintf("checking the input against the resumed report's %d done lines", res.Done()))
	}
	err = CheckResume(ctx, again, res)
	var line *reports.LineError
	var mis *reports.MismatchError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &line):
		return mismatch(true, err)
	case ctx.Err() != nil:
		return &SetupError{What: "check", Stop: digest.StopInterrupted, Err: errors.New("interrupted before the first call")}
	case errors.As(err, &mis):
		return mismatch(false, err)
	case errors.Is(err, ErrBadInput):
		// Cut or rewritten since it was opened, say: nothing was sent,
		// so an input error before the first call.
		return &SetupError{What: "input", Stop: digest.StopInputError, Usage: true, Err: err}
	}
	return &SetupError{What: "check", Stop: digest.StopInputError, Err: err}
}

func (j *Job) note(s string) {
	if j.cfg.Notes != nil {
		j.cfg.Notes(s)
	}
}

// Files are the job's report files: their paths, and the resumed report.
func (j *Job) Files() *reports.Files { return j.files }

// Runner is the job's engine, for its progress, its answers so far and
// Abort.
func (j *Job) Runner() *Runner { return j.runner }

// Ending is how a job ended.
type Ending struct {
	// Summary is the run's, judged: thresholds, quota and stop included.
	Summary digest.Summary
	// Stop says why the run stopped early; nil when it ran to its end.
	Stop *digest.Stop
	// Err is the error the run stopped with, nil when it ran to its end.
	Err error
	// Info is what the summary JSON says beyond the Summary; the caller
	// adds the version and the exit code.
	Info digest.RunInfo
	// Projection is set when JobConfig.ProjectRows asked for one.
	Projection *digest.Projection
	// Headline is what the text summary and the HTML report open with.
	Headline []digest.HeadlineItem
	// Verified is what JobConfig.Verify found (Info.Verify words it);
	// nil when it was not asked for or the run stopped early.
	Verified *VerifySummary
	// VerifyErr is the error the verification stopped with (an interrupt,
	// a fatal answer, its report), nil when it ran to its end.
	VerifyErr error
	// Report, Failed, Timeline and HTML are the paths written.
	Report, Failed, Timeline, HTML string
	// ChainNotCharted is set when the HTML of a run that resumed others
	// charts this run only because its chain's reports are too large to
	// read again at the run's end (Rebuild charts the chain afterwards).
	ChainNotCharted bool
	// ChartsErr says which of the timeline and the HTML could not be
	// written, nil when both were (the caller prints it beside their
	// paths; it is also the Stop when nothing else stopped the run).
	ChartsErr error
}

// Run sends the rows and finishes the job: the report is closed, every row
// accounted for, the stop classified, the quota measured, the thresholds
// judged and the charts written. It runs once.
func (j *Job) Run(ctx context.Context) *Ending {
	if !j.ran.CompareAndSwap(false, true) {
		return &Ending{Summary: digest.NewSummary(), Err: ErrRanTwice, Stop: &digest.Stop{Code: digest.StopError, Message: ErrRanTwice.Error()}}
	}
	if p := j.cfg.Target.Production; p != nil {
		j.production[0], j.production[1] = p()
	}
	sum, runErr := j.runner.Run(ctx, j.source, chartedFiles{Files: j.files, job: j})
	sum.Share = j.cfg.Runner.Share.String()
	x := ending{runErr: runErr, closeErr: j.files.Close()}
	x.accountErr = j.account(&sum)
	x.explain = j.cfg.Explain
	stopped := x.stop() // before the charts: their write may add to it
	if stopped != nil {
		sum.Stopped = stopped.Message
	}
	seconds := j.runner.Timeline()
	ceilings := j.quota(&sum, seconds)
	end := &Ending{Report: j.files.ReportPath, Failed: j.files.FailedPath, Timeline: j.charts.timelinePath, HTML: j.charts.htmlPath}
	page := digest.Page{Title: "msgread " + j.cfg.Command + " report", Command: j.cfg.Command, Scenario: j.cfg.Target.Name, Seed: j.cfg.Target.Seed, Mock: j.cfg.Target.Mock,
		Ceiling: j.cfg.Target.Ceiling, Ceilings: ceilings, Timeline: seconds, Bounds: j.runner.cfg.Profile.Bounds(), Explain: explainCode}
	if j.cfg.ProjectRows > 0 {
		p := digest.Project(sum, j.cfg.ProjectRows)
		end.Projection, page.Projection = &p, p
	}
	sum.Thresholds = j.cfg.Thresholds.Check(sum)
	if j.cfg.Verify != nil && stopped == nil {
		end.Verified, page.Verify, end.VerifyErr = j.verify(ctx)
	} else if j.charts.verify != nil {
		j.charts.dropVerify() // made at the start; the run stopped before it
	}
	if cb := j.cfg.Target.Callbacks; cb != nil {
		sum.Callbacks = cb(ctx)
		if c := sum.Callbacks; stopped == nil && c != nil && ctx.Err() != nil {
			// Every row finished, but the interrupt cut the delivery of
			// the callbacks still queued short: the rehearsal is not whole.
			x.callbacksCut = fmt.Sprintf("interrupted while the callbacks still queued were delivered: every row finished and the report is whole, but %d callbacks were not delivered (%d still queued, %d cut off)",
				c.Pending+c.FailedBy["stopped"], c.Pending, c.FailedBy["stopped"])
			sum.Stopped = x.callbacksCut
		}
	}
	page.Summary, page.Generated = sum, j.cfg.Runner.Clock.Now()
	end.Headline = digest.NewHeadline(page)
	tlErr := j.charts.finishTimeline(page.Timeline)
	if j.files.Resume != nil && !j.cfg.OwnHTML {
		page, end.ChainNotCharted = j.chainPage(ctx, page)
	}
	x.outputErr = errors.Join(tlErr, j.charts.writeHTML(page))
	end.Summary, end.Stop, end.Err, end.ChartsErr = sum, x.stop(), x.err(), x.outputErr
	end.Info = j.info(sum, end.Projection)
	end.Info.Verify = page.Verify
	return end
}

// chainPage is the HTML page of a run that resumed others: the rows and
// the charts of its whole chain (Rebuild of its report, whose timeline is
// written), with this run's verdicts, quota, callbacks, verification and
// rate steps. A chain that cannot be read leaves the run's own page, and
// a note says why; tooLarge reports a chain too large to read again.
func (j *Job) chainPage(ctx context.Context, own digest.Page) (_ digest.Page, tooLarge bool) {
	if size := chainBytes(j.files.ReportPath); size > maxChainHTMLBytes {
		j.note(fmt.Sprintf("note: the HTML report charts this run only: its chain's reports hold %d MB, more than a run's memory "+
			"allows to read again at its end", size>>20))
		return own, true
	}
	var rb *Rebuilt
	var err error
	withHeapRoom(func() { rb, err = Rebuild(context.WithoutCancel(ctx), []string{j.files.ReportPath}) })
	if err != nil {
		j.note("note: the HTML report charts this run only: its chain could not be read: " + err.Error())
		return own, false
	}
	for _, n := range rb.Notes {
		j.note("note: the HTML report of the chain: " + n)
	}
	page := rb.Page
	page.Title = own.Title + ", with the runs it resumed"
	page.Scenario, page.Seed, page.Ceiling, page.Explain = own.Scenario, own.Seed, own.Ceiling, own.Explain
	page.Projection, page.Verify, page.Generated = own.Projection, own.Verify, own.Generated
	s, o := &page.Summary, own.Summary
	s.Thresholds, s.Quota, s.Callbacks, s.Share, s.Stopped = o.Thresholds, o.Quota, o.Callbacks, o.Share, o.Stopped
	if n := len(rb.Runs); n > 0 && rb.Runs[n-1].Missing == "" {
		for _, b := range own.Bounds {
			page.Bounds = append(page.Bounds, b+time.Duration(rb.Runs[n-1].From)*time.Second)
		}
	}
	return page, false
}

// maxChainHTMLBytes bounds the reports a run reads again at its end for
// the whole chain's HTML: about 2.5 M lines, so that a resumed run keeps
// to its memory (a 10 M-line chain's rebuild peaks at 134 MB; the run
// itself at 54). msgread report rebuilds any chain after the fact.
const maxChainHTMLBytes = 128 << 20

// chainBytes is the size of the reports of report's resume chain; 0 when
// the chain cannot be read (the rebuild then says why).
func chainBytes(report string) int64 {
	chain, err := reports.Chain(report)
	if err != nil {
		return 0
	}
	var n int64
	for _, l := range chain {
		if st, err := os.Stat(l.Report); err == nil {
			n += st.Size()
		}
	}
	return n
}

// chartedFiles are the job's report files with its timeline beside them:
// each flush of the report (every second) writes the timeline's seconds
// over since and syncs them, so that a run killed at any moment leaves
// its seconds up to about then. (Its Sending makes it the report's
// SendLogger still.)
type chartedFiles struct {
	*reports.Files
	job *Job
}

func (c chartedFiles) Flush() error {
	if err := c.Files.Flush(); err != nil {
		return err
	}
	c.job.charts.flush(c.job.runner.TimelineSince(c.job.charts.written))
	return nil
}

// verify reads a sample of the finished report's ok rows back into
// REPORT.verify.csv (made at the start, as the charts are), through an
// engine of the run's settings; a share or all of the report is streamed.
func (j *Job) verify(ctx context.Context) (*VerifySummary, *digest.VerifyResult, error) {
	v, out := j.cfg.Verify, j.charts.verify
	defer out.Close()
	res := &digest.VerifyResult{Sample: v.Sample.String(), Report: j.charts.verifyPath}
	fail := func(err error) (*VerifySummary, *digest.VerifyResult, error) {
		res.Stopped = "it stopped: " + err.Error()
		j.note("reading the sample back: " + err.Error())
		return nil, res, err
	}
	in, err := os.Open(j.files.ReportPath)
	if err != nil {
		return fail(err)
	}
	defer in.Close()
	stream, err := NewSampleStream(in, v.Sample, v.Seed)
	if err != nil {
		return fail(err)
	}
	cfg := j.cfg.Runner
	cfg.StopAfter, cfg.Resume, cfg.Caller = 0, nil, nil
	sum, err := Verify(ctx, VerifyConfig{Runner: cfg, Counter: v.Counter, Next: stream.Next, Out: out, Abort: j.runner.aborted})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	res.Sampled, res.Read, res.Unread, res.Errors, res.UnreadAfterPastReadTime = sum.Sampled, sum.Read, sum.Unread, sum.Errors, sum.UnreadAfterPastTime
	if err != nil {
		res.Stopped = "it stopped: " + err.Error()
	}
	return &sum, res, err
}

// info is what the summary JSON says of the job beyond its Summary.
func (j *Job) info(sum digest.Summary, proj *digest.Projection) digest.RunInfo {
	total := j.cfg.Rows
	if j.cfg.Input != nil {
		total = j.cfg.Input.Rows()
	}
	_, _, _, ended := j.source.Counts()
	info := digest.RunInfo{Command: j.cfg.Command, StartedAt: j.started, FinishedAt: j.cfg.Runner.Clock.Now(), TotalRows: total,
		InputEnded: ended, ServerCeiling: j.cfg.Target.Ceiling, Mock: j.cfg.Target.Mock, Projection: proj}
	if res := j.files.Resume; res != nil {
		_, carried := j.files.Counts()
		info.DoneAhead = int64(res.Done() - carried)
	}
	return info
}

// account checks, at the end of a run, that every input row it read is in
// the report or not finished, and that the input reader saw every line a
// regular file had when the run opened it. A file is read up to the size
// it had then: rows appended during the run are not read, and a note says
// so (a resume sends them). A file that shrank or was rewritten under the
// reader never gets here as ended: the reader stopped the run with an
// input error (ErrInputShrank, ErrInputChanged). A rewrite it could not
// see, to another count of lines, is said in a note.
func (j *Job) account(sum *digest.Summary) error {
	written, carried := j.files.Counts()
	in := j.cfg.Input
	if err := sum.Account(written, carried, j.files.Unwritten()); err != nil || in == nil {
		return err
	}
	lines, _, _, ended := in.Counts()
	if !ended {
		sum.NotRead = -1 // a stream's rest is unknown
		if in.Lines >= 0 {
			sum.NotRead = max(int(in.Lines)-lines, 0)
		}
	}
	if !ended || in.Lines < 0 {
		return nil
	}
	if note, grew := in.change(lines); note != "" {
		if grew && j.cfg.Explain != nil {
			note = j.cfg.Explain(&InputGrew{Note: note}).Error()
		}
		j.note("note: " + note)
		return nil
	}
	if int64(lines) == in.Lines {
		return nil
	}
	return fmt.Errorf("%w: the input has %d lines, but %d were read; please report this", digest.ErrUnbalanced, in.Lines, lines)
}

// quota measures the run's use of what the target had left in each second
// of its timeline, and returns the target's ceiling in each second for
// the chart; nothing when the target's ceiling is unknown.
func (j *Job) quota(sum *digest.Summary, tl []digest.Second) (ceilings []float64) {
	at := j.cfg.Target.CeilingAt
	if at == nil {
		return nil
	}
	ceilings = CeilingsOver(tl, sum.Started, at)
	sum.Quota = digest.MeasureQuota(tl, func(s digest.Second) float64 { return ceilings[s.At] }, sum.Offering)
	if p := j.cfg.Target.Production; p != nil {
		if sum.Quota == nil {
			// Too short to measure what the run took: what it cost
			// production is counted all the same.
			sum.Quota = digest.UnmeasuredQuota(tl)
		}
		calls, refused := p()
		c0, r0 := j.production[0], j.production[1]
		if calls < c0 || refused < r0 {
			c0, r0 = 0, 0 // the mock was reset (POST /mock/reset) during the run: its counts since
		}
		sum.Quota.ProductionCalls, sum.Quota.ProductionRefused = calls-c0, refused-r0
		if n := sum.Quota.ProductionCalls; n > 0 {
			sum.Quota.ProductionShare = float64(sum.Quota.ProductionRefused) / float64(n)
		}
	}
	return ceilings
}

// CeilingsOver reads ceilingAt in the middle of each second of a timeline
// that started at started. To the nanosecond: a second's Unix is
// truncated, and read from it a run that started half a second into its
// clock second would meet each of the mock's steps a second early (and
// count a second of the new step against the old ceiling).
func CeilingsOver(tl []digest.Second, started time.Time, ceilingAt func(time.Time) int) []float64 {
	ceilings := make([]float64, len(tl))
	for i, s := range tl {
		ceilings[i] = float64(ceilingAt(started.Add(time.Duration(s.At)*time.Second + time.Second/2)))
	}
	return ceilings
}

// Abandon removes the outputs of a job that will not run.
func (j *Job) Abandon() {
	if !j.ran.Load() {
		j.files.Abandon()
	}
}

// explainCode says what an API error code means, for the HTML report.
func explainCode(code int) (meaning, class string) {
	c := chatapi.Lookup(code)
	return c.Info, c.Class.String()
}

// Command names the job: "run" or "load".
func (j *Job) Command() string { return j.cfg.Command }
