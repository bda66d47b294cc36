package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// reportOptions are the settings of "msgread report".
type reportOptions struct {
	summaryJSON string
	html        string
	reports     []string
	summary     *summaryOutput
	baseline    baselineFlags
}

func (o *reportOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.summaryJSON, "summary-json", "", "also write the rebuilt summary as JSON to this `path` (- for standard output; never overwritten)")
	fs.StringVar(&o.html, "html", "", "write the rebuilt HTML report, charts of every run, to this `path` (never overwritten)")
	o.baseline.register(fs)
}

func (o *reportOptions) validate(args []string) error {
	if len(args) == 0 {
		return usageError("report takes one or more REPORT.csv: the newest report of a resume chain, or the reports of a migration's shards")
	}
	o.reports = args
	if err := o.baseline.validate(); err != nil {
		return err
	}
	if o.html == "-" {
		return usageError("--html names a file, not standard output (--summary-json - writes the summary there)")
	}
	if o.html != "" {
		if err := reports.CheckName(o.html); err != nil {
			return stopped(exitUsage, stopOutput, fmt.Errorf("--html: %w", err))
		}
	}
	return nil
}

func (o *reportOptions) openSummary(e *env) (out *summaryOutput, err error) {
	others := map[string]string{"--html": o.html, "--baseline": o.baseline.path}
	for _, r := range o.reports {
		others["the report "+r] = r
	}
	o.summary, err = openSummary(e, "report", o.summaryJSON, others)
	return o.summary, err
}

func (o *reportOptions) run(ctx context.Context, e *env) error {
	// The baseline is read first: a comparison asked for and impossible
	// is refused before the reports are read.
	check, err := o.baseline.load(ctx, e, "report", nil, nil)
	if err != nil {
		return err
	}
	html, err := o.createHTML()
	if err != nil {
		return err
	}
	rb, err := batch.Rebuild(ctx, o.reports)
	if err != nil {
		if html != nil {
			html.Close()
			os.Remove(o.html) // made by this command a moment ago, empty
		}
		return rebuildError(ctx, err)
	}
	for _, n := range rb.Notes {
		fmt.Fprintf(e.stderr, "msgread report: note: %s\n", safetext.Clean(n))
	}
	if check != nil {
		rb.Summary.Thresholds = digest.Thresholds{Baseline: check}.Check(rb.Summary)
		rb.Page.Summary = rb.Summary
	}
	text := e.stdout
	if o.summaryJSON == "-" {
		text = e.stderr // standard output is the JSON's
	}
	writeRuns(text, rb)
	digest.WriteHeadline(text, digest.NewHeadline(rb.Page))
	rb.Summary.WriteText(text)
	writeVerdicts(text, rb.Summary.Thresholds)
	var werr error
	if html != nil {
		if werr = fill(html, func(w io.Writer) error { return digest.WriteHTML(w, rb.Page) }); werr != nil {
			werr = stopped(exitAborted, stopOutput, fmt.Errorf("writing the HTML report %s: %w", o.html, werr))
		} else {
			fmt.Fprintf(e.stderr, "  HTML report: %s\n", safetext.Quote(o.html))
		}
	}
	err = errors.Join(werr, regressed(rb.Summary), rowsNotOK(rb.Summary))
	info := rb.Info
	info.Version, info.ExitCode = versionString(), exitCode(err)
	switch {
	case werr != nil:
		info.Stop = earlyStop(werr)
	case rb.Summary.Stopped != "":
		info.Stop = &digest.Stop{Code: digest.StopNotEnded, Message: rb.Summary.Stopped}
	}
	if serr := o.summary.write(e, digest.NewDocument(rb.Summary, info)); serr != nil && err == nil {
		return &exitError{code: exitAborted, stop: stopOutput, err: fmt.Errorf("writing --summary-json: %w", serr)}
	}
	return err
}

// createHTML makes the --html file before anything is read, under the
// rule of every output: a new file, never one that exists. Nil when none
// was asked for.
func (o *reportOptions) createHTML() (*os.File, error) {
	if o.html == "" {
		return nil, nil
	}
	for _, r := range o.reports {
		if samePath(r, o.html) {
			return nil, stopped(exitUsage, stopOutput, fmt.Errorf("--html: %s %v: as the HTML report and as a report to read", o.html, reports.ErrSamePath))
		}
	}
	f, err := reports.CreateNew(o.html)
	if err != nil {
		return nil, stopped(exitUsage, stopOutput, fmt.Errorf("--html: %w", err))
	}
	return f, nil
}

