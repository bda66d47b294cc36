package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// engineFlags are the settings of the runner, the same in "run" and "load":
// one name, one type and one meaning each.
type engineFlags struct {
	rateFlags
	workers     int
	retries     int
	timeout     time.Duration
	minRows     int
	maxFailure  float64
	outage      time.Duration
	shareText   string
	share       batch.Share
	report      string
	summaryJSON string
	progress    string
	logEvery    time.Duration
	logFormat   string
	metricsAddr string
	thresholds  thresholdFlags
	stopAfter   time.Duration  // load's --duration
	verifyText  string         // --verify
	verify      batch.Sample   // --verify, parsed
	summary     *summaryOutput // made by the command's openSummary
}

// rateFlags are --rate, --step, --ramp and --stages, read the same way in
// run, load and check.
type rateFlags struct {
	rate       string
	step, ramp time.Duration
	stages     string
	profile    batch.Profile // set by parse
}

// DefaultStep is the length of each step of a stepped --rate.
const DefaultStep = 30 * time.Second

// defaultRate is --rate's default, the API's ceiling.
const defaultRate = "200"

func (f *rateFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&f.rate, "rate", defaultRate, what+": 200, steps 100,200,300 (each --step long)\nor a ramp 50:300 (over --ramp)")
	fs.DurationVar(&f.step, "step", DefaultStep, "length of each step of a stepped --rate")
	fs.DurationVar(&f.ramp, "ramp", 0, "how long a ramp --rate takes (load: default --duration)")
	fs.StringVar(&f.stages, "stages", "", "instead of --rate, k6-style `stages` 100:30s,200:1m,0:10s: ramp to each rate\n(calls/s) over its time, from 0; a load test ends with the last stage")
}

// parse reads the rate's profile; rampDefault is the ramp's length when
// --ramp is not given.
func (f *rateFlags) parse(rampDefault time.Duration) error {
	if f.stages != "" {
		if f.rate != defaultRate {
			return usageError("give --rate or --stages, not both")
		}
		st, err := batch.ParseStages(f.stages)
		if err != nil {
			return usageErrorOf("--stages: ", err)
		}
		f.profile = st
		return nil
	}
	ramp := f.ramp
	if ramp == 0 {
		ramp = rampDefault
	}
	profile, err := batch.ParseProfile(f.rate, f.step, ramp)
	if err != nil {
		return profileError(f.rate, err)
	}
	f.profile = profile
	return nil
}

func (f *engineFlags) register(fs *flag.FlagSet, reportDefault string) {
	f.rateFlags.register(fs, "ceiling in `calls/s`, retries included (the API allows 200)")
	fs.IntVar(&f.workers, "workers", batch.DefaultWorkers, "`calls` in flight at most")
	fs.IntVar(&f.retries, "retries", batch.DefaultRetries, "`retries` of a transient failure before the row gives up (0 or off: none)")
	fs.DurationVar(&f.timeout, "timeout", batch.DefaultTimeout, "timeout of one call (the service gives up after ~3s)")
	fs.IntVar(&f.minRows, "min-rows", batch.DefaultMinRows, "`rows` sent before the failure-rate stop applies")
	fs.Float64Var(&f.maxFailure, "max-failure-rate", batch.DefaultMaxFailureRate, "stop (exit 3) once more than this `fraction` of the rows sent failed or gave up; 1 (or off) never stops")
	fs.DurationVar(&f.outage, "outage-budget", batch.DefaultOutageBudget, "when the service cannot be reached, pause and probe it; stop (exit 3) once it has not answered for this long\n(the pause begins after 5s without an answer, so a shorter budget acts as 5s)")
	fs.StringVar(&f.shareText, "share", "safe", shareUsage)
	fs.StringVar(&f.report, "report", "", "report `path` (default "+reportDefault+"; never overwritten)")
	fs.StringVar(&f.summaryJSON, "summary-json", "", "also write the summary as JSON to this `path` (- for standard output; never overwritten),\non every exit once the flags parse, refusals included (stop.code says why)")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: `auto|bar|log|none` (auto: a bar on a terminal, else a timestamped\nlog line every --log-every)")
	fs.DurationVar(&f.logEvery, "log-every", DefaultLogEvery, "how often the log line is printed")
	fs.StringVar(&f.logFormat, "log-format", "text", "the log line's format: `text|json` (json: one object a line, through log/slog;\n--progress auto then logs even on a terminal)")
	fs.StringVar(&f.verifyText, "verify", "", "after the run, read this `sample` of its ok rows back (a count, 5% or all) with\nget_c2c_unread_msg_num against the same target, as msgread verify does; any row not read exits 1")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this `host:port` while running (:9090 is loopback's\nport 9090; off by default)")
	f.thresholds.register(fs)
}

// shareUsage is --share's help, for every command that calls the API.
const shareUsage = "how to share the app's 200 calls/s with its production traffic: `safe|greedy`. safe starts at\n" +
	"30 % of the rate (full in about 12 s when nothing else calls), sends each second's calls late in\n" +
	"it so that production's are counted first, and holds just under what refusals show is left;\n" +
	"greedy takes all that is left, and production's calls are refused more. Shards of one\n" +
	"migration run at once: greedy (they split the quota fairly)"

// parseShare reads --share.
func parseShare(text string) (batch.Share, error) {
	s, err := batch.ParseShare(text)
	if err != nil {
		return s, usageError(fmt.Sprintf("--share %q: want safe or greedy", text))
	}
	return s, nil
}

// validate checks every setting before anything is opened or sent.
// rampDefault is the ramp's length when --ramp is not given.
func (f *engineFlags) validate(rampDefault time.Duration) error {
	if err := f.parse(rampDefault); err != nil {
		return err
	}
	if err := f.checkRunner(); err != nil {
		return err
	}
	var err error
	if f.share, err = parseShare(f.shareText); err != nil {
		return err
	}
	if f.verifyText != "" {
		if f.verify, err = batch.ParseSample(f.verifyText); err != nil {
			return usageErrorOf("--verify ", err)
		}
	}
	switch {
	case f.logEvery < time.Second:
		return usageError("--log-every must be at least 1s")
	case f.outage < time.Second:
		return usageError("--outage-budget must be at least 1s")
	case f.logFormat != "text" && f.logFormat != "json":
		return usageError(fmt.Sprintf("--log-format %q: want text or json", f.logFormat))
	case f.report == "-":
		return usageError("--report names a file, not standard output (--summary-json - writes the summary there)")
	}
	if f.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(f.metricsAddr); err != nil {
			return usageError(fmt.Sprintf("--metrics-addr %q: want host:port, or :port for loopback", f.metricsAddr))
		}
	}
	if err := f.thresholds.validate(); err != nil {
		return err
	}
	return checkProgress(f.progress)
}

