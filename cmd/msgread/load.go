package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports"
)

// DefaultLoadDuration is how long "msgread load" runs without --duration or
// --rows.
const DefaultLoadDuration = 60 * time.Second

// DefaultProjectRows is the migration size the projection is made for.
const DefaultProjectRows = 10_000_000

func runLoad(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "load", "", `
A capacity test: sends synthetic rows (or --input FILE) through the same runner as
"msgread run", against the bundled mock with one of its scenarios (or --endpoint),
at a rate that may change over the run, and reports how it went.

Rate: --rate 200 (constant), --rate 100,200,300 --step 30s (steps), or
--rate 50:300 (a linear ramp over --duration). Length: --duration or --rows.

It measures latency from each call's intended send time as well as from its
actual send (wrk2's correction for coordinated omission: a call that waited for a
free worker counts its wait), and counts the calls sent more than 10 ms late.

Writes: the report (--report), a per-second timeline CSV (--timeline), an HTML
report with charts that opens in a browser with no server (--html), the summary
(stderr, --summary-json), and a projection: how long --project rows would take.

Thresholds (--max-p99, --min-rate, --max-failure-rate, --max-gave-up): on any
breach the run finishes, names it and exits 4. Exits 3 if a fatal answer stops it.

Examples:
  msgread load --scenario flaky --rate 200 --duration 60s
  msgread load --scenario testdata/scenarios/regress.json --seed 7 --duration 20s \
    --max-p99 1s --min-rate 0.98 --max-failure-rate 0.001 --max-gave-up 0`)
	var (
		app                    appFlags
		mf                     mockFlags
		th                     thresholdFlags
		endpoint, input, rateS string
		step, duration         time.Duration
		rows                   int64
		workers, retries       int
		timeout                time.Duration
		population             int
		invalidRate            float64
		reportPath, timeline   string
		htmlPath, summaryJSON  string
		project                int64
		progress               string
	)
	app.register(fs)
	mf.register(fs)
	th.register(fs, true)
	fs.StringVar(&endpoint, "endpoint", "", "load an external target at this base `URL` (with --sdkappid, --admin and the key) instead of the in-process mock")
	fs.StringVar(&input, "input", "", "send the rows of this CSV `file` instead of synthetic ones")
	fs.StringVar(&rateS, "rate", "200", "calls/s: 200, steps 100,200,300 (with --step) or a ramp 50:300 (over --duration)")
	fs.DurationVar(&step, "step", 30*time.Second, "length of each step of a stepped --rate")
	fs.DurationVar(&duration, "duration", 0, "how long to send (default 60s unless --rows is given)")
	fs.Int64Var(&rows, "rows", 0, "how many synthetic rows to send (instead of --duration)")
	fs.IntVar(&workers, "workers", batch.DefaultWorkers, "calls in flight at most")
	fs.IntVar(&retries, "retries", batch.DefaultRetries, "retries of a transient failure (0: none)")
	fs.DurationVar(&timeout, "timeout", batch.DefaultTimeout, "timeout of one call")
	fs.IntVar(&population, "population", batch.DefaultGenUsers, "synthetic rows: size of the user population")
	fs.Float64Var(&invalidRate, "invalid-rate", 0, "synthetic rows: `fraction` made invalid on purpose")
	fs.StringVar(&reportPath, "report", "", "report `path` (default out/load-TIME.csv)")
	fs.StringVar(&timeline, "timeline", "", "timeline CSV `path` (default: the report's name with .timeline.csv)")
	fs.StringVar(&htmlPath, "html", "", "HTML report `path` (default: the report's name with .html)")
	fs.StringVar(&summaryJSON, "summary-json", "", "also write the summary, with the breached thresholds, as JSON to this `path`")
	fs.Int64Var(&project, "project", DefaultProjectRows, "project the run's pace onto this many rows")
	fs.StringVar(&progress, "progress", "auto", "progress display: auto, bar, log or none")
	rest, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("load takes no arguments; use --input FILE for a file")
	}
	if duration == 0 && rows == 0 && input == "" {
		duration = DefaultLoadDuration
	}
	profile, err := batch.ParseProfile(rateS, step, duration)
	if err != nil {
		return usageError("--rate: " + err.Error())
	}
	switch {
	case duration < 0 || rows < 0 || workers <= 0 || retries < 0 || timeout <= 0 || project <= 0:
		return usageError("--duration, --rows, --retries must not be negative; --workers, --timeout and --project must be positive")
	case reportPath == "-" || timeline == "-" || htmlPath == "-":
		return usageError("--report, --timeline and --html name files, not standard output (--summary-json - writes the summary there)")
	case input != "" && rows > 0:
		return usageError("--rows is for synthetic rows; an --input file is sent whole (or for --duration)")
	}
	if err := checkProgress(progress); err != nil {
		return err
	}

	// The target: the in-process mock with the scenario, or an endpoint.
	o := runOptions{app: app, mock: endpoint == "", mockFlags: mf, endpoint: endpoint, rate: profile.Max()}
	tgt, err := o.resolveTarget(e)
	if err != nil {
		return err
	}
	ceiling := 0.0
	if tgt.mock != nil {
		defer tgt.mock.Close()
		ceiling = float64(max(tgt.mock.Config().Ceiling, 0))
	}
	client, err := newClient(tgt, app.ttl, timeout, workers)
	if err != nil {
		return err
	}

	// The rows: a file, or a generator streaming synthetic ones.
	var in *batch.Input
	var fileIn *inputFile
	total := rows
	if input != "" {
		if fileIn, err = openInput(e, input); err != nil {
			return err
		}
		defer fileIn.close()
		in, total = fileIn.Input, fileIn.rowsEstimate()
	} else {
		if rows == 0 {
			total = -1
		}
		pr, pw := io.Pipe()
		genDone := make(chan struct{})
		go func() {
			defer close(genDone)
			pw.CloseWithError(batch.Generate(context.Background(), pw, batch.GenConfig{Rows: rows, Users: population, Seed: mf.seed, InvalidRate: invalidRate}))
		}()
		defer func() {
			pr.CloseWithError(io.ErrClosedPipe) // ends the generator's writes
			<-genDone
		}()
		if in, err = batch.NewInput(pr); err != nil {
			return err
		}
	}

	runner, err := batch.New(batch.Config{Caller: client, Profile: profile, StopAfter: duration, Workers: workers,
		Retries: retriesConfig(retries), MaxFailureRate: 1}) // thresholds judge failures at the end
	if err != nil {
		return usageError(err.Error())
	}
	stamp := time.Now().Format(stampLayout)
	if reportPath == "" {
		reportPath = filepath.Join("out", "load-"+stamp+".csv")
	}
	base := strings.TrimSuffix(reportPath, ".csv")
	if timeline == "" {
		timeline = base + ".timeline.csv"
	}
	if htmlPath == "" {
		htmlPath = base + ".html"
	}
	files, err := openFiles(reports.Plan{Report: reportPath, NoFailed: true, Holder: "msgread load"})
	if err != nil {
		return err
	}
	started := false
	defer func() {
		if !started {
			files.Abandon()
		}
	}()
	timelineOut, err := createOutput(e, files, timeline, "--timeline")
	if err != nil {
		return err
	}
	htmlOut, err := createOutput(e, files, htmlPath, "--html")
	if err != nil {
		return err
	}
	summaryOut, err := createOutput(e, files, summaryJSON, "--summary-json")
	if err != nil {
		return err
	}
	started = true
	length := fmt.Sprintf("for %v", duration)
	if duration == 0 {
		length = rowsText(total)
	}
	fmt.Fprintf(e.stderr, "msgread load: %s; %s, %s; report %s\n", tgt.banner, profile, length, reportPath)

	sum, runErr := drive(ctx, e, "load", runner, in, files, total, progress)
	closeErr := files.Close()
	accountErr := sum.Account(files.Counts())
	seconds := runner.Timeline()
	proj := reports.Project(sum, project)
	breaches := th.get(true).Check(sum)
	sum.Breaches = breaches

	sum.WriteText(e.stderr)
	fmt.Fprintf(e.stderr, "  latency from the intended send: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; %d calls sent late\n",
		sum.LatencyIntended.P50, sum.LatencyIntended.P90, sum.LatencyIntended.P99, sum.LatencyIntended.Max, sum.Late)
	fmt.Fprintf(e.stderr, "  projection: %d rows would take %.1f hours under this scenario\n", proj.Rows, proj.Hours)
	printBreaches(e, breaches)

	if err := fill(timelineOut, func(w io.Writer) error { return reports.WriteTimeline(w, seconds) }); err != nil {
		fmt.Fprintf(e.stderr, "msgread load: writing the timeline: %v\n", err)
	}
	page := reports.Page{Title: "msgread load report", Scenario: mf.scenario, Seed: mf.seed, Ceiling: ceiling,
		Summary: sum, Timeline: seconds, Projection: proj, Breaches: breaches, Generated: time.Now()}
	if tgt.mock == nil {
		page.Scenario = "external target " + endpoint
	}
	if err := fill(htmlOut, func(w io.Writer) error { return reports.WriteHTML(w, page) }); err != nil {
		fmt.Fprintf(e.stderr, "msgread load: writing the HTML report: %v\n", err)
	}
	fmt.Fprintf(e.stderr, "  report: %s\n  timeline: %s\n  HTML report: %s\n", reportPath, timeline, htmlPath)
	writeSummary(e, "load", summaryOut, sum)
	if accountErr != nil {
		return &exitError{code: exitAborted, err: accountErr}
	}
	return runExit(sum, runErr, closeErr, breaches)
}

// fill writes an output made before the run with write, and closes it.
func fill(out io.WriteCloser, write func(io.Writer) error) error {
	err := write(out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
