package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
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
	ceiling := 0.0
	if tgt.mock != nil {
		defer tgt.mock.Close()
		ceiling = tgt.ceiling()
	}

	// The rows: a file, or synthetic ones.
	var src batch.Source
	var fileIn *inputFile
	total := o.rows
	if o.input != "" {
		if fileIn, err = openInput(ctx, e, o.input); err != nil {
			return err
		}
		defer fileIn.close()
		src, total = fileIn.Input, fileIn.rowsEstimate()
	} else {
		if o.rows == 0 {
			total = -1
		}
		if src, err = batch.NewSynthetic(batch.GenConfig{Rows: o.rows, Users: o.population, Seed: o.target.mock.seed, InvalidRate: o.invalidRate}); err != nil {
			return usageErrorOf("", err)
		}
	}

	out, err := o.openOutputs(ctx, e)
	if err != nil {
		return err
	}
	started := false
	defer func() {
		if !started {
			out.files.Abandon()
		}
	}()
	files := out.files
	cfg := o.engine.config(tgt.client)
	cfg.StopAfter = o.duration
	runner, err := batch.New(cfg)
	if err != nil {
		return usageErrorOf("", err)
	}
	stopMetrics, err := o.engine.startMetrics(e, "load", runner, total)
	if err != nil {
		return err
	}
	defer stopMetrics()
	started = true

	length := fmt.Sprintf("for %v", o.duration)
	if o.duration == 0 {
		length = rowsText(total)
	}
	fmt.Fprintf(e.stderr, "msgread load: %s; %s, %s; report %s\n", tgt.banner, o.engine.profile, length, safetext.Quote(files.ReportPath))

	begun := time.Now()
	sum, runErr := drive(ctx, e, "load", runner, src, files, total, &o.engine)
	x := ending{runErr: runErr, closeErr: files.Close()}
	x.accountErr = account(e, "load", &sum, fileIn, files)
	x.mark(&sum)
	seconds := runner.Timeline()
	ceilings := tgt.quota(&sum, seconds)
	proj := reports.Project(sum, o.project)

	sum.WriteText(e.stderr)
	fmt.Fprintf(e.stderr, "  latency from the intended send: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; %d calls sent late\n",
		sum.LatencyIntended.P50, sum.LatencyIntended.P90, sum.LatencyIntended.P99, sum.LatencyIntended.Max, sum.Late)
	fmt.Fprintf(e.stderr, "  projection: %d rows would take %.1f hours under this scenario\n", proj.Rows, proj.Hours)
	judge(e, &sum, o.engine.thresholds.get(true))

	page := reports.Page{Title: "msgread load report", Scenario: o.target.mock.scenario, Seed: o.target.mock.seed, Ceiling: ceiling,
		Ceilings: ceilings, Summary: sum, Timeline: seconds, Bounds: o.engine.profile.Bounds(), Projection: proj, Generated: time.Now()}
	if tgt.mock == nil {
		page.Scenario = "external target " + chatapi.RedactEndpoint(o.target.endpoint)
	}
	fmt.Fprintf(e.stderr, "  report: %s\n", safetext.Quote(files.ReportPath))
	x.outputErr = out.write(e, page)
	_, _, _, ended := src.Counts()
	info := reports.RunInfo{Command: "load", StartedAt: begun, FinishedAt: time.Now(), TotalRows: total, InputEnded: ended,
		ServerCeiling: ceiling, Projection: &proj, Mock: tgt.info}
	return finish(e, o.engine.summary, sum, x, info)
}

// loadOutputs are the files a load test writes, all made before it starts.
type loadOutputs struct {
	files                  *reports.Files
	timelinePath, htmlPath string
	timeline, html         io.WriteCloser
}

// openOutputs makes the report, timeline, HTML and summary files, named
// after the report unless given.
func (o *loadOptions) openOutputs(ctx context.Context, e *env) (out loadOutputs, err error) {
	reportPath := o.engine.report
	if reportPath == "" {
		reportPath = filepath.Join("out", "load-"+time.Now().Format(stampLayout)+".csv")
	}
	if out.files, err = openFiles(ctx, reports.Plan{Report: reportPath, NoFailed: true, Holder: "msgread load"}); err != nil {
		return out, err
	}
	return out, out.create(e, o.timeline, o.html)
}

// create makes the timeline and HTML files beside the report (named after
// it unless given); on failure it abandons every file.
func (out *loadOutputs) create(e *env, timeline, html string) (err error) {
	defer func() {
		if err != nil {
			out.files.Abandon()
		}
	}()
	base := strings.TrimSuffix(out.files.ReportPath, ".csv")
	if out.files.Appending {
		// Each run appending to a report gets charts of its own: the
		// first free of REPORT.2.html, REPORT.3.html, ...
		for n := 2; ; n++ {
			b := base + "." + strconv.Itoa(n)
			if !exists(b+".timeline.csv") && !exists(b+".html") {
				base = b
				break
			}
		}
	}
	out.timelinePath, out.htmlPath = timeline, html
	if out.timelinePath == "" {
		out.timelinePath = base + ".timeline.csv"
	}
	if out.htmlPath == "" {
		out.htmlPath = base + ".html"
	}
	if out.timeline, err = createOutput(e, out.files, out.timelinePath, "--timeline"); err != nil {
		return err
	}
	out.html, err = createOutput(e, out.files, out.htmlPath, "--html")
	return err
}

// write fills the timeline and the HTML report, and names the files. Its
// error says which could not be written.
func (out loadOutputs) write(e *env, page reports.Page) error {
	page.Explain = explainCode
	var errs []error
	if err := fill(out.timeline, func(w io.Writer) error { return reports.WriteTimeline(w, page.Timeline) }); err != nil {
		errs = append(errs, fmt.Errorf("writing the timeline %s: %w", out.timelinePath, err))
	}
	if err := fill(out.html, func(w io.Writer) error { return reports.WriteHTML(w, page) }); err != nil {
		errs = append(errs, fmt.Errorf("writing the HTML report %s: %w", out.htmlPath, err))
	}
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "msgread: %s\n", safetext.Clean(err.Error()))
	}
	fmt.Fprintf(e.stderr, "  timeline: %s\n  HTML report: %s\n", safetext.Quote(out.timelinePath), safetext.Quote(out.htmlPath))
	return errors.Join(errs...)
}

// explainCode says what an API error code means, for the HTML report.
func explainCode(code int) (meaning, class string) {
	c := chatapi.Lookup(code)
	return c.Info, c.Class.String()
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