// checkRunner checks the settings of the calls: how many, how often
// retried, how long each waits, and when failures stop the run.
func (f *engineFlags) checkRunner() error {
	switch {
	case f.workers <= 0 || f.workers > 100_000:
		return usageError("--workers must be from 1 to 100000")
	case f.retries < 0 || f.retries > 100:
		return usageError("--retries must be from 0 to 100")
	case f.timeout <= 0:
		return usageError("--timeout must be positive")
	case f.minRows < 0:
		return usageError("--min-rows must not be negative")
	case !(f.maxFailure > 0 && f.maxFailure <= 1):
		return usageError(fmt.Sprintf("--max-failure-rate %v: want a fraction above 0 and at most 1 (1 never stops)", f.maxFailure))
	}
	return nil
}

// config is the runner's Config for these settings.
func (f *engineFlags) config(caller batch.Caller) batch.Config {
	cfg := batch.DefaultConfig()
	cfg.Caller, cfg.Profile, cfg.Workers, cfg.Retries = caller, f.profile, f.workers, f.retries
	cfg.MinRows, cfg.MaxFailureRate, cfg.OutageBudget = f.minRows, f.maxFailure, f.outage
	cfg.Share = f.share
	return cfg
}

// stampLayout puts the time in default output names, so that a rerun never
// meets its predecessor's files.
const stampLayout = "20060102-150405"

// reportPath is --report, or the default name of prefix and now.
func (f *engineFlags) reportPath(prefix string, now time.Time) string {
	if f.report != "" {
		return f.report
	}
	return filepath.Join("out", prefix+"-"+now.Format(stampLayout)+".csv")
}

// open opens the job of cfg against tgt with these settings, and words
// its refusals for a person; with --metrics-addr it serves the job's
// metrics until stopMetrics is called.
func (f *engineFlags) open(ctx context.Context, e *env, cfg batch.JobConfig, tgt *target, t targetFlags) (job *batch.Job, stopMetrics func(), err error) {
	cfg.Runner = f.config(tgt.client)
	cfg.Runner.StopAfter = f.stopAfter
	cfg.Target = tgt.describe(t)
	if cfg.Thresholds.Baseline, err = f.thresholds.baseline.load(ctx, e, cfg.Command, cfg.Target.Mock, f.profile); err != nil {
		return nil, nil, err
	}
	cfg.Target.Callbacks = tgt.callbacks(e, cfg.Command)
	if tgt.mock == nil {
		tuneGC(e)
	}
	if f.verifyText != "" {
		cfg.Verify = &batch.JobVerify{Sample: f.verify, Seed: t.mock.seed, Counter: tgt.client}
	}
	cfg.Explain = explain
	cfg.Notes = func(s string) { fmt.Fprintf(e.stderr, "msgread %s: %s\n", cfg.Command, safetext.Clean(s)) }
	if job, err = batch.OpenJob(ctx, cfg); err != nil {
		return nil, nil, setupError(err, cfg)
	}
	if f.metricsAddr == "" {
		return job, func() {}, nil
	}
	total := cfg.Rows
	if cfg.Input != nil {
		total = cfg.Input.Rows()
	}
	collector := batch.NewCollector(job.Runner(), cfg.Command, versionString(), time.Now(), total)
	if stopMetrics, err = serveMetrics(e, cfg.Command, f.metricsAddr, collector); err != nil {
		job.Abandon()
		return nil, nil, err
	}
	return job, stopMetrics, nil
}

