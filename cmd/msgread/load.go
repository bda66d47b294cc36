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

// loadOptions are the settings of "msgread load".
type loadOptions struct {
	engine         engineFlags
	target         targetFlags
	rows           loadRows
	timeline, html string
}

func (o *loadOptions) register(fs *flag.FlagSet) {
	o.target.register(fs, false)
	o.engine.register(fs, "out/load-TIME.csv")
	o.rows.register(fs)
	fs.StringVar(&o.timeline, "timeline", "", "timeline CSV `path` (default: the report's name with .timeline.csv)")
	fs.StringVar(&o.html, "html", "", "HTML report `path` (default: the report's name with .html)")
}

func (o *loadOptions) validate(args []string) error {
	switch {
	case len(args) > 0:
		return argsError("load takes no arguments; use --input FILE for a file")
	case o.timeline == "-" || o.html == "-":
		return usageError("--timeline and --html name files, not standard output (--summary-json - writes the summary there)")
	}
	o.target.inProcess = o.target.endpoint == ""
	if err := o.rows.check(); err != nil {
		return err
	}
	// A ramp spans the run: --duration, or the default length.
	if err := o.engine.validate(batch.LoadLength(nil, o.rows.duration, o.rows.bounded())); err != nil {
		return err
	}
	o.rows.duration = batch.LoadLength(o.engine.profile, o.rows.duration, o.rows.bounded())
	o.engine.stopAfter = o.rows.duration
	return o.target.validate()
}

func (o *loadOptions) openSummary(e *env) (out *summaryOutput, err error) {
	o.engine.summary, err = openSummary(e, "load", o.engine.summaryJSON, map[string]string{
		"--input": o.rows.input, "--report": o.engine.report, "--timeline": o.timeline, "--html": o.html, "--baseline": o.engine.thresholds.baseline.path})
	return o.engine.summary, err
}

func (o *loadOptions) run(ctx context.Context, e *env) error {
	tgt, err := o.target.resolve(ctx, e, "load", o.engine.profile.Max(), o.engine.timeout, o.engine.workers)
	if err != nil {
		return err
	}
	defer tgt.close()
	cfg := batch.JobConfig{Command: "load", Timeline: o.timeline, HTML: o.html, ProjectRows: o.rows.project, Thresholds: o.engine.thresholds.get(true),
		Files: reports.Plan{Report: o.engine.reportPath("load", time.Now()), NoFailed: true, Holder: "msgread load"}}
	closeInput, err := o.rows.source(ctx, e, &cfg, o.target.mock.seed)
	if err != nil {
		return err
	}
	defer closeInput()
	job, stopMetrics, err := o.engine.open(ctx, e, cfg, tgt, o.target)
	if err != nil {
		return err
	}
	defer stopMetrics()
	fmt.Fprintf(e.stderr, "msgread load: %s; %s, %s; report %s\n", tgt.banner, o.engine.profile, o.rows.length(cfg.Rows), safetext.Quote(job.Files().ReportPath))
	end := o.engine.drive(ctx, e, job, cfg.Rows)
	o.engine.conclude(e, end, false)
	return finish(e, o.engine.summary, end)
}
