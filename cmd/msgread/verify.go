package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/decompress"
	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// verifyOptions are the settings of "msgread verify".
type verifyOptions struct {
	target      targetFlags
	rate        rateFlags
	workers     int
	retries     int
	timeout     time.Duration
	outage      time.Duration
	sampleText  string
	sample      batch.Sample
	seed        uint64
	out         string
	summaryJSON string
	summary     *summaryOutput
	report      string
	shareText   string
	share       batch.Share
}

func (o *verifyOptions) register(fs *flag.FlagSet) {
	o.target.registerReal(fs, true)
	o.rate.register(fs, "ceiling in `calls/s` of get_c2c_unread_msg_num, retries included (the API allows 200)")
	fs.IntVar(&o.workers, "workers", batch.DefaultWorkers, "`calls` in flight at most")
	fs.IntVar(&o.retries, "retries", batch.DefaultRetries, "`retries` of a transient failure before the call gives up (0 or off: none)")
	fs.DurationVar(&o.timeout, "timeout", batch.DefaultTimeout, "timeout of one call")
	fs.DurationVar(&o.outage, "outage-budget", batch.DefaultOutageBudget, "stop (exit 3) once the service has not answered for this long")
	fs.StringVar(&o.shareText, "share", "safe", shareUsage)
	fs.StringVar(&o.sampleText, "sample", "1000", "the done rows to read back: a `count` (1000), a share (5%) or all")
	fs.Uint64Var(&o.seed, "seed", 1, "`seed` of the sample's choice: the same seed and report, the same rows")
	fs.StringVar(&o.out, "out", "", "verify report `path` (default: the report's name with .verify.csv; never overwritten)")
	fs.StringVar(&o.summaryJSON, "summary-json", "", "also write the summary as JSON to this `path` (- for standard output; never overwritten)")
}

func (o *verifyOptions) validate(args []string) (err error) {
	if len(args) != 1 {
		return argsError("verify takes exactly one REPORT.csv (a report msgread run wrote)")
	}
	o.report = args[0]
	if o.sample, err = batch.ParseSample(o.sampleText); err != nil {
		return usageErrorOf("--sample ", err)
	}
	if o.share, err = parseShare(o.shareText); err != nil {
		return err
	}
	switch {
	case o.workers <= 0 || o.workers > 100_000:
		return usageError("--workers must be from 1 to 100000")
	case o.retries < 0 || o.retries > 100:
		return usageError("--retries must be from 0 to 100")
	case o.timeout <= 0 || o.outage < time.Second:
		return usageError("--timeout must be positive and --outage-budget at least 1s")
	case o.out == "-":
		return usageError("--out names a file (--summary-json - writes the summary to standard output)")
	}
	if o.out == "" {
		o.out = strings.TrimSuffix(decompress.TrimExt(o.report), ".csv") + ".verify.csv"
	}
	if err := o.rate.parse(0); err != nil {
		return err
	}
	return o.target.validate()
}

func (o *verifyOptions) openSummary(e *env) (out *summaryOutput, err error) {
	o.summary, err = openSummary(e, "verify", o.summaryJSON, map[string]string{"the report": o.report, "--out": o.out})
	return o.summary, err
}

func (o *verifyOptions) run(ctx context.Context, e *env) error {
	started := time.Now()
	f, stream, err := o.openSample(ctx, e)
	if err != nil {
		return err
	}
	defer f.Close()
	// The target first: a setting it refuses (no key, say) leaves no
	// verify report behind to refuse the next try.
	tgt, err := o.target.resolve(ctx, e, "verify", o.rate.profile.Max(), o.timeout, o.workers)
	if err != nil {
		return err
	}
	defer tgt.close()
	out, err := reports.CreateNew(o.out)
	if err != nil {
		return stopped(exitUsage, stopOutput, fmt.Errorf("--out: %w", err))
	}
	defer out.Close()
	cfg := batch.DefaultConfig()
	cfg.Profile, cfg.Workers, cfg.Retries, cfg.OutageBudget = o.rate.profile, o.workers, o.retries, o.outage
	cfg.Share = o.share
	fmt.Fprintf(e.stderr, "msgread verify: %s; --sample %s of %s at %s; verify report %s\n", tgt.banner, o.sample, safetext.Quote(o.report), o.rate.profile, safetext.Quote(o.out))
	next := func() (batch.VerifyRow, error) {
		row, err := stream.Next()
		var damaged *decompress.StreamError
		if errors.As(err, &damaged) {
			err = fmt.Errorf("after its %d complete rows: %w", stream.Stats().Rows, err)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: report %s: %w", batch.ErrBadInput, safetext.Quote(o.report), err)
		}
		return row, err
	}
	abort, stopWatch := secondInterrupt(ctx, e)
	sum, runErr := batch.Verify(ctx, batch.VerifyConfig{Runner: cfg, Counter: tgt.client, Next: next, Out: out, Abort: abort})
	stopWatch()
	if cerr := out.Close(); runErr == nil && cerr != nil {
		runErr = fmt.Errorf("writing %s: %w", o.out, cerr)
	}
	st := stream.Stats()
	o.printSampled(e, st, sum.Sampled, runErr == nil)
	err = verifyExit(sum, runErr)
	if exitCode(err) == exitUsage {
		// Refused before the first call (a damaged report): no verify
		// report is left to refuse the next try.
		out.Close()
		os.Remove(o.out)
	} else if sum.Sampled > 0 || runErr != nil {
		printVerify(e, sum, o.out)
	}
	o.summary.write(e, o.document(sum, st, err, started))
	return err
}

