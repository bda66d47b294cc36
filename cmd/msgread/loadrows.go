package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/msgread/msgread/batch"
)

// loadRows are what a load test sends and for how long: an input file or
// synthetic rows, a duration or a row count, and the projection's size.
type loadRows struct {
	input       string
	duration    time.Duration
	rows        int64
	population  int
	invalidRate float64
	project     int64
}

func (l *loadRows) register(fs *flag.FlagSet) {
	fs.StringVar(&l.input, "input", "", "send the rows of this CSV `file` (plain, .csv.gz or .csv.zst) instead of synthetic ones")
	fs.DurationVar(&l.duration, "duration", 0, "how long to send (default: the end of the --rate steps or --stages, else 60s unless --rows\nor --input is given)")
	fs.Int64Var(&l.rows, "rows", 0, "how many synthetic `rows` to send (instead of --duration)")
	fs.IntVar(&l.population, "population", batch.DefaultGenUsers, "synthetic rows: size of the user `population` (as in gen)")
	fs.Float64Var(&l.invalidRate, "invalid-rate", 0, "synthetic rows: `fraction` made invalid on purpose")
	fs.Int64Var(&l.project, "project", batch.DefaultProjectRows, "project the run's pace onto this many `rows`")
}

// check checks the settings of what is sent and for how long.
func (l *loadRows) check() error {
	switch {
	case l.duration < 0 || l.rows < 0:
		return usageError("--duration and --rows must not be negative")
	case l.project <= 0:
		return usageError("--project must be positive")
	case l.input != "" && l.rows > 0:
		return usageError("--rows is for synthetic rows; an --input file is sent whole (or for --duration)")
	case l.population < 2:
		return usageError("--population must be at least 2")
	case !(l.invalidRate >= 0 && l.invalidRate <= 1):
		return usageError("--invalid-rate must be a fraction from 0 to 1")
	}
	return nil
}

// bounded says whether the rows end the test: a row count or a file.
func (l *loadRows) bounded() bool { return l.rows > 0 || l.input != "" }

// source gives the job its rows: the --input file, or synthetic rows of
// the mock's seed. closeInput closes the file (nothing for synthetic).
func (l *loadRows) source(ctx context.Context, e *env, cfg *batch.JobConfig, seed uint64) (closeInput func() error, err error) {
	if l.input != "" {
		if cfg.Input, err = openInput(ctx, e, l.input); err != nil {
			return nil, err
		}
		cfg.Rows = cfg.Input.Rows()
		return cfg.Input.Close, nil
	}
	cfg.Rows = l.rows
	if l.rows == 0 {
		cfg.Rows = -1
	}
	if cfg.Source, err = batch.NewSynthetic(batch.GenConfig{Rows: l.rows, Users: l.population, Seed: seed, InvalidRate: l.invalidRate}); err != nil {
		return nil, usageErrorOf("", err)
	}
	return func() error { return nil }, nil
}

// length words how long the test sends, for its banner.
func (l *loadRows) length(rows int64) string {
	if l.duration == 0 {
		return rowsText(rows)
	}
	return fmt.Sprintf("for %v", l.duration)
}
