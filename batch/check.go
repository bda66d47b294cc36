package batch

import (
	"context"
	"errors"
	"hash/maphash"
	"io"
	"time"
)

// CheckResult counts what Check found in an input.
type CheckResult struct {
	// Rows counts the input's rows (one a line), Valid and Invalid them by
	// kind, and Duplicates the valid rows whose pair an earlier row has.
	Rows, Valid, Invalid, Duplicates int
	// Blank counts the blank lines passed over.
	Blank int
}

// Finding is one row Check reports: invalid (Invalid says why) or a
// duplicate of the row at DuplicateOf.
type Finding struct {
	Row
	DuplicateOf int
}

// Check reads every row of in without calling anything and hands each
// invalid or duplicate row to found, in input order. Duplicates are found
// by a 64-bit hash of each distinct valid pair, kept in memory. It returns
// ctx's error when ctx is done first, or the input's error.
func Check(ctx context.Context, in Source, found func(Finding)) (CheckResult, error) {
	var res CheckResult
	seed := maphash.MakeSeed()
	first := map[uint64]int{}
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		r, err := in.Next()
		if errors.Is(err, io.EOF) {
			_, _, res.Blank, _ = in.Counts()
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.Rows++
		if r.Invalid != "" {
			res.Invalid++
			found(Finding{Row: r})
			continue
		}
		res.Valid++
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteString(r.ReportAccount)
		h.WriteByte(0)
		h.WriteString(r.PeerAccount)
		key := h.Sum64()
		if line, dup := first[key]; dup {
			res.Duplicates++
			found(Finding{Row: r, DuplicateOf: line})
			continue
		}
		first[key] = r.Line
	}
}

// Estimate returns how long calls calls take under profile, at one call a
// row and before retries.
func Estimate(profile Profile, calls int) time.Duration {
	var sent float64
	var t time.Duration
	for step := time.Second; sent < float64(calls); t += step {
		r := profile.Rate(t)
		if sent+r >= float64(calls) {
			return t + time.Duration((float64(calls)-sent)/r*float64(time.Second))
		}
		sent += r
	}
	return t
}
