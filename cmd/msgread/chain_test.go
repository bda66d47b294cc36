package main

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports"
)

// inputRows reads an input file as msgread does.
func inputRows(t *testing.T, path string) []batch.Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := batch.NewInput(f)
	if err != nil {
		t.Fatal(err)
	}
	var rows []batch.Row
	for {
		r, err := in.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
}

// assertChain asserts msgread's first promise over the reports of a chain of
// runs on one input (oldest first; a report appended to is listed once):
// every input line has exactly one final status. That is:
//   - a line is ok in at most one row of the whole chain: a done line is
//     never sent again;
//   - a line's last row in a report is its status there; a line has more
//     than one row only in a report appended to, after a status that is not
//     final (failed, gave_up, invalid);
//   - a skipped row stands for an ok in an earlier report;
//   - the newest report holds every input line and no other, valid lines
//     ok or skipped, invalid lines invalid.
func assertChain(t *testing.T, input string, chain []string) {
	t.Helper()
	oks := map[int]string{}
	var newest map[int]reports.Status
	for _, path := range chain {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := reports.ReadAll(f) // a torn last line is left out
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		latest := map[int]reports.Status{}
		for _, r := range recs {
			if prev, again := latest[r.Line]; again && (prev == reports.StatusOK || prev == reports.StatusSkipped) {
				t.Errorf("%s: line %d is %s after it was %s", path, r.Line, r.Status, prev)
			}
			latest[r.Line] = r.Status
			switch r.Status {
			case reports.StatusOK:
				if first, twice := oks[r.Line]; twice {
					t.Errorf("line %d is ok in %s and again in %s: sent after it was done", r.Line, first, path)
				}
				oks[r.Line] = path
			case reports.StatusSkipped:
				if _, ok := oks[r.Line]; !ok {
					t.Errorf("%s: line %d is skipped, but no earlier report has it ok", path, r.Line)
				}
			}
		}
		newest = latest
	}
	rows := inputRows(t, input)
	for _, r := range rows {
		want := []reports.Status{reports.StatusOK, reports.StatusSkipped}
		if r.Invalid != "" {
			want = []reports.Status{reports.StatusInvalid}
		}
		got, ok := newest[r.Line]
		if !ok || (got != want[0] && (len(want) == 1 || got != want[1])) {
			t.Errorf("line %d: %q in the newest report, want %v", r.Line, got, want)
		}
		delete(newest, r.Line)
	}
	for line, st := range newest {
		t.Errorf("the newest report has line %d (%s), which is no row of the input", line, st)
	}
}
