package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/reports"
)

// DefaultLoadDuration is how long "msgread load" runs without --duration or
// --rows.
const DefaultLoadDuration = 60 * time.Second

// DefaultProjectRows is the migration size the projection is made for.
const DefaultProjectRows = 10_000_000

const loadAbout = `
A capacity test: sends synthetic rows (or --input FILE) through the same runner as
"msgread run", against the bundled mock with one of its scenarios (or --endpoint),
at a rate that may change over the run, and reports how it went.

Rate: --rate 200 (constant), --rate 100,200,300 --step 30s (steps),
--rate 50:300 (a linear ramp over --ramp, by default --duration), or
--stages 100:30s,200:1m,0:10s (k6-style: ramp to each rate over its time).
Length: --duration, or --rows; steps and stages end with their last one
(90 s for the steps above) unless --duration is given; otherwise 60 s.

It measures latency from each call's intended send time as well as from its
actual send (wrk2's correction for coordinated omission: a call that waited for a
free worker counts its wait), and counts the calls sent more than 10 ms late.

Writes: the report (--report), a per-second timeline CSV (--timeline), an HTML
report with charts that opens in a browser with no server (--html), the summary
(stderr, --summary-json), and a projection: how long --project rows would take.

Thresholds (--max-p99, --min-rate, --max-failed, --max-gave-up): on any breach
the run finishes, names it and exits 4. Exits 3 if a fatal answer or the
failure-rate limit (--max-failure-rate, as in run) stops it.

Examples:
  msgread load --scenario flaky --rate 200 --duration 60s
  msgread load --scenario testdata/scenarios/regress.json --seed 7 --duration 20s \
    --max-p99 1s --min-rate 0.98 --max-failed 0.001 --max-gave-up 0`

// loadOptions are the settings of "msgread load".
type loadOptions struct {
	engine      engineFlags
	target      targetFlags
	input       string
	duration    time.Duration
	rows        int64
	population  int
	invalidRate float64
	timeline    string
	html        string
	project     int64
}

func (o *loadOptions) register(fs *flag.FlagSet) {
	o.target.register(fs, false)
	o.engine.register(fs, "out/load-TIME.csv")
	fs.StringVar(&o.input, "input", "", "send the rows of this CSV `file` instead of synthetic ones")
	fs.DurationVar(&o.duration, "duration", 0, "how long to send (default: the end of the --rate steps or --stages, else 60s unless --rows\nor --input is given)")
	fs.Int64Var(&o.rows, "rows", 0, "how many synthetic `rows` to send (instead of --duration)")
	fs.IntVar(&o.population, "population", batch.DefaultGenUsers, "synthetic rows: size of the user `population` (as in gen)")
	fs.Float64Var(&o.invalidRate, "invalid-rate", 0, "synthetic rows: `fraction` made invalid on purpose")
	fs.StringVar(&o.timeline, "timeline", "", "timeline CSV `path` (default: the report's name with .timeline.csv)")
	fs.StringVar(&o.html, "html", "", "HTML report `path` (default: the report's name with .html)")
	fs.Int64Var(&o.project, "project", DefaultProjectRows, "project the run's pace onto this many `rows`")
}

func (o *loadOptions) validate(args []string) error {
	if len(args) > 0 {
		return usageError("load takes no arguments; use --input FILE for a file")
	}
	o.target.inProcess = o.target.endpoint == ""
	// A ramp spans the run: --duration, or the default length.
	rampOver := o.duration
	if o.duration == 0 && o.rows == 0 && o.input == "" {
		rampOver = DefaultLoadDuration
	}
	switch {
	case o.duration < 0 || o.rows < 0:
		return usageError("--duration and --rows must not be negative")
	case o.project <= 0:
		return usageError("--project must be positive")
	case o.input != "" && o.rows > 0:
		return usageError("--rows is for synthetic rows; an --input file is sent whole (or for --duration)")
	case o.timeline == "-" || o.html == "-":
		return usageError("--timeline and --html name files, not standard output (--summary-json - writes the summary there)")
	case o.population < 2:
		return usageError("--population must be at least 2")
	case !(o.invalidRate >= 0 && o.invalidRate <= 1):
		return usageError("--invalid-rate must be a fraction from 0 to 1")
	}
	if err := o.engine.validate(rampOver); err != nil {
		return err
	}
	// Steps and stages end the test with their end, unless --duration says
	// otherwise; a constant rate or a ramp runs the default length.
	if length := o.engine.profile.Length(); o.duration == 0 && length > 0 {
		o.duration = length
	} else if o.duration == 0 && o.rows == 0 && o.input == "" {
		o.duration = DefaultLoadDuration
	}
	o.engine.stopAfter = o.duration
	return o.target.validate()
}

func (o *loadOptions) openSummary(e *env) (out *summaryOutput, err error) {
	o.engine.summary, err = openSummary(e, "load", o.engine.summaryJSON, map[string]string{
		"--input": o.input, "--report": o.engine.report, "--timeline": o.timeline, "--html": o.html})
	return o.engine.summary, err
}

func (o *loadOptions) run(ctx context.Context, e *env) error {
	tgt, err := o.target.resolve(ctx, e, "load", o.engine.profile.Max(), o.engine.timeout, o.engine.workers)
	if err != nil {
		return err
	}
	defer tgt.close()
	now := time.Now()
	cfg := batch.JobConfig{Command: "load", Rows: o.rows, Timeline: o.timeline, HTML: o.html, ProjectRows: o.project,
		Files: reports.Plan{Report: o.engine.reportPath("load", now), NoFailed: true, Holder: "msgread load"}, Thresholds: o.engine.thresholds.get(true)}
	if o.input != "" {
		if cfg.Input, err = openInput(ctx, e, o.input); err != nil {
			return err
		}
		defer cfg.Input.Close()
		cfg.Rows = cfg.Input.Rows()
	} else {
		if o.rows == 0 {
			cfg.Rows = -1
		}
		if cfg.Source, err = batch.NewSynthetic(batch.GenConfig{Rows: o.rows, Users: o.population, Seed: o.target.mock.seed, InvalidRate: o.invalidRate}); err != nil {
			return usageErrorOf("", err)
		}
	}
	job, err := o.engine.open(ctx, e, cfg, tgt, o.target)
	if err != nil {
		return err
	}
	stopMetrics, err := o.engine.startMetrics(e, "load", job.Runner(), cfg.Rows)
	if err != nil {
		job.Abandon()
		return err
	}
	defer stopMetrics()
	length := fmt.Sprintf("for %v", o.duration)
	if o.duration == 0 {
		length = rowsText(cfg.Rows)
	}
	fmt.Fprintf(e.stderr, "msgread load: %s; %s, %s; report %s\n", tgt.banner, o.engine.profile, length, safetext.Quote(job.Files().ReportPath))
	end := o.engine.drive(ctx, e, job, cfg.Rows)
	printEnding(e, end, false)
	return finish(e, o.engine.summary, end)
}
