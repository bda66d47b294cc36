package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports"
)

// genOptions are the settings of "msgread gen".
type genOptions struct {
	cfg      batch.GenConfig
	from, to string
	out      string
}

func (o *genOptions) register(fs *flag.FlagSet) {
	fs.Int64Var(&o.cfg.Rows, "rows", 10000, "`rows` to write")
	fs.IntVar(&o.cfg.Users, "population", batch.DefaultGenUsers, "size of the user `population` (as in load)")
	fs.Uint64Var(&o.cfg.Seed, "seed", 1, "`seed`: the same seed writes the same file")
	fs.Float64Var(&o.cfg.InvalidRate, "invalid-rate", 0, "`fraction` of rows made invalid on purpose")
	fs.StringVar(&o.from, "from", "2025-01-01T00:00:00Z", "earliest msg_read_time (RFC 3339 `time`)")
	fs.StringVar(&o.to, "to", "2026-01-01T00:00:00Z", "latest msg_read_time (RFC 3339 `time`)")
	fs.StringVar(&o.out, "out", "-", "output `file`; - is standard output (an existing file is never overwritten)")
}

func (o *genOptions) validate(args []string) error {
	if len(args) > 0 {
		return argsError("gen takes no arguments; use --out FILE")
	}
	if o.cfg.Rows <= 0 {
		return usageError("--rows must be positive")
	}
	var err error
	if o.cfg.From, err = time.Parse(time.RFC3339, o.from); err != nil {
		return usageError(fmt.Sprintf("--from: %v", err))
	}
	if o.cfg.To, err = time.Parse(time.RFC3339, o.to); err != nil {
		return usageError(fmt.Sprintf("--to: %v", err))
	}
	if !(o.cfg.InvalidRate >= 0 && o.cfg.InvalidRate <= 1) {
		return usageError("--invalid-rate must be a fraction from 0 to 1")
	}
	if err := o.cfg.Validate(); err != nil {
		return usageErrorOf("", err)
	}
	return nil
}

func (o *genOptions) run(ctx context.Context, e *env) error {
	w := e.stdout
	var f *os.File
	if o.out != "-" {
		var err error
		if f, err = reports.CreateNew(o.out); err != nil {
			return usageError(fmt.Sprintf("--out: %v", err))
		}
		w = f
	}
	start := time.Now()
	bw := bufio.NewWriterSize(w, 1<<20)
	err := batch.Generate(ctx, bw, o.cfg)
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if o.out != "-" {
		d := time.Since(start)
		fmt.Fprintf(e.stderr, "msgread gen: %d rows to %s in %v (%.2f M rows/s)\n", o.cfg.Rows, o.out, d.Round(time.Millisecond), float64(o.cfg.Rows)/d.Seconds()/1e6)
	}
	return nil
}
