package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// runOptions are the flags of "msgread run".
type runOptions struct {
	app         appFlags
	mock        bool
	mockFlags   mockFlags
	endpoint    string
	region      string
	rate        float64
	workers     int
	retries     int
	timeout     time.Duration
	report      string
	failed      string
	summaryJSON string
	progress    string
	resume      string
	minRows     int
	maxFailure  float64
	thresholds  thresholdFlags
}

func runRun(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "run", "INPUT.csv", `
Marks the conversations of INPUT.csv read (INPUT may be - for standard input).
INPUT has a header row with report_account and peer_account (or Report_Account,
Peer_Account) and optionally msg_read_time (MsgReadTime): Unix seconds or RFC 3339;
empty means now. Every row ends in the report (--report) exactly once, as ok,
failed, gave_up or invalid; the rows to try again also go to --failed, in the
input's format.

Target: --mock runs the bundled mock in-process (no account needed); otherwise
--region or --endpoint, with --sdkappid, --admin and the secret key from
MSGREAD_SECRET_KEY or --secret-key-file.

Every call, retries included, takes a token from one limiter of --rate calls/s.
Transient answers are retried with backoff; a fatal one (wrong key, region or
admin) stops the run at once with exit 3.

A crashed or interrupted run continues with --resume OLD_REPORT: lines already
ok (or invalid) in it are not sent again, everything else is. With --report OLD
the new rows are appended to it; with a new --report the old lines appear there
as skipped, so the newest report of a chain lists every line.

Thresholds for CI (--max-p99, --min-rate, --max-gave-up) are checked at the end:
the run finishes, names each breached one and exits 4.

Exit: 0 all ok; 1 some rows failed, gave up or were invalid; 2 usage or input
error, nothing sent; 3 stopped by a fatal answer or the failure-rate limit; 4 a
threshold was not met; 130 interrupted (Ctrl-C drains calls in flight and
flushes the report; a second Ctrl-C stops at once).

Examples:
  msgread run --mock testdata/sample.csv
  msgread run --mock --resume out/report-20260101-120000.csv testdata/sample.csv
  MSGREAD_SECRET_KEY=... msgread run --region singapore --sdkappid 20000001 --admin ops rows.csv`)
	var o runOptions
	o.app.register(fs)
	fs.BoolVar(&o.mock, "mock", false, "run against the bundled mock, started in-process with generated credentials")
	o.mockFlags.register(fs)
	fs.StringVar(&o.endpoint, "endpoint", "", "API base `URL`, such as https://console.tim.qq.com or a mock's http://127.0.0.1:8080")
	fs.StringVar(&o.region, "region", "", "API region `name`: "+strings.Join(chatapi.RegionNames(), ", "))
	fs.Float64Var(&o.rate, "rate", batch.DefaultRate, "ceiling in `calls/s`, retries included (the API allows 200)")
	fs.IntVar(&o.workers, "workers", batch.DefaultWorkers, "calls in flight at most")
	fs.IntVar(&o.retries, "retries", batch.DefaultRetries, "retries of a transient failure before the row gives up (0: none)")
	fs.DurationVar(&o.timeout, "timeout", batch.DefaultTimeout, "timeout of one call (the service gives up after ~3s)")
	fs.StringVar(&o.report, "report", "", "report `path` (default out/report-TIME.csv; never overwritten)")
	fs.StringVar(&o.failed, "failed", "", "failed-rows `path`, in the input's format (default: the report's name with .failed.csv)")
	fs.StringVar(&o.summaryJSON, "summary-json", "", "also write the summary as JSON to this `path`")
	fs.StringVar(&o.progress, "progress", "auto", "progress display: auto (bar on a terminal, else a log line every 10s), bar, log or none")
	fs.StringVar(&o.resume, "resume", "", "continue the run of this old `report`: its ok, invalid and skipped lines are not sent again\n(--report the same path appends to it; another path gets the old lines as skipped)")
	o.thresholds.register(fs, false)
	fs.IntVar(&o.minRows, "min-rows", batch.DefaultMinRows, "rows sent before the failure-rate stop applies")
	fs.Float64Var(&o.maxFailure, "max-failure-rate", batch.DefaultMaxFailureRate, "stop (exit 3) when more than this `fraction` of the rows sent failed or gave up; 1 never stops")
	rest, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return usageError("run takes exactly one INPUT.csv (or - for standard input)")
	}
	return o.execute(ctx, e, rest[0])
}

