package main

import (
	"bufio"
	"context"
	"fmt"
	"github.com/msgread/msgread/reports"
	"os"
	"time"

	"github.com/msgread/msgread/batch"
)

func runGen(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "gen", "", `
Writes a synthetic input CSV (report_account,peer_account,msg_read_time): --rows
pairs of two different users drawn from a population of --users, with read times
spread over --from..--to, and --invalid-rate of the rows made invalid on purpose
(an empty account, a space, milliseconds, a bad time, an account over 32 bytes).
The same flags and --seed write the same bytes.

Examples:
  msgread gen --rows 1000000 --out rows.csv
  msgread gen --rows 50000 --invalid-rate 0.01 --seed 7 | msgread check -`)
	var cfg batch.GenConfig
	fs.Int64Var(&cfg.Rows, "rows", 10000, "rows to write")
	fs.IntVar(&cfg.Users, "users", batch.DefaultGenUsers, "size of the user population")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed: the same seed writes the same file")
	fs.Float64Var(&cfg.InvalidRate, "invalid-rate", 0, "`fraction` of rows made invalid on purpose")
	from := fs.String("from", "2025-01-01T00:00:00Z", "earliest msg_read_time (RFC 3339)")
	to := fs.String("to", "2026-01-01T00:00:00Z", "latest msg_read_time (RFC 3339)")
	out := fs.String("out", "-", "output `file`; - is standard output (an existing file is never overwritten)")
	rest, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("gen takes no arguments; use --out FILE")
	}
	if cfg.Rows <= 0 {
		return usageError("--rows must be positive")
	}
	if cfg.From, err = time.Parse(time.RFC3339, *from); err != nil {
		return usageError(fmt.Sprintf("--from: %v", err))
	}
	if cfg.To, err = time.Parse(time.RFC3339, *to); err != nil {
		return usageError(fmt.Sprintf("--to: %v", err))
	}
	if err := cfg.Validate(); err != nil {
		return usageError(err.Error())
	}
	w := e.stdout
	var f *os.File
	if *out != "-" {
		f, err = reports.CreateNew(*out)
		if err != nil {
			return usageError(fmt.Sprintf("--out: %v", err))
		}
		w = f
	}
	start := time.Now()
	bw := bufio.NewWriterSize(w, 1<<20)
	err = batch.Generate(ctx, bw, cfg)
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
	if *out != "-" {
		d := time.Since(start)
		fmt.Fprintf(e.stderr, "msgread gen: %d rows to %s in %v (%.2f M rows/s)\n", cfg.Rows, *out, d.Round(time.Millisecond), float64(cfg.Rows)/d.Seconds()/1e6)
	}
	return nil
}