// openSample opens the report and its sample: a share or all streamed as
// the calls go (flat memory), N chosen once the report was read.
func (o *verifyOptions) openSample(ctx context.Context, e *env) (io.Closer, *batch.SampleStream, error) {
	f, err := openRead(ctx, o.report)
	if ierr := interruptedOpening(ctx, err, "the report"); ierr != nil {
		return nil, nil, ierr
	}
	if err != nil {
		return nil, nil, stopped(exitUsage, stopInput, fmt.Errorf("report: %w", err))
	}
	d, err := decompress.Open(ctx, f)
	if err != nil {
		f.Close()
		return nil, nil, stopped(exitUsage, stopInput, fmt.Errorf("%s: %w", safetext.Quote(o.report), err))
	}
	if note := decompress.Mismatch(o.report, d.Format); note != "" {
		fmt.Fprintf(e.stderr, "msgread verify: note: %s: %s\n", safetext.Quote(o.report), note)
	}
	stream, err := batch.NewSampleStream(d, o.sample, o.seed)
	if err != nil {
		f.Close()
		return nil, nil, stopped(exitUsage, stopInput, fmt.Errorf("%s: %w", safetext.Quote(o.report), err))
	}
	if newer, ok := reports.ResumedInto(o.report); ok {
		fmt.Fprintf(e.stderr, "msgread verify: note: this report was resumed into %s, which holds its done lines and those done since: verify the newest report of the chain to cover them all\n", safetext.Quote(newer))
	}
	if who, writing := reports.Writing(o.report); writing {
		fmt.Fprintf(e.stderr, "msgread verify: note: a run is still writing this report (%s): its rows complete now are read, and the rest are not verified\n", safetext.Clean(who))
	}
	return both{d, f}, stream, nil
}

// both closes a report's decoder, then its file.
type both struct{ d, f io.Closer }

func (b both) Close() error {
	b.d.Close()
	return b.f.Close()
}

// printSampled says what was read of the report and sampled.
func (o *verifyOptions) printSampled(e *env, st batch.SampleStats, sampled int, ended bool) {
	if st.Torn {
		fmt.Fprintf(e.stderr, "msgread verify: note: the report's last line has no line end (a run still writing it, or killed mid-write): its %d complete rows were read\n", st.Rows)
	}
	if !ended {
		// Stopped early: the rows read so far, not the report's.
		fmt.Fprintf(e.stderr, "msgread verify: %s: stopped early; %d sampled rows read back (--sample %s, --seed %d)\n",
			safetext.Quote(o.report), sampled, o.sample, o.seed)
		return
	}
	fmt.Fprintf(e.stderr, "msgread verify: %s: %d rows, %d claimed done (ok or skipped); sampled %d (--sample %s, --seed %d)\n",
		safetext.Quote(o.report), st.Rows, st.Done, sampled, o.sample, o.seed)
	if sampled == 0 {
		fmt.Fprintln(e.stderr, "msgread verify: nothing to verify")
	}
}

// printVerify prints what reading the sample back found.
func printVerify(e *env, sum batch.VerifySummary, out string) {
	fmt.Fprintf(e.stderr, "verified: %s\n", sum)
	if sum.Unread > 0 {
		var hist []string
		for _, n := range []int{1, 2, 3, 4, 5} {
			if c := sum.UnreadCounts[n]; c > 0 {
				label := strconv.Itoa(n)
				if n == 5 {
					label = "5+"
				}
				hist = append(hist, fmt.Sprintf("%s unread×%d", label, c))
			}
		}
		fmt.Fprintf(e.stderr, "  unread counts: %s\n", strings.Join(hist, ", "))
		fmt.Fprintf(e.stderr, "  unread after a past read time: %d (marking read at a past time leaves the later messages unread, by design)\n", sum.UnreadAfterPastTime)
	}
	if len(sum.ErrorsByCode) > 0 {
		var codes []string
		for code, n := range sum.ErrorsByCode {
			codes = append(codes, fmt.Sprintf("%s×%d", code, n))
		}
		sort.Strings(codes)
		fmt.Fprintf(e.stderr, "  errors by code: %s\n", strings.Join(codes, " "))
	}
	c := sum.Calls
	fmt.Fprintf(e.stderr, "  %d calls (%d retries) in %s; %.1f calls/s; latency p50 %.1f ms, p99 %.1f ms\n",
		c.Attempts, c.Retries, c.Wall.Round(time.Millisecond), c.Rate, c.Latency.P50, c.Latency.P99)
	fmt.Fprintf(e.stderr, "  verify report: %s\n", safetext.Quote(out))
}

