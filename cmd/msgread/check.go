package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/safetext"
)

const checkAbout = `
Validates INPUT.csv (or - for standard input) without calling anything: counts
the rows (one a line), lists the invalid ones with their line and reason, counts
duplicate pairs (sent twice, harmless but wasted), and estimates the run's wall
time at --rate. Exit 0 when every row is valid, 1 when some are not, 2 when the
file itself is unusable.

Duplicates are found exactly, in two passes over the input: the first keeps a
32-bit fingerprint of each row's pair (4 bytes a row: 10 M rows take about
95 MB and 9 s), the second decodes again only the invalid rows and those whose
fingerprint came twice, and compares their pairs whole.
Standard input or a pipe is copied to a temporary file ($TMPDIR) for the
second pass.

INPUT may be compressed with gzip or zstd (.csv.gz, .csv.zst; told by its first
bytes): it is checked decompressed, with the plain file's line numbers, and its
copy from standard input stays compressed. A compressed file cut short or damaged
is unusable (exit 2): the error names the last line read whole.`

// checkOptions are the settings of "msgread check".
type checkOptions struct {
	show  int
	input string
	rate  rateFlags // the run's, for the estimate
}

func (o *checkOptions) register(fs *flag.FlagSet) {
	o.rate.register(fs, "the run's `calls/s`, as run takes it, for the estimate")
	fs.IntVar(&o.show, "show", 20, "list at most this `many` invalid rows and duplicates")
}

func (o *checkOptions) validate(args []string) error {
	if len(args) != 1 {
		return argsError("check takes exactly one INPUT.csv (or - for standard input)")
	}
	o.input = args[0]
	if o.show < 0 {
		return usageError("--show must not be negative")
	}
	return o.rate.parse(0)
}

func (o *checkOptions) run(ctx context.Context, e *env) error {
	listed := 0
	res, err := o.check(ctx, e, func(f batch.Finding) {
		if listed++; listed > o.show {
			return
		}
		if f.Invalid != "" {
			fmt.Fprintf(e.stdout, "line %d: invalid: %s\n", f.Line, f.Invalid)
		} else {
			fmt.Fprintf(e.stdout, "line %d: duplicate of line %d (%s → %s)\n", f.Line, f.DuplicateOf, safetext.Quote(f.ReportAccount), safetext.Quote(f.PeerAccount))
		}
	})
	if err != nil {
		return err
	}
	if listed > o.show {
		fmt.Fprintf(e.stdout, "(listing stopped at %d; --show sets how many)\n", o.show)
	}
	fmt.Fprintf(e.stdout, "%d rows: %d valid, %d invalid; %d duplicate pairs", res.Rows, res.Valid, res.Invalid, res.Duplicates)
	if res.Blank > 0 {
		fmt.Fprintf(e.stdout, "; %d blank lines passed over", res.Blank)
	}
	fmt.Fprintln(e.stdout)
	est := batch.Estimate(o.rate.profile, res.Valid).Round(time.Second)
	fmt.Fprintf(e.stdout, "estimated run: %s at %s (one call a valid row, before retries)\n", est, o.rate.profile)
	if res.Invalid > 0 {
		return &exitError{code: exitRowsFailed, err: errSilent}
	}
	return nil
}

// check runs batch's check over the input, handing found each invalid row
// and duplicate: a regular file is opened twice, standard input or a pipe
// read through batch.CheckReader. Its errors are worded for the user.
func (o *checkOptions) check(ctx context.Context, e *env, found func(batch.Finding)) (batch.CheckResult, error) {
	if st, serr := os.Stat(o.input); o.input != "-" && serr == nil && st.Mode().IsRegular() {
		return o.checkFile(ctx, e, found)
	}
	return o.checkStream(ctx, e, found)
}

// checkFile checks a regular file, opened once for each pass.
func (o *checkOptions) checkFile(ctx context.Context, e *env, found func(batch.Finding)) (batch.CheckResult, error) {
	in, err := openInput(ctx, e, o.input)
	if err != nil {
		return batch.CheckResult{}, err
	}
	defer in.Close()
	closeAgain := func() error { return nil }
	defer func() { closeAgain() }()
	reopen := func() (*batch.Input, error) {
		again, c, _, err := in.Reopen(ctx)
		if err != nil {
			return nil, err
		}
		closeAgain = c
		return again, nil
	}
	res, err := batch.CheckOpened(ctx, in.Input, reopen, int(max(in.Rows(), 0)), found)
	return res, o.checkError(ctx, err)
}

// checkStream checks standard input or a pipe, which batch.CheckReader
// copies to a temporary file for the second pass.
func (o *checkOptions) checkStream(ctx context.Context, e *env, found func(batch.Finding)) (batch.CheckResult, error) {
	var r io.Reader = e.stdin
	name := "standard input"
	if o.input != "-" {
		f, err := openRead(ctx, o.input)
		if ierr := interruptedOpening(ctx, err, "the input"); ierr != nil {
			return batch.CheckResult{}, ierr
		}
		if err != nil {
			return batch.CheckResult{}, usageError(fmt.Sprintf("input: %v", err))
		}
		defer f.Close()
		r, name = f, o.input
	}
	res, err := batch.CheckReader(ctx, r, name, found)
	var header *batch.HeaderError
	var spool *batch.SpoolError
	switch {
	case errors.As(err, &header):
		return res, inputError(name, header.Err)
	case errors.As(err, &spool) && spool.Path == "":
		return res, err // no copy could be made: not the input's fault
	}
	return res, o.checkError(ctx, err)
}

// checkError words an error of batch's check passes; nil when there was
// none and ctx is not done.
func (o *checkOptions) checkError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
	case err != nil && o.input == "-":
		return inputError("standard input", err)
	case err != nil:
		return inputError(o.input, err)
	}
	return nil
}