func (o *runOptions) validate() error {
	switch {
	case o.rate <= 0:
		return usageError("--rate must be positive")
	case o.workers <= 0:
		return usageError("--workers must be positive")
	case o.retries < 0:
		return usageError("--retries must not be negative")
	case o.timeout <= 0:
		return usageError("--timeout must be positive")
	case o.minRows < 0 || o.maxFailure <= 0:
		return usageError("--min-rows must not be negative and --max-failure-rate must be positive")
	case o.report == "-" || o.failed == "-" || o.resume == "-":
		return usageError("--report, --failed and --resume name files, not standard output (--summary-json - writes the summary there)")
	case o.mock && (o.endpoint != "" || o.region != ""):
		return usageError("--mock cannot be combined with --endpoint or --region")
	case o.endpoint != "" && o.region != "":
		return usageError("give --endpoint or --region, not both")
	case !o.mock && o.endpoint == "" && o.region == "":
		return usageError("no target: give --mock for the bundled mock, or --region (" + strings.Join(chatapi.RegionNames(), ", ") + ") or --endpoint with credentials")
	}
	if err := checkProgress(o.progress); err != nil {
		return err
	}
	return nil
}

// target is what a run calls.
type target struct {
	endpoint string
	app      uint64
	admin    string
	key      chatapi.Secret
	banner   string
	mock     *mockserver.Server
}

// resolveTarget starts the in-process mock or checks the real target's
// settings and credentials.
func (o *runOptions) resolveTarget(e *env) (*target, error) {
	admin := o.app.admins.values[0]
	if o.mock {
		var raw [16]byte
		rand.Read(raw[:])
		key := chatapi.NewSecret(hex.EncodeToString(raw[:]))
		cfg, err := o.mockFlags.config(mockserver.Config{SDKAppID: o.app.sdkappid, Admins: []string{admin}, Key: key})
		if err != nil {
			return nil, err
		}
		srv, err := mockserver.New(cfg)
		if err != nil {
			return nil, usageError(err.Error())
		}
		if err := srv.Start(""); err != nil {
			return nil, err
		}
		return &target{endpoint: srv.URL(), app: cfg.SDKAppID, admin: admin, key: key, mock: srv,
			banner: fmt.Sprintf("against the bundled mock at %s (app %d, %s, generated key)", srv.URL(), cfg.SDKAppID, o.mockFlags.describe(srv.Config()))}, nil
	}
	key, given, err := loadSecretKey(e, o.app.keyFile)
	if err != nil {
		return nil, err
	}
	if !given {
		return nil, usageError("no secret key: set " + secretKeyEnv + " or --secret-key-file (it is never taken as a flag value)")
	}
	endpoint := o.endpoint
	if o.region != "" {
		if endpoint, err = chatapi.RegionEndpoint(o.region); err != nil {
			return nil, usageError(err.Error())
		}
		if o.rate > batch.DefaultRate {
			fmt.Fprintf(e.stderr, "msgread run: warning: --rate %.0f is above the API's documented ceiling of 200 calls/s; expect 60007 answers\n", o.rate)
		}
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError(fmt.Sprintf("--endpoint %q is not an http(s) URL", endpoint))
	}
	banner := fmt.Sprintf("against %s as %s of app %d", endpoint, admin, o.app.sdkappid)
	if o.region != "" {
		banner += "\nmsgread run: note: the webhook C2C.CallbackAfterMsgReport, if enabled, fires for every call: warn the owner of the app's callback endpoint"
	}
	return &target{endpoint: endpoint, app: o.app.sdkappid, admin: admin, key: key, banner: banner}, nil
}

