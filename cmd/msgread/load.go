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
	if err := o.checkRows(); err != nil {
		return err
	}
	// A ramp spans the run: --duration, or the default length.
	rampOver := o.duration
	if o.untimed() {
		rampOver = DefaultLoadDuration
	}
	if err := o.engine.validate(rampOver); err != nil {
		return err
	}
	// Steps and stages end the test with their end, unless --duration says
	// otherwise; a constant rate or a ramp runs the default length.
	if length := o.engine.profile.Length(); o.duration == 0 && length > 0 {
		o.duration = length
	} else if o.untimed() {
		o.duration = DefaultLoadDuration
	}
	o.engine.stopAfter = o.duration
	return o.target.validate()
}

// untimed reports whether nothing bounds the test: no --duration, --rows
// or --input.
func (o *loadOptions) untimed() bool { return o.duration == 0 && o.rows == 0 && o.input == "" }

// checkRows checks the settings of what is sent and for how long.
func (o *loadOptions) checkRows() error {
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
	return nil
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
	job, stopMetrics, err := o.engine.open(ctx, e, cfg, tgt, o.target)
	if err != nil {
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
