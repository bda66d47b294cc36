package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports"
)

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(path, []byte("report_account,peer_account,msg_read_time\na,b,1\nc,d,\na,b,2\n,x,\ne,f,1700000000000\n"), 0o644)
	e, out, _ := testEnv(nil)
	err := run(context.Background(), []string{"check", "--rate", "2", path}, e)
	if exitCode(err) != exitRowsFailed {
		t.Fatalf("exit %d (%v), want 1 for invalid rows", exitCode(err), err)
	}
	for _, want := range []string{
		"line 4: duplicate of line 2 (a → b)",
		"line 5: invalid: report_account is empty",
		"line 6: invalid: msg_read_time \"1700000000000\" has 13 digits: milliseconds?",
		"5 rows: 3 valid, 2 invalid; 1 duplicate pairs",
		"estimated run: 2s at 2 calls/s",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	os.WriteFile(path, []byte("report_account,peer_account\na,b\n"), 0o644)
	e, _, _ = testEnv(nil)
	if err := run(context.Background(), []string{"check", path}, e); err != nil {
		t.Errorf("a clean file: %v, want exit 0", err)
	}
	os.WriteFile(path, []byte("who,whom\na,b\n"), 0o644)
	e, _, _ = testEnv(nil)
	if err := run(context.Background(), []string{"check", path}, e); exitCode(err) != exitUsage || !strings.Contains(err.Error(), "report_account") {
		t.Errorf("a file without the columns: %v, want exit 2 naming the column", err)
	}
}

func TestCheckReadsStdin(t *testing.T) {
	e, out, _ := testEnv(nil)
	// Read twice: the second pass reads a temporary copy, removed after.
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "msgread-check-*"))
	e.stdin = strings.NewReader("Report_Account,Peer_Account\r\na,b\r\nc,d\r\na,b\r\n")
	if err := run(context.Background(), []string{"check", "-"}, e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "line 4: duplicate of line 2 (a → b)") || !strings.Contains(out.String(), "3 rows: 3 valid, 0 invalid; 1 duplicate pairs") {
		t.Errorf("output: %s", out)
	}
	if after, _ := filepath.Glob(filepath.Join(os.TempDir(), "msgread-check-*")); len(after) > len(before) {
		t.Errorf("the temporary copy was left behind: %v", after)
	}
}

func TestProgressLine(t *testing.T) {
	var pc batch.Pace
	pc.Add(batch.Progress{Done: 0, Elapsed: 0, ByStatus: map[reports.Status]int64{}})
	p := batch.Progress{Done: 500, Attempts: 510, Retries: 10, InFlight: 3, Elapsed: 10 * time.Second,
		ByStatus: map[reports.Status]int64{reports.StatusOK: 490, reports.StatusFailed: 4, reports.StatusGaveUp: 1, reports.StatusInvalid: 5}}
	pc.Add(p)
	line := progressLine(p, 2000, &pc)
	for _, want := range []string{"done 500 of 2000 input rows (25.0%), 1500 remaining", "50.0 rows/s over the last minute",
		"ok 490, failed 4, gave_up 1, invalid 5", "510 calls (10 retries)", "ETA 30s"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line lacks %q: %s", want, line)
		}
	}
}