// rebuildError is the exit of a rebuild that failed: an interrupt, or a
// file that cannot be read or is not a report (exit 2).
func rebuildError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return stopped(exitInterrupted, stopInterrupt, errors.New("interrupted while reading the reports"))
	}
	if errors.Is(err, reports.ErrNotReport) {
		err = fmt.Errorf("%w (msgread report reads the reports msgread run and load write)", err)
	}
	return stopped(exitUsage, stopInput, err)
}

// regressed is exit 4 when the comparison with --baseline found the
// migration worse than the baseline's.
func regressed(s digest.Summary) error {
	if breaches := describeBreaches(digest.Breaches(s.Thresholds)); len(breaches) > 0 {
		return &exitError{code: exitThreshold, err: fmt.Errorf("%d threshold(s) not met: %s", len(breaches), strings.Join(breaches, "; "))}
	}
	return nil
}

// rowsNotOK is exit 1 when some lines failed, gave up or were invalid, as
// a run's exit would be; nil when every line is ok.
func rowsNotOK(s digest.Summary) error {
	if n := reports.NotOK(s.ByStatus); n > 0 {
		return &exitError{code: exitRowsFailed, err: fmt.Errorf("%d of %d lines did not end ok (failed, gave up or invalid)", n, s.Rows)}
	}
	return nil
}

// writeRuns lists the runs the rebuilt summary covers.
func writeRuns(w io.Writer, rb *batch.Rebuilt) {
	fmt.Fprintf(w, "msgread report: %d runs of %d reports in %d chains\n", len(rb.Runs), chainReports(rb), len(rb.Chains))
	for i, r := range rb.Runs {
		if r.Missing != "" {
			fmt.Fprintf(w, "  run %d: %s: %s: its seconds are not on the charts\n", i+1, safetext.Quote(r.Report), safetext.Clean(r.Missing))
			continue
		}
		fmt.Fprintf(w, "  run %d: %s: %d s from %s to %s (%s)\n", i+1, safetext.Quote(r.Report), r.Seconds,
			r.StartedAt.Format("2006-01-02 15:04:05Z"), r.EndedAt.Format("2006-01-02 15:04:05Z"), safetext.Quote(r.Timeline))
	}
}

func chainReports(rb *batch.Rebuilt) int {
	n := 0
	for _, c := range rb.Chains {
		n += len(c)
	}
	return n
}

// reportAbout is the help of "msgread report"; its exit codes are its own.
const reportAbout = `
Rebuilds the summary of a migration from its reports and their timelines, after
the fact: the text summary on standard output, --summary-json and --html as a
run writes them. Nothing is sent.

Give the newest report of a resume chain: the older reports it was resumed from
are found through the notes in each report's send log (REPORT.sent), or beside
it; each run's per-second timeline through the same notes, or by its default
name (REPORT.timeline.csv, REPORT.2.timeline.csv for a run appending to it).
Give several reports (the shards of one migration) and they are merged. Each
input line of a chain counts once, with its last status: a line that failed or
was lost to a crash and was sent again counts once, as it finally ended; a line
skipped as done counts as the ok of the run that did it. The charts lay every
second of every run on one clock; the time between runs (a crash, a pause) is
shaded, at most six hours of it drawn.

A run killed with kill -9 leaves its report and its timeline up to about the
last second (both are synced every second): this rebuilds what its summary JSON
and HTML would have said. A run's timeline that is missing or damaged is a note
(its rows are counted, its chart is missing), not an error.

What a rebuild cannot know: the input's own size (lines never reported), the
latency from each call's intended send, and calls before each row's last (its
latency is its last call's); the thresholds of the runs.

--baseline OLD.json compares the rebuilt migration with the summary JSON of an
earlier msgread report (--summary-json): its p99 (each row's last call), send
rate and failed share, as --max-regression says (exit 4 when worse).

Exit codes: 0 every line ok (or skipped as done); 1 some lines failed, gave up or
were invalid; 2 a flag, a file that is not a msgread report, an unusable
--baseline, or an output that exists (never overwritten); 3 an output that could
not be written; 4 worse than --baseline; 130 interrupted.

Examples:
  msgread report out/migration.csv
  msgread report --html out/whole.html --summary-json out/whole.json out/migration-3.csv
  msgread report --summary-json - out/shard-*.csv`