func (o *runOptions) execute(ctx context.Context, e *env, inputPath string) error {
	if err := o.validate(); err != nil {
		return err
	}
	in, err := openInput(e, inputPath)
	if err != nil {
		return err
	}
	defer in.close()

	tgt, err := o.resolveTarget(e)
	if err != nil {
		return err
	}
	if tgt.mock != nil {
		defer tgt.mock.Close()
	}
	client, err := newClient(tgt, o.app.ttl, o.timeout, o.workers)
	if err != nil {
		return err
	}
	now := time.Now()
	reportPath := o.report
	if reportPath == "" {
		reportPath = filepath.Join("out", "report-"+now.Format(stampLayout)+".csv")
	}
	files, err := openFiles(reports.Plan{Report: reportPath, Failed: o.failed, Resume: o.resume, Holder: "msgread run", Now: now})
	if err != nil {
		return err
	}
	started := false
	defer func() {
		if !started {
			files.Abandon()
		}
	}()
	summaryOut, err := createOutput(e, files, o.summaryJSON, "--summary-json")
	if err != nil {
		return err
	}
	if err := checkResume(ctx, e, in, files.Resume); err != nil {
		return err
	}
	runner, err := batch.New(batch.Config{Caller: client, Profile: batch.Constant(o.rate), Workers: o.workers, Retries: retriesConfig(o.retries),
		Resume: files.Resume, MinRows: minRowsConfig(o.minRows), MaxFailureRate: o.maxFailure})
	if err != nil {
		return usageError(err.Error())
	}
	started = true

	fmt.Fprintf(e.stderr, "msgread run: %s; %s at %.0f calls/s; report %s\n", tgt.banner, rowsText(in.rowsEstimate()), o.rate, files.ReportPath)
	printResume(e, o.resume, files)

	sum, runErr := drive(ctx, e, "run", runner, in.Input, files, in.rowsEstimate(), o.progress)
	closeErr := files.Close()
	accountErr := account(&sum, in, files)

	sum.WriteText(e.stderr)
	fmt.Fprintf(e.stderr, "  report: %s\n  failed rows: %s\n", files.ReportPath, files.FailedPath)
	if sum.NotFinished > 0 {
		fmt.Fprintf(e.stderr, "  %d rows not finished: --resume %s sends them\n", sum.NotFinished, files.ReportPath)
	}
	breaches := o.thresholds.get(false).Check(sum)
	sum.Breaches = breaches
	printBreaches(e, breaches)
	writeSummary(e, "run", summaryOut, sum)
	if accountErr != nil {
		return &exitError{code: exitAborted, err: accountErr}
	}
	return runExit(sum, runErr, closeErr, breaches)
}

// stampLayout puts the time in default output names, so that a rerun never
// meets its predecessor's files.
const stampLayout = "20060102-150405"

// openFiles opens a run's report files (and the resumed report), mapping
// refusals to exit 2.
func openFiles(p reports.Plan) (*reports.Files, error) {
	files, err := reports.Open(p)
	if err == nil {
		return files, nil
	}
	if p.Resume != "" && !errors.Is(err, reports.ErrExists) && !errors.Is(err, reports.ErrSamePath) && !errors.Is(err, reports.ErrLocked) {
		return nil, usageError(fmt.Sprintf("--resume: %v", err))
	}
	return nil, usageError(fmt.Sprintf("cannot write the report: %v", err))
}

// createOutput creates one more output of the run under the report's rule
// ("" is none, "-" is standard output). flag names it in errors.
func createOutput(e *env, files *reports.Files, path, flag string) (io.WriteCloser, error) {
	switch path {
	case "":
		return nil, nil
	case "-":
		return nopCloser{e.stdout}, nil
	}
	f, err := files.Create(path, flag)
	if err != nil {
		return nil, usageError(fmt.Sprintf("%s: %v", flag, err))
	}
	return f, nil
}

// checkResume checks the resumed report against the input before the first
// call: its lines must be data lines of the input, and a regular file is
// read whole to compare every done line's pair. A stream is compared as
// the run reads it.
func checkResume(ctx context.Context, e *env, in *inputFile, res *reports.Resume) error {
	if res == nil {
		return nil
	}
	if in.lines >= 0 {
		if err := res.CheckLines(int(in.lines)); err != nil {
			return usageError("--resume: " + err.Error())
		}
	}
	again, closeAgain, ok, err := in.reopen()
	if !ok {
		return nil
	}
	if err != nil {
		return inputError(in.path, err)
	}
	defer closeAgain()
	if res.Done() > 0 {
		fmt.Fprintf(e.stderr, "msgread run: checking the input against the resumed report's %d done lines\n", res.Done())
	}
	err = batch.CheckResume(ctx, again, res)
	var line *reports.LineError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &line):
		return usageError("--resume: " + err.Error())
	case ctx.Err() != nil:
		return &exitError{code: exitInterrupted, err: errors.New("interrupted before the first call")}
	}
	return &exitError{code: exitAborted, err: fmt.Errorf("stopped before the first call: %w", err)}
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
	mode := "the old lines appear as skipped in the new report"
	if files.Appending {
		mode = "appending to it"
	}
	fmt.Fprintf(e.stderr, "msgread run: resuming %s (%s): %d lines done are skipped; %d failed or gave up and %d invalid are read again%s\n",
		path, mode, res.Done(), res.Redo, res.Invalid, torn)
}

