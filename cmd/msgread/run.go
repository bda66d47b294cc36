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

// runAbout is the help of "msgread run"; its exit codes come from exitCodes.
var runAbout = `
Marks the conversations of INPUT.csv read (INPUT may be - for standard input).
INPUT has a header row with report_account and peer_account (or Report_Account,
Peer_Account) and optionally msg_read_time (MsgReadTime): Unix seconds or RFC 3339;
empty means now. One line is one row. Every row ends in the report (--report)
exactly once, as ok, failed, gave_up or invalid; the rows to try again also go to
--failed, in the input's format. A file is read up to the size it had when the
run opened it: rows appended during the run are not read (a note says the input
grew), and a --resume of the report sends them. A file that ends before that
size (cut or replaced during the run), or that no longer holds what was just
read (rewritten in place), stops the run with an input error: nothing of the new
content is sent. Do not start a run on a file still being written (a last line
without a line end is read as it is then), and do not change the input during a
run.

Target: --mock runs the bundled mock in-process (no account needed); otherwise
--region or --endpoint, with --sdkappid, --admin and the secret key from
MSGREAD_SECRET_KEY or --secret-key-file.

Every call, retries included, is paced by one dispatcher at --rate calls/s.
Transient answers are retried with backoff; a fatal one (wrong key, region or
admin) stops the run at once with exit 3.

A crashed or interrupted run continues with --resume OLD_REPORT: lines ok in it
are not sent again (each is checked against the input first, its pair and its
msg_read_time); everything else is read again. With --report OLD the new rows
are appended to it; a new --report is made holding the old done lines, as
skipped, before the first call: whenever a run dies, its report lists every line
done so far, and the next resume names it. REPORT.sent, beside each report, logs
every line before its first call, so that a resume counts exactly the rows it
sends again.

Thresholds for CI (--max-p99, --min-rate, --max-failed, --max-gave-up) are
checked at the end: the run finishes, names each breached one and exits 4.

A closed terminal sends SIGHUP: run a long migration under nohup, systemd-run
or tmux (see docs/operating.md).

` + exitCodesHelp() + `
Examples:
  msgread run --mock testdata/sample.csv
  msgread run --mock --resume out/report-20260101-120000.csv testdata/sample.csv
  MSGREAD_SECRET_KEY=... msgread run --region singapore --sdkappid 20000001 --admin ops rows.csv`

// runOptions are the settings of "msgread run".
type runOptions struct {
	engine   engineFlags
	target   targetFlags
	failed   string
	resume   string
	timeline string
	html     string
	input    string // set by validate
}

func (o *runOptions) register(fs *flag.FlagSet) {
	o.target.register(fs, true)
	fs.BoolVar(&o.target.inProcess, "mock", false, "run against the bundled mock, started in-process with generated credentials")
	o.engine.register(fs, "out/report-TIME.csv")
	fs.StringVar(&o.failed, "failed", "", "failed-rows `path`, in the input's format (default: the report's name with .failed.csv)")
	fs.StringVar(&o.timeline, "timeline", "", "per-second timeline CSV `path` (default: the report's name with .timeline.csv)")
	fs.StringVar(&o.html, "html", "", "HTML report `path`, charts of the run (default: the report's name with .html)")
	fs.StringVar(&o.resume, "resume", "", "continue the run of this old `report`: its ok lines are not sent again\n(--report the same path appends to it; another path gets the old lines as skipped)")
}

func (o *runOptions) validate(args []string) error {
	if len(args) != 1 {
		return usageError("run takes exactly one INPUT.csv (or - for standard input)")
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
		"the input": o.input, "--report": o.engine.report, "--failed": o.failed, "--resume": o.resume, "--timeline": o.timeline, "--html": o.html})
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
	job, err := o.engine.open(ctx, e, batch.JobConfig{Command: "run", Input: in, Timeline: o.timeline, HTML: o.html,
		Files: reports.Plan{Report: o.engine.reportPath("report", now), Failed: o.failed, Resume: o.resume, Holder: "msgread run", Now: now,
			SendLog: true, InputHeader: in.HeaderLine()},
		Thresholds: o.engine.thresholds.get(false)}, tgt, o.target)
	if err != nil {
		return err
	}
	stopMetrics, err := o.engine.startMetrics(e, "run", job.Runner(), in.Rows())
	if err != nil {
		job.Abandon()
		return err
	}
	defer stopMetrics()
	fmt.Fprintf(e.stderr, "msgread run: %s; %s at %s; report %s\n", tgt.banner, rowsText(in.Rows()), o.engine.profile, safetext.Quote(job.Files().ReportPath))
	printResume(e, o.resume, job.Files())
	end := o.engine.drive(ctx, e, job, in.Rows())
	printEnding(e, end, true)
	return finish(e, o.engine.summary, end)
}

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
