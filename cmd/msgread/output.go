package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// What run and load print on stderr besides their progress: the resume
// they continue, and the summary at the end.

// printResume says what a resume of the report at path skips and sends
// again; nothing when the job resumes no report.
func printResume(e *env, path string, files *reports.Files) {
	res := files.Resume
	if res == nil {
		return
	}
	torn := ""
	if res.Torn {
		torn = "; its torn last line is done again"
	}
	mode := "the new report was made holding its done lines, as skipped"
	if files.Appending {
		mode = "appending to it"
	}
	if !res.HasSendLog() {
		torn += "; it has no send log (.sent) beside it: an older msgread's report, or one moved or copied without it, whose chain cannot be checked (resume the newest report of a chain: lines done in newer ones would be sent again); re-sent rows are counted up to its highest line"
	}
	fmt.Fprintf(e.stderr, "msgread run: resuming %s (%s): %d lines done are skipped; %d failed or gave up and %d invalid are read again%s\n",
		safetext.Quote(path), mode, res.Done(), res.Redo, res.Invalid, torn)
}

// printEnding prints the job's summary and where its files are; failed
// says the job wrote failed rows (run's), and may be resumed.
func printEnding(e *env, end *batch.Ending, failed bool) {
	sum := end.Summary
	digest.WriteHeadline(e.stderr, end.Headline)
	sum.WriteText(e.stderr)
	if end.Projection != nil { // a load test's (its projection is in the headline)
		fmt.Fprintf(e.stderr, "  latency from the intended send: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; %d calls sent late\n",
			sum.LatencyIntended.P50, sum.LatencyIntended.P90, sum.LatencyIntended.P99, sum.LatencyIntended.Max, sum.Late)
	}
	fmt.Fprintf(e.stderr, "  report: %s\n", safetext.Quote(end.Report))
	if failed {
		fmt.Fprintf(e.stderr, "  failed rows: %s\n", safetext.Quote(end.Failed))
		var mismatch *reports.MismatchError
		if sum.NotFinished > 0 && !errors.As(end.Err, &mismatch) { // a resume would stop on the same line
			fmt.Fprintf(e.stderr, "  %d rows not finished: --resume %s sends them\n", sum.NotFinished, safetext.Quote(end.Report))
		}
	}
	writeVerdicts(e.stderr, sum.Thresholds)
	if end.ChainNotCharted {
		fmt.Fprintf(e.stderr, "  msgread report %s --html FILE charts the whole chain\n", safetext.Quote(end.Report))
	}
	if end.ChartsErr != nil {
		for _, line := range strings.Split(end.ChartsErr.Error(), "\n") { // errors.Join's, one a line
			fmt.Fprintf(e.stderr, "msgread: %s\n", safetext.Clean(line))
		}
	}
	fmt.Fprintf(e.stderr, "  timeline: %s\n  HTML report: %s\n", safetext.Quote(end.Timeline), safetext.Quote(end.HTML))
}

// writeVerdicts lists the comparisons with a baseline that held, then each
// threshold not met.
func writeVerdicts(w io.Writer, vs []digest.Verdict) {
	for _, v := range vs {
		if v.Baseline != nil && v.OK {
			fmt.Fprintf(w, "  against the baseline: %s\n", v.Text)
		}
	}
	for _, b := range describeBreaches(digest.Breaches(vs)) {
		fmt.Fprintf(w, "threshold not met: %s\n", b)
	}
}

// rowsText words a run's length in rows; total is negative for a stream.
func rowsText(total int64) string {
	if total < 0 {
		return "rows from a stream"
	}
	return fmt.Sprintf("about %d rows", total)
}
