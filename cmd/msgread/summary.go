package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// Stop codes of a command that ended before its run (see digest.Stop).
const (
	stopUsage     = digest.StopUsageError
	stopInput     = digest.StopInputError
	stopOutput    = digest.StopOutputError
	stopResume    = digest.StopResumeError
	stopMismatch  = digest.StopResumeMismatch
	stopInterrupt = digest.StopInterrupted
)

// stopped marks err with the stop code the summary JSON gives it.
func stopped(code int, stop string, err error) error {
	return &exitError{code: code, stop: stop, err: err}
}

// summaryOutput is --summary-json. It is made first, as soon as the flags
// parse, so that every exit after that leaves a summary naming its stop
// (CI reads it): a command that ends before its run writes one with no
// rows and the stop's code. Made under the rule of every output (a new
// file, never one that exists); one that cannot be made is not written.
type summaryOutput struct {
	w       io.WriteCloser // nil: none was asked for
	command string
	started time.Time
	written bool
}

// openSummary makes the summary file at path ("" none, "-" standard
// output). others are the run's other files by flag: the summary may not
// name one of them.
func openSummary(e *env, command, path string, others map[string]string) (*summaryOutput, error) {
	s := &summaryOutput{command: command, started: time.Now()}
	switch path {
	case "":
		return s, nil
	case "-":
		s.w = nopCloser{e.stdout}
		return s, nil
	}
	for flag, other := range others {
		if other != "" && other != "-" && samePath(path, other) {
			return nil, stopped(exitUsage, stopOutput, fmt.Errorf("--summary-json: %s %v: as the summary and as %s", path, reports.ErrSamePath, flag))
		}
	}
	if err := reports.CheckName(path); err != nil {
		return nil, stopped(exitUsage, stopOutput, fmt.Errorf("--summary-json: %w", err))
	}
	f, err := reports.CreateNew(path)
	if err != nil {
		return nil, stopped(exitUsage, stopOutput, fmt.Errorf("--summary-json: %w", err))
	}
	s.w = f
	return s, nil
}

func samePath(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// write fills the summary with doc and closes it; nothing when none was
// asked for. Only the first write counts.
func (s *summaryOutput) write(e *env, doc interface{ Write(io.Writer) error }) error {
	if s == nil || s.w == nil || s.written {
		return nil
	}
	s.written = true
	err := fill(s.w, doc.Write)
	if err != nil {
		fmt.Fprintf(e.stderr, "msgread %s: writing --summary-json: %v\n", s.command, err)
	}
	return err
}

// ended writes the summary of a command that ended with err before its
// run wrote one: no rows, and err's stop.
func (s *summaryOutput) ended(e *env, err error) {
	if s == nil || s.w == nil || s.written {
		return
	}
	info := digest.RunInfo{Version: versionString(), Command: s.command, StartedAt: s.started, FinishedAt: time.Now(),
		ExitCode: exitCode(err), Stop: earlyStop(err), TotalRows: -1}
	if s.command == "verify" {
		// Verify's own shape: no rows sampled, the stop.
		s.write(e, digest.VerifyDocument{Head: digest.NewDocument(digest.NewSummary(), info).Head,
			UnreadCounts: map[string]int{}, ErrorsByCode: map[string]int{}, Calls: digest.Calls{ByCode: map[string]int{}, UnknownCodes: map[string]string{}}})
		return
	}
	s.write(e, digest.NewDocument(digest.NewSummary(), info))
}

// earlyStop is the stop of a command that ended with err before its run.
func earlyStop(err error) *digest.Stop {
	if err == nil {
		return nil
	}
	var ee *exitError
	code := stopUsage
	switch {
	case errors.As(err, &ee) && ee.stop != "":
		code = ee.stop
	case exitCode(err) == exitInterrupted:
		code = stopInterrupt
	}
	msg := err.Error()
	if errors.Is(err, errSilent) {
		msg = "see the messages on standard error"
	}
	return &digest.Stop{Code: code, Message: msg}
}

// summarizer is the options of a command that writes a summary JSON.
type summarizer interface {
	// openSummary makes the command's --summary-json.
	openSummary(e *env) (*summaryOutput, error)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// fill writes an output with write, and closes it.
func fill(out io.WriteCloser, write func(io.Writer) error) error {
	err := write(out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
