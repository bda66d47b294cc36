package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/reports/digest"
)

// defaultRegression is --max-regression's value when --baseline is given
// alone.
const defaultRegression = 0.10

// baselineFlags are --baseline and --max-regression: a run compared with
// the summary JSON of an earlier green one, for CI.
type baselineFlags struct {
	path           string
	regressionText string
	regression     digest.Regression // parsed
}

func (b *baselineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.path, "baseline", "", "compare with the summary JSON (--summary-json) of an earlier green `run` of the same command and\n"+
		"scenario: a p99 grown, a send rate dropped or a share of rows failed grown by more than\n"+
		"--max-regression is a threshold not met (exit 4). A file that is missing, not a summary, of\n"+
		"another command or scenario, or of a run that stopped early or sent nothing: exit 2")
	fs.StringVar(&b.regressionText, "max-regression", "", "with --baseline: how much worse than the baseline a run may be, a `percentage` from 0% to 100%:\n"+
		"10% is a p99 (from the intended send for load) at most 10% higher, a send rate (rows a second up\n"+
		"to the last first try) at most 10% lower, a share of rows failed or gave up at most 10% higher\n"+
		"(none when the baseline had none). One each: p99:10%,rate:30%,failed:10% (those named only)\n"+
		"(default 10%); alone it compares nothing, so a pipeline may set MSGREAD_MAX_REGRESSION always")
}

// validate parses --max-regression.
func (b *baselineFlags) validate() error {
	if b.regressionText == "" {
		b.regression = digest.Uniform(defaultRegression)
		return nil
	}
	r, err := parseRegression(b.regressionText)
	if err != nil {
		return usageError(fmt.Sprintf("--max-regression %s: %v", safetext.Quote(b.regressionText), err))
	}
	b.regression = r
	return nil
}

// parseRegression reads "10%" (all three comparisons) or
// "p99:10%,rate:30%,failed:5%" (those named; the others are not made).
func parseRegression(text string) (digest.Regression, error) {
	if !strings.Contains(text, ":") {
		r, err := parsePercent(text)
		return digest.Uniform(r), err
	}
	r := digest.Regression{P99: -1, Rate: -1, Failed: -1}
	fields := map[string]*float64{"p99": &r.P99, "rate": &r.Rate, "failed": &r.Failed}
	for _, part := range strings.Split(text, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), ":")
		field := fields[name]
		if field == nil {
			return r, fmt.Errorf("%s: want p99, rate or failed, each with a percentage, such as p99:10%%,rate:30%%", safetext.Quote(name))
		}
		if *field >= 0 {
			return r, fmt.Errorf("%s given twice", name)
		}
		v, err := parsePercent(value)
		if err != nil {
			return r, fmt.Errorf("%s: %w", name, err)
		}
		*field = v
	}
	return r, nil
}

// parsePercent reads a percentage from 0% to 100% as a fraction.
func parsePercent(text string) (float64, error) {
	t := strings.TrimSpace(text)
	if !strings.HasSuffix(t, "%") {
		return 0, errors.New("want a percentage such as 10%")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > 100 {
		return 0, errors.New("want a percentage from 0% to 100% (a rate cannot drop by more than all of it)")
	}
	return v / 100, nil
}

// load reads the baseline and checks that a run of command against mock
// (nil: not the bundled mock) with profile may be compared with it; nil
// when no baseline was asked for. What differs but still compares (the
// seed, the rate, a baseline that was not green) is said on stderr. A
// baseline that cannot be used is an error with exit 2, before the first
// call: the pipeline asked for a comparison, and a run that passed without
// one would hide the regression it was asked to catch.
func (b *baselineFlags) load(ctx context.Context, e *env, command string, mock *digest.MockInfo, profile batch.Profile) (*digest.BaselineCheck, error) {
	if b.path == "" {
		return nil, nil
	}
	refuse := func(err error) error {
		return stopped(exitUsage, stopUsage, fmt.Errorf("--baseline %s: %w", safetext.Quote(b.path), err))
	}
	data, err := readSmallFile(ctx, b.path, digest.MaxBaselineSize+1)
	if ierr := interruptedOpening(ctx, err, "--baseline"); ierr != nil {
		return nil, ierr
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once
		}
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w (a pipeline's first run has no baseline: give --baseline only when the file is there, as the README's CI snippet does)", err)
		}
		return nil, refuse(err)
	}
	base, err := digest.ReadBaseline(bytes.NewReader(data))
	if err != nil {
		return nil, refuse(err)
	}
	rate := 0.0
	if c, ok := profile.(batch.Constant); ok {
		rate = float64(c)
	}
	warnings, err := base.Compare(command, mock, rate)
	if err != nil {
		return nil, refuse(err)
	}
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "msgread %s: --baseline %s: note: %s\n", command, safetext.Quote(b.path), w)
	}
	return &digest.BaselineCheck{Baseline: base, MaxRegression: b.regression}, nil
}
