package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
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
second pass.`

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
		return usageError("check takes exactly one INPUT.csv (or - for standard input)")
	}
	o.input = args[0]
	if o.show < 0 {
		return usageError("--show must not be negative")
	}
	return o.rate.parse(0)
}

func (o *checkOptions) run(ctx context.Context, e *env) error {
	open, rows, done, err := o.sources(ctx, e)
	defer done()
	if err != nil {
		return err
	}
	listed := 0
	res, err := batch.Check(ctx, open, rows, func(f batch.Finding) {
		if listed++; listed > o.show {
			return
		}
		if f.Invalid != "" {
			fmt.Fprintf(e.stdout, "line %d: invalid: %s\n", f.Line, f.Invalid)
		} else {
			fmt.Fprintf(e.stdout, "line %d: duplicate of line %d (%s → %s)\n", f.Line, f.DuplicateOf, safetext.Quote(f.ReportAccount), safetext.Quote(f.PeerAccount))
		}
	})
	switch {
	case ctx.Err() != nil:
		return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
	case err != nil:
		return inputError(o.input, err)
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

// sources returns how to read the input from its start, once for each of
// check's two passes, with its row count when known. A regular file is
// opened twice; standard input or a pipe is copied to a temporary file as
// the first pass reads it, and the second reads the copy. done closes what
// was opened and removes the copy.
func (o *checkOptions) sources(ctx context.Context, e *env) (open func() (*batch.Input, error), rows int, done func(), err error) {
	var closers []func() error
	done = func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	if st, serr := os.Stat(o.input); o.input != "-" && serr == nil && st.Mode().IsRegular() {
		in, err := openInput(ctx, e, o.input)
		if err != nil {
			return nil, 0, done, err
		}
		closers = append(closers, in.Close)
		return twice(in.Input, func() (*batch.Input, error) {
			again, closeAgain, _, err := in.Reopen(ctx)
			if err != nil {
				return nil, err
			}
			closers = append(closers, closeAgain)
			return again, nil
		}), int(max(in.Rows(), 0)), done, nil
	}
	var r io.Reader = e.stdin
	name := "standard input"
	if o.input != "-" {
		f, err := openRead(ctx, o.input)
		if ierr := interruptedOpening(ctx, err, "the input"); ierr != nil {
			return nil, 0, done, ierr
		}
		if err != nil {
			return nil, 0, done, usageError(fmt.Sprintf("input: %v", err))
		}
		closers, r, name = append(closers, f.Close), f, o.input
	}
	spool, err := os.CreateTemp("", "msgread-check-*.csv")
	if err != nil {
		return nil, 0, done, fmt.Errorf("check reads %s twice and needs a temporary copy of it: %w", name, err)
	}
	closers = append(closers, func() error { spool.Close(); return os.Remove(spool.Name()) })
	w := bufio.NewWriterSize(spool, 1<<20)
	first, err := batch.NewInputContext(ctx, io.TeeReader(r, &spoolWriter{w: w, name: spool.Name()}))
	if err != nil {
		return nil, 0, done, inputError(name, err)
	}
	return twice(first, func() (*batch.Input, error) {
		if err := w.Flush(); err != nil {
			return nil, &spoolError{name: spool.Name(), err: err}
		}
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return batch.NewInput(spool)
	}), 0, done, nil
}

// twice returns an opener for batch.Check's two passes: first, already
// open, then again's reading from the start.
func twice(first *batch.Input, again func() (*batch.Input, error)) func() (*batch.Input, error) {
	opened := false
	return func() (*batch.Input, error) {
		if !opened {
			opened = true
			return first, nil
		}
		return again()
	}
}

// spoolWriter names the temporary copy in a write error (a full disk), so
// that it is not taken for a fault of the input.
type spoolWriter struct {
	w    io.Writer
	name string
}

func (s *spoolWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = &spoolError{name: s.name, err: err}
	}
	return n, err
}

type spoolError struct {
	name string
	err  error
}

func (e *spoolError) Error() string {
	return fmt.Sprintf("writing the temporary copy %s of the input (check reads it twice): %v", e.name, e.err)
}

func (e *spoolError) Unwrap() error { return e.err }
