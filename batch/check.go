package batch

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"slices"
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

// Check reads every row of the input without calling anything and hands
// each invalid or duplicate row to found, in input order. open opens the
// input from its start; Check reads it twice. rows, when known (else 0),
// sizes its memory at once.
//
// The first pass decodes every row and keeps a 32-bit fingerprint of each
// valid row's pair (4 bytes a row) and a bit for each invalid row; sorted,
// the fingerprints show which came more than once. The second pass decodes
// only the invalid rows and those whose fingerprint came again, and
// compares the latter's pairs exactly, so every duplicate is found with the
// line of its first row and no pair is taken for another's duplicate. It
// returns ctx's error when ctx is done first, or the input's error.
func Check(ctx context.Context, open func() (*Input, error), rows int, found func(Finding)) (CheckResult, error) {
	in, err := open()
	if err != nil {
		return CheckResult{}, err
	}
	n, decode, err := firstPass(ctx, in, rows)
	if err != nil {
		return CheckResult{}, err
	}
	// The fingerprints go before the second pass, which keeps a bit a row.
	runtime.GC()
	if in, err = open(); err != nil {
		return CheckResult{}, err
	}
	return secondPass(ctx, in, n, decode, found)
}

// firstPass reads every row of in and returns how many there are and the
// rows to decode again: the invalid ones, and those whose fingerprint came
// twice. rows, when known (else 0), sizes the fingerprints at once.
func firstPass(ctx context.Context, in *Input, rows int) (n int, decode bits, err error) {
	fps, invalid, err := fingerprints(ctx, in, rows)
	if err != nil {
		return 0, nil, err
	}
	// Collect at the turns: the first pass's garbage (its decoded rows)
	// goes before the fingerprints are sorted, and the fingerprints (once
	// this returns) before the second pass. The arrays hold no pointers:
	// these collections cost little.
	runtime.GC()
	again := repeated(fps, invalid.has)
	// An invalid row's fingerprint is 0; if 0 came twice among valid rows,
	// its bit is set already.
	decode = invalid
	for i, fp := range fps {
		if _, ok := slices.BinarySearch(again, fp); ok {
			decode.set(i)
		}
	}
	return len(fps), decode, nil
}

// fingerprints reads every row of in and returns a fingerprint of each
// valid row's pair (4 bytes a row; 0 for an invalid row) and a bit for each
// invalid row.
func fingerprints(ctx context.Context, in *Input, rows int) (fps []uint32, invalid bits, err error) {
	var h maphash.Hash
	fps = make([]uint32, 0, max(rows, 0))
	err = eachRow(ctx, in, nil, func(r Row) {
		var fp uint32
		if r.Invalid != "" {
			invalid.set(len(fps))
		} else {
			h.Reset()
			h.WriteString(r.ReportAccount)
			h.WriteByte(0)
			h.WriteString(r.PeerAccount)
			x := h.Sum64()
			fp = uint32(x ^ x>>32)
		}
		fps = append(fps, fp)
	})
	return fps, invalid, err
}

// secondPass reads in again, decoding only the rows decode says (and any
// past the first pass's n rows), and hands found the invalid rows and the
// duplicates, in input order. A row count other than n is an input that
// changed between the passes.
func secondPass(ctx context.Context, in *Input, n int, decode bits, found func(Finding)) (CheckResult, error) {
	res := CheckResult{Rows: n}
	first := map[string]int{}
	seen := 0
	err := eachRow(ctx, in, func(i int) bool { return i >= n || decode.has(i) }, func(r Row) {
		seen++
		switch {
		case r.Invalid != "":
			res.Invalid++
			found(Finding{Row: r})
		case r.ReportAccount == "" || seen > n:
			// Not decoded: valid, its pair seen once. (Past the first
			// pass's rows, the input changed: see below.)
		default:
			key := r.ReportAccount + "\x00" + r.PeerAccount
			if line, dup := first[key]; dup {
				res.Duplicates++
				found(Finding{Row: r, DuplicateOf: line})
			} else {
				first[key] = r.Line
			}
		}
	})
	res.Valid = res.Rows - res.Invalid
	_, _, res.Blank, _ = in.Counts()
	if err == nil && seen != n {
		err = fmt.Errorf("%w: the input changed while it was checked (%d rows, then %d)", ErrBadInput, n, seen)
	}
	return res, err
}

// bits holds a bit a row, by the row's index.
type bits []uint64

// set sets row i's bit, growing b as needed.
func (b *bits) set(i int) {
	for len(*b) <= i/64 {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}

// has reports whether row i's bit is set.
func (b bits) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

// repeated returns, sorted, the fingerprints of valid rows that come more
// than once. It sorts them a sixteenth at a time (by their top 4 bits), so
// that its scratch space is a sixteenth of the fingerprints'.
func repeated(fps []uint32, isInvalid func(int) bool) []uint32 {
	var again, part []uint32
	for top := range uint32(16) {
		part = part[:0]
		for i, fp := range fps {
			if fp>>28 == top && !isInvalid(i) {
				part = append(part, fp)
			}
		}
		slices.Sort(part)
		for i := 1; i < len(part); i++ {
			if part[i] == part[i-1] && (len(again) == 0 || again[len(again)-1] != part[i]) {
				again = append(again, part[i])
			}
		}
	}
	return again
}

// eachRow hands each row of in to f until the end, ctx is done or the input
// fails; decode, when set, says which rows to decode (see NextIf).
func eachRow(ctx context.Context, in *Input, decode func(int) bool, f func(Row)) error {
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r, err := in.NextIf(decode)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		f(r)
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
