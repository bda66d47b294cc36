package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// TestInputCutDuringTheRunStops: an input truncated during the run, the
// new end landing in the middle of a line's msg_read_time ("u5000,p8,16000"
// of "u5000,p8,1600005000"), made the reader meet its end early: the cut
// line was sent with read time 16000, and the run exited 0 with a note,
// the rows after it silently never run. Now the run stops with exit 3 and
// stop input_error, naming the file and both sizes; the cut line never
// reaches the service; the rows finished stay in the report, and a
// --resume once the input is restored sends the rest, the cut line whole.
func TestInputCutDuringTheRunStops(t *testing.T) {
	srv := hostileMock(t)
	const rows, cutRow = 4500, 4000 // the cut is far past the reader's 64 KiB buffer
	in := writeInput(t, rows)
	original, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	lineStart := strings.Index(string(original), fmt.Sprintf("\nu%d,", cutRow)) + 1
	cutAt := int64(lineStart + len(fmt.Sprintf("u%d,p%d,16000", cutRow, cutRow%13)))
	dir := t.TempDir()
	report, summary := filepath.Join(dir, "r.csv"), filepath.Join(dir, "s.json")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "20000", "--progress", "none",
			"--report", report, "--summary-json", summary, in}, e)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Stats().Requests < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("no calls after 10 s\n%s", errOut)
		}
		time.Sleep(time.Millisecond)
	}
	if err := os.Truncate(in, cutAt); err != nil {
		t.Fatal(err)
	}
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the run did not end\n%s", errOut)
	}
	if code := exitCode(runErr); code != exitAborted {
		t.Fatalf("exit %d (%v), want %d\n%s", code, runErr, exitAborted, errOut)
	}
	// The cut is seen at the reader's next read of the file: the last line
	// read whole is before the cut, maybe well before it.
	for _, want := range []string{in, fmt.Sprintf("had %d bytes", len(original)), fmt.Sprintf("ends at %d bytes now (it was cut or rewritten)", cutAt),
		"was the last read whole"} {
		if !strings.Contains(runErr.Error(), want) {
			t.Errorf("the error %q does not say %q", runErr, want)
		}
	}
	if strings.Contains(errOut.String(), "note:") || strings.Contains(errOut.String(), "please report") {
		t.Errorf("a note or an accounting fault:\n%s", errOut)
	}
	doc := readSummary(t, summary)
	if doc.Stop == nil || doc.Stop.Code != digest.StopInputError || doc.ExitCode != exitAborted {
		t.Errorf("summary: stop %+v, exit %d; want %s, %d", doc.Stop, doc.ExitCode, digest.StopInputError, exitAborted)
	}
	for _, m := range srv.Marks() {
		if m.ReadTime < 1600000000 || m.ReportAccount == fmt.Sprintf("u%d", cutRow) {
			t.Errorf("a cut row reached the mock: %+v", m)
		}
	}
	got := readReport(t, report)
	for line, r := range got {
		if line > cutRow+1 || r.Status != reports.StatusOK {
			t.Errorf("report line %d: %+v", line, r)
		}
	}
	if marks := len(srv.Marks()); marks != len(got) || marks == 0 || marks > cutRow {
		t.Errorf("%d pairs marked, %d rows reported; want the same, at most %d", marks, len(got), cutRow)
	}

	// The input restored, a resume sends the rest, the cut row whole.
	if err := os.WriteFile(in, original, 0o644); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "again.csv")
	e, _, errOut = testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "20000", "--progress", "none",
		"--resume", report, "--report", again, in}, e); err != nil {
		t.Fatalf("resume: %v\n%s", err, errOut)
	}
	if got := readReport(t, again); len(got) != rows {
		t.Errorf("resume: %d rows reported, want %d", len(got), rows)
	}
	marks := map[string]int64{}
	for _, m := range srv.Marks() {
		marks[m.ReportAccount] = m.ReadTime
	}
	if len(marks) != rows || marks[fmt.Sprintf("u%d", cutRow)] != 1600000000+cutRow {
		t.Errorf("after the resume: %d pairs marked, the cut row at %d", len(marks), marks[fmt.Sprintf("u%d", cutRow)])
	}
}

// TestInputCutBeforeTheFirstCallIsUsage: an input cut between its opening
// and the resume's check of it (before the first call) is refused as a bad
// input is, exit 2, naming the shrink; nothing is sent.
func TestInputCutBeforeTheFirstCallIsUsage(t *testing.T) {
	srv := hostileMock(t)
	in := writeInput(t, 10)
	report := filepath.Join(t.TempDir(), "r.csv")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none", "--report", report, in}, e); err != nil {
		t.Fatalf("first run: %v\n%s", err, errOut)
	}
	ctx := context.Background()
	input, err := openInput(ctx, e, in)
	if err != nil {
		t.Fatal(err)
	}
	defer input.Close()
	st, err := os.Stat(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(in, st.Size()-5); err != nil {
		t.Fatal(err)
	}
	cfg := batch.JobConfig{Command: "run", Input: input, Runner: batch.Config{Caller: refuseCalls{t}},
		Files: reports.Plan{Report: filepath.Join(t.TempDir(), "r2.csv"), Resume: report, Holder: "test", NoFailed: true}}
	job, err := batch.OpenJob(ctx, cfg)
	if job != nil {
		job.Abandon()
	}
	err = setupError(err, cfg)
	if code := exitCode(err); code != exitUsage || !strings.Contains(fmt.Sprint(err), "shrank") || !strings.Contains(fmt.Sprint(err), in) {
		t.Errorf("exit %d: %v; want %d naming the shrunken input", code, err, exitUsage)
	}
}

// refuseCalls is a caller that fails its test when called.
type refuseCalls struct{ t *testing.T }

func (c refuseCalls) MarkRead(context.Context, chatapi.Request) batch.Result {
	c.t.Error("a call was made")
	return batch.Result{}
}
