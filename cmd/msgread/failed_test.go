package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgread/msgread/reports"
)

// TestFailedRowsKeepTheInputsLines: the failed-rows file starts with the
// input's header line and holds each failed or given-up row's line byte
// for byte (every column, the input's spelling, quoting and line ends;
// one worker keeps them in input order),
// and feeds straight back to run.
func TestFailedRowsKeepTheInputsLines(t *testing.T) {
	_, srv := newScripted(t, map[string][]answer{
		"bad1": {{200, envelope(70107, "no such user")}},
		"bad2": {{200, envelope(70107, "no such user")}},
	})
	dir := t.TempDir()
	header := "\ufeffid,Report_Account,Peer_Account,MsgReadTime,note\r\n"
	lines := []string{
		"1,ok1,p,1700000000,first\r\n",
		"2,bad1,p,1700000001,\"a, \"\"quoted\"\" note\"\r\n",
		"3,ok2,p,,x\r\n",
		"4,bad2,p,2023-11-14T22:13:20Z,last without a line end",
	}
	in := writeFile(t, dir, "in.csv", header+strings.Join(lines, ""))
	report := filepath.Join(dir, "r.csv")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--workers", "1", "--progress", "none", "--report", report, in}, e)
	if exitCode(err) != exitRowsFailed {
		t.Fatalf("exit %d (%v), want 1\n%s", exitCode(err), err, errOut)
	}
	failed, err := os.ReadFile(filepath.Join(dir, "r.failed.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := header + lines[1] + lines[3] + "\r\n"
	if !bytes.Equal(failed, []byte(want)) {
		t.Errorf("failed-rows file:\n%q\nwant\n%q", failed, want)
	}
	// Fed back, it runs those rows, at their own lines.
	e, _, errOut = testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	again := filepath.Join(dir, "again.csv")
	err = run(context.Background(), []string{"run", "--endpoint", srv.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none", "--report", again, filepath.Join(dir, "r.failed.csv")}, e)
	if exitCode(err) != exitRowsFailed {
		t.Fatalf("re-run: exit %d (%v)\n%s", exitCode(err), err, errOut)
	}
	if got := readReport(t, again); len(got) != 2 || got[2].ReportAccount != "bad1" || got[3].MsgReadTime != "2023-11-14T22:13:20Z" || got[2].Status != reports.StatusFailed {
		t.Errorf("re-run report: %+v", got)
	}
}