// setupError words a job's refusal to start (a *batch.SetupError) for a
// person, with its exit code.
func setupError(err error, cfg batch.JobConfig) error {
	var setup *batch.SetupError
	if !errors.As(err, &setup) {
		return err
	}
	code := exitAborted
	switch {
	case setup.Stop == stopInterrupt:
		return &exitError{code: exitInterrupted, err: setup.Err}
	case setup.What == "input":
		return inputError(cfg.Input.Path, setup.Err)
	case setup.Usage:
		code = exitUsage
	}
	prefix := map[string]string{"resume": "--resume: ", "report": "cannot write the report: ", "timeline": "--timeline: ", "html": "--html: ", "verify": "--verify: ",
		"check": "--resume: "}[setup.What]
	if setup.What == "check" && !setup.Usage {
		prefix = "stopped before the first call: "
	}
	return stopped(code, setup.Stop, fmt.Errorf("%s%w", prefix, setup.Err))
}

// drive runs job with a progress display and, when asked, metrics; a
// second interrupt (after the first cancelled ctx) stops the calls in
// flight.
func (f *engineFlags) drive(ctx context.Context, e *env, job *batch.Job, total int64) *batch.Ending {
	name, runner := job.Command(), job.Runner()
	stopProgress := startProgress(e, progressView{mode: f.progress, every: f.logEvery, json: f.logFormat == "json"}, total, runner.Progress)
	finished := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			fmt.Fprintf(e.stderr, "msgread %s: interrupted: no new call starts; draining %d calls in flight, then the report is flushed (Ctrl-C again to stop them)\n",
				name, runner.Progress().InFlight)
		case <-finished:
			return
		}
		select {
		case <-e.signals:
			fmt.Fprintf(e.stderr, "msgread %s: second interrupt: stopping calls in flight\n", name)
			runner.Abort()
		case <-finished:
		}
	}()
	end := job.Run(ctx)
	close(finished)
	<-watched
	stopProgress()
	return end
}

// exit maps a job's ending to the documented exit codes.
func exit(end *batch.Ending) error {
	stop, sum := end.Stop, end.Summary
	breaches := describeBreaches(digest.Breaches(sum.Thresholds))
	switch {
	case stop == nil:
	case stop.Code == digest.StopAborted || stop.Code == digest.StopInterrupted:
		return &exitError{code: exitInterrupted, err: errors.New(stop.Message)}
	case stop.Code == digest.StopInputError && sum.Attempts == 0:
		// An input that goes bad before the first call (a header, then a
		// line with no end) is refused as a bad file is: nothing was sent.
		return &exitError{code: exitUsage, err: errors.New(stop.Message)}
	default:
		return &exitError{code: exitAborted, err: errors.New(stop.Message)}
	}
	if len(breaches) > 0 {
		return &exitError{code: exitThreshold, err: fmt.Errorf("%d threshold(s) not met: %s", len(breaches), strings.Join(breaches, "; "))}
	}
	if reports.NotOK(sum.ByStatus) > 0 {
		return &exitError{code: exitRowsFailed, err: errSilent}
	}
	return nil
}

// finish ends a job: the exit is worked out, and the summary JSON written
// with the exit code the process ends with. It returns the error main
// exits with.
func finish(e *env, out *summaryOutput, end *batch.Ending) error {
	err := exit(end)
	stop := end.Stop
	if v := end.Info.Verify; err == nil && v != nil && (v.Unread+v.Errors > 0 || v.Stopped != "") {
		stopped := ""
		if v.Stopped != "" {
			stopped = "; " + v.Stopped
		}
		err = &exitError{code: exitRowsFailed, err: fmt.Errorf("verify: %d of %d sampled rows not read (%d unread, %d in error)%s", v.Unread+v.Errors, v.Sampled, v.Unread, v.Errors, stopped)}
		if ee := verifyStop(end.VerifyErr); ee != nil {
			// The verification stopped (an interrupt, a fatal answer): the
			// exit and the stop say so, as verify's would.
			ee.err = fmt.Errorf("verify: %w", ee.err)
			err, stop = ee, &digest.Stop{Code: ee.stop, Message: ee.err.Error()}
		}
	}
	info := end.Info
	info.Stop, info.ExitCode, info.Version = stop, exitCode(err), versionString()
	if werr := out.write(e, digest.NewDocument(end.Summary, info)); werr != nil && exitCode(err) != exitAborted && exitCode(err) != exitInterrupted {
		// CI reads the summary: a run whose summary could not be written
		// does not end as if all were well.
		return &exitError{code: exitAborted, err: fmt.Errorf("writing --summary-json: %w (the report is whole)", werr)}
	}
	return err
}

// conclude prints a job's ending (failed: its failed-rows file too) and
// what --verify found.
func (f *engineFlags) conclude(e *env, end *batch.Ending, failed bool) {
	printEnding(e, end, failed)
	if end.Verified != nil {
		printVerify(e, *end.Verified, end.Info.Verify.Report)
	}
}
