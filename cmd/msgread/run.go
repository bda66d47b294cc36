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

// runOptions are the settings of "msgread run".
type runOptions struct {
	engine   engineFlags
	target   targetFlags
	failed   string
	resume   string
	timeline string
	html     string
	ownHTML  bool
	input    string // set by validate
}

func (o *runOptions) register(fs *flag.FlagSet) {
	o.target.register(fs, true)
	fs.BoolVar(&o.target.inProcess, "mock", false, "run against the bundled mock, started in-process with generated credentials")
	o.engine.register(fs, "out/report-TIME.csv")
	fs.StringVar(&o.failed, "failed", "", "failed-rows `path`, in the input's format (default: the report's name with .failed.csv)")
	fs.StringVar(&o.timeline, "timeline", "", "per-second timeline CSV `path` (default: the report's name with .timeline.csv)")
	fs.StringVar(&o.html, "html", "", "HTML report `path`, charts of the run (default: the report's name with .html; REPORT.2.html ... for a run\nappending to it); after a resume, the charts of the whole chain, every run's seconds (see msgread help report)")
	fs.BoolVar(&o.ownHTML, "html-run-only", false, "after a resume, chart this run only in the HTML report, not the whole chain")
	fs.StringVar(&o.resume, "resume", "", "continue the run of this old `report`: its ok lines are not sent again\n(--report the same path appends to it; another path gets the old lines as skipped)")
}

func (o *runOptions) validate(args []string) error {
	if len(args) != 1 {
		return argsError("run takes exactly one INPUT.csv (or - for standard input)")
	}
	o.input = args[0]
	if o.failed == "-" || o.resume == "-" || o.timeline == "-" || o.html == "-" {
		return usageError("--failed, --resume, --timeline and --html name files, not standard output (--summary-json - writes the summary there)")
	}
	if err := o.engine.validate(0); err != nil {
		return err
	}
	return o.target.validate()
}

func (o *runOptions) openSummary(e *env) (out *summaryOutput, err error) {
	o.engine.summary, err = openSummary(e, "run", o.engine.summaryJSON, map[string]string{
		"the input": o.input, "--report": o.engine.report, "--failed": o.failed, "--resume": o.resume, "--timeline": o.timeline, "--html": o.html, "--baseline": o.engine.thresholds.baseline.path})
	return o.engine.summary, err
}

func (o *runOptions) run(ctx context.Context, e *env) error {
	in, err := openInput(ctx, e, o.input)
	if err != nil {
		return err
	}
	defer in.Close()
	tgt, err := o.target.resolve(ctx, e, "run", o.engine.profile.Max(), o.engine.timeout, o.engine.workers)
	if err != nil {
		return err
	}
	defer tgt.close()
	now := time.Now()
	job, stopMetrics, err := o.engine.open(ctx, e, batch.JobConfig{Command: "run", Input: in, Timeline: o.timeline, HTML: o.html, OwnHTML: o.ownHTML,
		Files: reports.Plan{Report: o.engine.reportPath("report", now), Failed: o.failed, Resume: o.resume, Holder: "msgread run",
			SendLog: true, InputHeader: in.HeaderLine()},
		Thresholds: o.engine.thresholds.get(false)}, tgt, o.target)
	if err != nil {
		return err
	}
	defer stopMetrics()
	fmt.Fprintf(e.stderr, "msgread run: %s; %s at %s; report %s\n", tgt.banner, rowsText(in.Rows()), o.engine.profile, safetext.Quote(job.Files().ReportPath))
	printResume(e, o.resume, job.Files())
	end := o.engine.drive(ctx, e, job, in.Rows())
	o.engine.conclude(e, end, true)
	return finish(e, o.engine.summary, end)
}