// secondInterrupt returns a channel closed on the interrupt after the
// first (which cancels ctx): the calls in flight are cut off then, as a
// run's are.
// stop ends the watch once the verification ended.
func secondInterrupt(ctx context.Context, e *env) (abort <-chan struct{}, stop func()) {
	aborted, finished := make(chan struct{}), make(chan struct{})
	if e.signals == nil {
		return aborted, func() {}
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		fmt.Fprintln(e.stderr, "msgread verify: interrupted: no new call starts; the calls in flight finish, then the verify report is flushed (Ctrl-C again to stop them)")
		select {
		case <-e.signals:
			fmt.Fprintln(e.stderr, "msgread verify: second interrupt: stopping calls in flight")
			close(aborted)
		case <-finished:
		}
	}()
	return aborted, func() { close(finished) }
}

// verifyExit maps a verification to the exit codes: 0 every sampled row
// read, 1 any unread or in error, 3 a fatal answer or the outage budget,
// 130 an interrupt.
func verifyExit(sum batch.VerifySummary, err error) error {
	input := func() string { return strings.TrimPrefix(err.Error(), batch.ErrBadInput.Error()+": ") }
	switch code := batch.StopCode(err); {
	case code == digest.StopAborted:
		return &exitError{code: exitInterrupted, stop: code, err: errors.New("stopped by a second interrupt: the calls in flight were cut off; the verify report holds every row read back before")}
	case code == digest.StopInterrupted:
		return &exitError{code: exitInterrupted, stop: code, err: errors.New("interrupted: the verify report holds every row read back so far")}
	case code == digest.StopInputError && sum.Calls.Attempts == 0:
		// A report damaged before its first call: refused as a file that is
		// not a report is, nothing sent.
		return &exitError{code: exitUsage, stop: code, err: errors.New(input())}
	case code == digest.StopInputError:
		return &exitError{code: exitAborted, stop: code, err: fmt.Errorf("%s (the verify report holds the rows read back before it)", input())}
	case code == digest.StopOutputError:
		return &exitError{code: exitAborted, stop: code, err: err}
	case code != "":
		return &exitError{code: exitAborted, stop: code, err: explain(err)}
	case sum.Unread+sum.Errors > 0:
		return &exitError{code: exitRowsFailed, err: errSilent}
	}
	return nil
}

// verifyStop maps a verification that stopped (an interrupt, a fatal
// answer, an unreachable service, the outage budget) to its exit and stop
// code; nil for none of them.
func verifyStop(err error) *exitError {
	switch batch.StopCode(err) {
	case digest.StopAborted, digest.StopInterrupted, digest.StopFatalAnswer, digest.StopUnreachable, digest.StopOutageBudget:
		ee := verifyExit(batch.VerifySummary{}, err).(*exitError)
		return ee
	}
	return nil
}

// document is the verification's summary JSON.
func (o *verifyOptions) document(sum batch.VerifySummary, st batch.SampleStats, err error, started time.Time) digest.VerifyDocument {
	finished := time.Now()
	c := sum.Calls
	d := digest.VerifyDocument{Head: digest.Head{SchemaVersion: digest.SchemaVersion, Version: versionString(), Command: "verify",
		StartedAt: started.UTC(), FinishedAt: finished.UTC(), WallSeconds: finished.Sub(started).Seconds(), ExitCode: exitCode(err)},
		Report: o.report, ReportRows: st.Rows, ReportDone: st.Done, Sample: o.sample.String(), Seed: o.seed,
		Sampled: sum.Sampled, Read: sum.Read, Unread: sum.Unread, Errors: sum.Errors, UnreadAfterPastReadTime: sum.UnreadAfterPastTime,
		UnreadCounts: map[string]int{}, ErrorsByCode: sum.ErrorsByCode,
		Calls:        digest.Calls{Attempts: c.Attempts, Retries: c.Retries, ByCode: c.AttemptCodes, UnknownCodes: c.UnknownCodes},
		AchievedRate: c.Rate, Latency: c.Latency}
	for n, k := range sum.UnreadCounts {
		d.UnreadCounts[strconv.Itoa(n)] = k
	}
	if d.ErrorsByCode == nil {
		d.ErrorsByCode = map[string]int{}
	}
	if err != nil && !errors.Is(err, errSilent) {
		d.Stop = earlyStop(err)
	}
	return d
}
