package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// appendTo appends text to the file at path.
func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// TestInputThatGrowsDuringTheRun: a run reads its input up to the size it
// had when the run opened it. A writer appending to it during the run
// left a half-written last line ("a777x,b777x,17" of
// "a777x,b777x,1700000000"), which the run read to the end it found and
// sent with read time 17. Now nothing appended during the run is read: the
// run ends as any other, every row it counted at the start reported, with
// a note that the input grew; a --resume of its report sends the rows
// appended, whole.
func TestInputThatGrowsDuringTheRun(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	const rows = 2000
	in := writeInput(t, rows)
	dir := t.TempDir()
	report, summary := filepath.Join(dir, "r.csv"), filepath.Join(dir, "s.json")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "1000", "--progress", "none",
			"--report", report, "--summary-json", summary, in}, e)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Marks()) < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("no calls after 10 s\n%s", errOut)
		}
		time.Sleep(5 * time.Millisecond)
	}
	appendTo(t, in, "a777x,b777x,17") // the writer is in the middle of a line
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the run did not end\n%s", errOut)
	}
	appendTo(t, in, "00000000\na778x,b778x,1700000000\n") // the writer ends it
	if runErr != nil || strings.Contains(errOut.String(), "BUG") || strings.Contains(errOut.String(), "please report") {
		t.Fatalf("a grown input: %v\n%s", runErr, errOut)
	}
	got := readReport(t, report)
	if len(got) != rows || got[rows+1].Status != reports.StatusOK || got[rows+2].Line != 0 {
		t.Errorf("%d rows reported, the last %+v; want %d, the last ok", len(got), got[rows+1], rows)
	}
	for _, m := range srv.Marks() {
		if m.ReportAccount == "a777x" {
			t.Errorf("the half-written line was sent: %+v", m)
		}
	}
	if n := len(srv.Marks()); n != rows {
		t.Errorf("%d pairs marked, want %d", n, rows)
	}
	if !strings.Contains(errOut.String(), fmt.Sprintf("note: the input grew during the run: its %d lines", rows+1)) ||
		!strings.Contains(errOut.String(), "a --resume of its report sends it") || strings.Contains(errOut.String(), "cut short") {
		t.Errorf("no note of the grown input:\n%s", errOut)
	}
	if doc := readSummary(t, summary); doc.Stop != nil || doc.InputRows != rows || doc.InputRowsTotal == nil || *doc.InputRowsTotal != rows {
		t.Errorf("summary: stop %+v, %d input rows of %v", doc.Stop, doc.InputRows, doc.InputRowsTotal)
	}

	// The resume sends the two rows appended, the first whole.
	again := filepath.Join(dir, "again.csv")
	e, _, errOut = testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none",
		"--resume", report, "--report", again, in}, e); err != nil {
		t.Fatalf("resume: %v\n%s", err, errOut)
	}
	if got := readReport(t, again); len(got) != rows+2 || got[rows+2].Status != reports.StatusOK || got[rows+3].Status != reports.StatusOK {
		t.Errorf("resume: %d rows reported, the last two %+v %+v", len(got), got[rows+2], got[rows+3])
	}
	marks := map[string]int64{}
	for _, m := range srv.Marks() {
		marks[m.ReportAccount] = m.ReadTime
	}
	if len(marks) != rows+2 || marks["a777x"] != 1700000000 || marks["a778x"] != 1700000000 {
		t.Errorf("after the resume: %d pairs marked, a777x at %d, a778x at %d", len(marks), marks["a777x"], marks["a778x"])
	}
}

// TestInputIsReadUpToItsSizeAtOpen: what is appended to a regular file
// input after it was opened is read neither by the run's reader nor by a
// reopening (the resume check's, check's second pass). A line the writer
// was in the middle of when the input was opened is its last line, without
// a line end, and is read as such a line always is (a file may lack its
// last newline); once the file grew, the note names it as perhaps cut
// short.
func TestInputIsReadUpToItsSizeAtOpen(t *testing.T) {
	ctx := context.Background()
	path := writeFile(t, t.TempDir(), "in.csv", "report_account,peer_account,msg_read_time\na,b,1600000000\nc,d,17")
	e, _, _ := testEnv(nil)
	in, err := openInput(ctx, e, path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	appendTo(t, path, "00000000\ne,f,1600000000\n")
	again, closeAgain, _, err := in.Reopen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAgain()
	for name, r := range map[string]interface {
		Next() (batch.Row, error)
		Counts() (int, int, int, bool)
	}{"the run's reader": in.Input, "a reopening": again} {
		var got []string
		for {
			row, err := r.Next()
			if err != nil {
				break
			}
			got = append(got, row.ReportAccount+","+row.PeerAccount+","+row.ReadTime)
		}
		lines, _, _, ended := r.Counts()
		if want := []string{"a,b,1600000000", "c,d,17"}; !slices.Equal(got, want) || lines != 3 || !ended {
			t.Errorf("%s: rows %q, %d lines (ended %v); want %q, 3 lines", name, got, lines, ended, want)
		}
	}
	if in.Lines != 3 {
		t.Errorf("%d lines; want 3", in.Lines)
	}
	if note := in.Changed(3); !strings.Contains(note, "the input grew during the run: its 3 lines") || !strings.Contains(note, "line 3, had no line end") {
		t.Errorf("note %q", note)
	}
}
