package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// TestInputThatGrowsDuringTheRun: rows appended to the input while it runs
// are read (a run reads to the end it finds), sent and reported once, and
// the run ends as any other, with a note: it ended in "BUG: the report does
// not account for every input row ... please report this", exit 3.
func TestInputThatGrowsDuringTheRun(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	const rows, added = 2000, 100
	in := writeInput(t, rows)
	dir := t.TempDir()
	report, summary := filepath.Join(dir, "r.csv"), filepath.Join(dir, "s.json")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--rate", "1000", "--progress", "none",
			"--report", report, "--summary-json", summary, in}, e)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Marks()) < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("no calls after 10 s\n%s", errOut)
		}
		time.Sleep(5 * time.Millisecond)
	}
	f, err := os.OpenFile(in, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range added {
		fmt.Fprintf(f, "added%d,p,1600000000\n", i)
	}
	f.Close()
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the run did not end\n%s", errOut)
	}
	if runErr != nil || strings.Contains(errOut.String(), "BUG") || strings.Contains(errOut.String(), "please report") {
		t.Fatalf("a grown input: %v\n%s", runErr, errOut)
	}
	got := readReport(t, report)
	if len(got) != rows+added || got[rows+added+1].ReportAccount != fmt.Sprint("added", added-1) || got[rows+added+1].Status != reports.StatusOK {
		t.Errorf("%d rows reported, the last %+v; want %d, the last added ok", len(got), got[rows+added+1], rows+added)
	}
	if n := len(srv.Marks()); n != rows+added {
		t.Errorf("%d pairs marked, want %d", n, rows+added)
	}
	if !strings.Contains(errOut.String(), fmt.Sprintf("the input grew during the run: it had %d lines at the start, and %d were read", rows+1, rows+added+1)) {
		t.Errorf("no note of the grown input:\n%s", errOut)
	}
	if doc := readSummary(t, summary); doc.Stop != nil || doc.InputRows != rows+added || doc.InputRowsTotal == nil || *doc.InputRowsTotal != rows+added {
		t.Errorf("summary: stop %+v, %d input rows of %v", doc.Stop, doc.InputRows, doc.InputRowsTotal)
	}
}