// account checks, at the end of a run, that every input row it read is in
// the report or not finished, and that the input reader saw every line a
// regular file has.
func account(sum *reports.Summary, in *inputFile, files *reports.Files) error {
	if err := sum.Account(files.Counts()); err != nil {
		return err
	}
	lines, _, _, ended := in.Counts()
	if ended && in.lines >= 0 && int64(lines) != in.lines {
		return fmt.Errorf("%w: the input has %d lines, but %d were read; please report this", reports.ErrUnbalanced, in.lines, lines)
	}
	return nil
}

// newClient signs for and calls the target.
func newClient(tgt *target, ttl, timeout time.Duration, workers int) (*batch.Client, error) {
	signer, err := batch.NewSigner(batch.SignerConfig{SDKAppID: tgt.app, Admin: tgt.admin, Key: tgt.key, TTL: ttl})
	if err != nil {
		return nil, usageError(err.Error())
	}
	client, err := batch.NewClient(batch.ClientConfig{Endpoint: tgt.endpoint, SDKAppID: tgt.app, Admin: tgt.admin, Signer: signer, Timeout: timeout, MaxConns: workers})
	if err != nil {
		return nil, usageError(err.Error())
	}
	return client, nil
}

// drive runs runner with a progress display, and makes a second interrupt
// (after the first cancelled ctx) stop the calls in flight.
func drive(ctx context.Context, e *env, name string, runner *batch.Runner, in *batch.Input, out batch.Output, total int64, progress string) (reports.Summary, error) {
	stopProgress := startProgress(e, progress, total, runner.Progress)
	finished := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
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
	sum, err := runner.Run(ctx, in, out)
	close(finished)
	<-watched
	stopProgress()
	return sum, err
}

func printBreaches(e *env, breaches []string) {
	for _, b := range breaches {
		fmt.Fprintf(e.stderr, "threshold not met: %s\n", b)
	}
}

// retriesConfig maps the flag (0 = none) to batch.Config (0 = default).
func retriesConfig(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// minRowsConfig maps the flag (0 = from the first row) to batch.Config
// (0 = default).
func minRowsConfig(n int) int {
	if n == 0 {
		return 1
	}
	return n
}

func rowsText(total int64) string {
	if total < 0 {
		return "rows from standard input"
	}
	return fmt.Sprintf("about %d rows", total)
}

// runExit maps a run's outcome to the documented exit codes.
func runExit(sum reports.Summary, runErr, closeErr error, breaches []string) error {
	var fatal *batch.FatalError
	var failureRate *batch.FailureRateError
	var mismatch *reports.MismatchError
	var line *reports.LineError
	switch {
	case errors.As(runErr, &fatal), errors.As(runErr, &failureRate), errors.As(runErr, &mismatch), errors.As(runErr, &line):
		return &exitError{code: exitAborted, err: runErr}
	case errors.Is(runErr, context.Canceled) || errors.Is(runErr, batch.ErrAborted):
		return &exitError{code: exitInterrupted, err: errors.New("interrupted: the report holds every row that finished; the rest were not sent")}
	case runErr != nil:
		return &exitError{code: exitAborted, err: fmt.Errorf("stopped: %w", runErr)}
	case closeErr != nil:
		return &exitError{code: exitAborted, err: fmt.Errorf("writing the report: %w", closeErr)}
	case len(breaches) > 0:
		return &exitError{code: exitThreshold, err: fmt.Errorf("%d threshold(s) not met: %s", len(breaches), strings.Join(breaches, "; "))}
	}
	if sum.ByStatus[reports.StatusFailed]+sum.ByStatus[reports.StatusGaveUp]+sum.ByStatus[reports.StatusInvalid] > 0 {
		return &exitError{code: exitRowsFailed, err: errSilent}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// writeSummary writes the summary JSON to out (nil: none) and closes it.
func writeSummary(e *env, name string, out io.WriteCloser, sum reports.Summary) {
	if out == nil {
		return
	}
	err := writeJSON(out, sum)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "msgread %s: writing --summary-json: %v\n", name, err)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
