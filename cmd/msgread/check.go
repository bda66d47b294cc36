package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/msgread/msgread/batch"
)

const checkAbout = `
Validates INPUT.csv (or - for standard input) without calling anything: counts
the rows (one a line), lists the invalid ones with their line and reason, counts
duplicate pairs (sent twice, harmless but wasted), and estimates the run's wall
time at --rate. Exit 0 when every row is valid, 1 when some are not, 2 when the
file itself is unusable.

Duplicate detection keeps a 64-bit hash per distinct pair in memory: checking
1 M distinct pairs peaks at about 70 MB, so plan for several hundred MB per
10 M.`

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
	in, err := openInput(ctx, e, o.input)
	if err != nil {
		return err
	}
	defer in.close()
	listed := 0
	res, err := batch.Check(ctx, in.Input, func(f batch.Finding) {
		if listed++; listed > o.show {
			return
		}
		if f.Invalid != "" {
			fmt.Fprintf(e.stdout, "line %d: invalid: %s\n", f.Line, f.Invalid)
		} else {
			fmt.Fprintf(e.stdout, "line %d: duplicate of line %d (%s → %s)\n", f.Line, f.DuplicateOf, f.ReportAccount, f.PeerAccount)
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
