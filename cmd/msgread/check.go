package main

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"time"

	"github.com/msgread/msgread/batch"
)

func runCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "check", "INPUT.csv", `
Validates INPUT.csv (or - for standard input) without calling anything: counts
the rows, lists the invalid ones with their line and reason, counts duplicate
pairs (sent twice, harmless but wasted), and estimates the run's wall time at
--rate. Exit 0 when every row is valid, 1 when some are not, 2 when the file
itself is unusable.

Duplicate detection keeps a 64-bit hash per distinct pair in memory: checking
1 M distinct pairs peaks at about 70 MB, so plan for several hundred MB per
10 M.`)
	rate := fs.Float64("rate", batch.DefaultRate, "the run's ceiling in `calls/s`, for the estimate")
	show := fs.Int("show", 20, "list at most this many invalid rows and duplicates")
	rest, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return usageError("check takes exactly one INPUT.csv (or - for standard input)")
	}
	if *rate <= 0 {
		return usageError("--rate must be positive")
	}
	in, err := openInput(e, rest[0])
	if err != nil {
		return err
	}
	defer in.close()

	var total, invalid, dups int
	seed := maphash.MakeSeed()
	firstLine := map[uint64]int{}
	for ctx.Err() == nil {
		r, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return inputError(rest[0], err)
		}
		total++
		if r.Invalid != "" {
			invalid++
			if invalid <= *show {
				fmt.Fprintf(e.stdout, "line %d: invalid: %s\n", r.Line, r.Invalid)
			}
			continue
		}
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteString(r.ReportAccount)
		h.WriteByte(0)
		h.WriteString(r.PeerAccount)
		key := h.Sum64()
		if first, ok := firstLine[key]; ok {
			dups++
			if dups <= *show {
				fmt.Fprintf(e.stdout, "line %d: duplicate of line %d (%s → %s)\n", r.Line, first, r.ReportAccount, r.PeerAccount)
			}
			continue
		}
		firstLine[key] = r.Line
	}
	if ctx.Err() != nil {
		return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
	}
	valid := total - invalid
	if invalid > *show || dups > *show {
		fmt.Fprintf(e.stdout, "(listing stopped at %d; --show sets how many)\n", *show)
	}
	est := time.Duration(float64(valid) / *rate * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(e.stdout, "%d rows: %d valid, %d invalid; %d duplicate pairs\n", total, valid, invalid, dups)
	fmt.Fprintf(e.stdout, "estimated run: %s at %.0f calls/s (one call a valid row, before retries)\n", est, *rate)
	if invalid > 0 {
		return &exitError{code: exitRowsFailed, err: errSilent}
	}
	return nil
}
