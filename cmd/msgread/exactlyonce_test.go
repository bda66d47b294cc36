package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// The eight ways the exactly-once promise broke before, each end to end.

// runArgs runs msgread against srv and returns stderr and the error.
func runArgs(t *testing.T, srv *mockserver.Server, args ...string) (string, error) {
	t.Helper()
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	full := append([]string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none"}, args...)
	err := run(context.Background(), full, e)
	return errOut.String(), err
}

// reportText is a report of ok rows for lines from..to of writeInput's input,
// then tail as it is.
func reportText(from, to int, tail string) string {
	var b strings.Builder
	b.WriteString(strings.Join(reports.Header, ",") + "\n")
	for line := from; line <= to; line++ {
		fmt.Fprintf(&b, "%d,u%d,p%d,%d,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n", line, line-2, (line-2)%13, 1600000000+line-2)
	}
	return b.String() + tail
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// 1. A stray quote costs its own line, not the rest of the file; check
// counts every line too.
func TestStrayQuoteCostsOneLine(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	var b strings.Builder
	b.WriteString("report_account,peer_account\n")
	for i := range 2000 {
		if i == 4 {
			b.WriteString("u4,\"p4\n")
			continue
		}
		fmt.Fprintf(&b, "u%d,p%d\n", i, i)
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", b.String())
	report := filepath.Join(dir, "r.csv")
	stderr, err := runArgs(t, srv, "--report", report, in)
	if exitCode(err) != exitRowsFailed {
		t.Fatalf("exit %d (%v)\n%s", exitCode(err), err, stderr)
	}
	assertChain(t, in, []string{report})
	if got := readReport(t, report); got[6].Status != reports.StatusInvalid || !strings.Contains(got[6].ErrorInfo, "CSV syntax") {
		t.Errorf("line 6: %+v", got[6])
	}
	if n := srv.Stats().Requests; n != 1999 {
		t.Errorf("%d calls, want 1999", n)
	}
	e, out, _ := testEnv(nil)
	run(context.Background(), []string{"check", in}, e)
	if !strings.Contains(out.String(), "2000 rows: 1999 valid, 1 invalid") {
		t.Errorf("check says:\n%s", out)
	}
}

// 2. No output overwrites a file: --summary-json aimed at the input or the
// resumed report is refused before any call, for run and load alike.
func TestOutputsNeverOverwrite(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 30)
	inBefore, _ := os.ReadFile(in)
	old := writeFile(t, dir, "old.csv", reportText(2, 11, ""))
	oldBefore, _ := os.ReadFile(old)
	for name, args := range map[string][]string{
		"summary on the input":           {"--report", filepath.Join(dir, "a.csv"), "--summary-json", in, in},
		"summary on the resumed report":  {"--resume", old, "--report", filepath.Join(dir, "b.csv"), "--summary-json", old, in},
		"failed rows on the input":       {"--report", filepath.Join(dir, "c.csv"), "--failed", in, in},
		"report on the input":            {"--report", in, in},
		"report on standard output":      {"--report", "-", in},
		"summary on the report":          {"--report", filepath.Join(dir, "d.csv"), "--summary-json", filepath.Join(dir, "d.csv"), in},
		"summary on the appended report": {"--resume", old, "--report", old, "--summary-json", old, in},
	} {
		t.Run(name, func(t *testing.T) {
			stderr, err := runArgs(t, srv, args...)
			if exitCode(err) != exitUsage || srv.Stats().Requests != 0 {
				t.Fatalf("exit %d (%v), %d calls; want 2 and none\n%s", exitCode(err), err, srv.Stats().Requests, stderr)
			}
		})
	}
	if after, _ := os.ReadFile(in); string(after) != string(inBefore) {
		t.Error("the input changed")
	}
	if after, _ := os.ReadFile(old); string(after) != string(oldBefore) {
		t.Error("the resumed report changed")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "[abcd]*")); len(left) > 0 {
		t.Errorf("refused runs left files behind: %v", left)
	}
	e, _, _ := testEnv(nil)
	err := run(context.Background(), []string{"load", "--rows", "10", "--progress", "none", "--report", filepath.Join(dir, "l.csv"), "--summary-json", in}, e)
	if exitCode(err) != exitUsage {
		t.Errorf("load with --summary-json on a file: exit %d (%v), want 2", exitCode(err), err)
	}
	if after, _ := os.ReadFile(in); string(after) != string(inBefore) {
		t.Error("load overwrote the input")
	}
}

// 3. A last row complete but for its newline is torn: it is not done, the
// append cuts it, and its line is sent again and reported once.
func TestResumeTornRowWithoutNewline(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	in := writeInput(t, 30)
	text := reportText(2, 12, "")
	report := writeFile(t, t.TempDir(), "r.csv", strings.TrimSuffix(text, "\n"))
	stderr, err := runArgs(t, srv, "--resume", report, "--report", report, in)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	assertChain(t, in, []string{report})
	if n := srv.Stats().Requests; n != 20 {
		t.Errorf("%d calls, want 20: lines 2-11 were done, 12 was torn", n)
	}
	if got := readReport(t, report); got[12].Status != reports.StatusOK {
		t.Errorf("line 12: %+v", got[12])
	}
}

// 4. A torn row with a quote left open is cut whole; the rows appended after
// it are rows, and a second resume reads them.
func TestResumeTornRowWithOpenQuote(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	in := writeInput(t, 30)
	report := writeFile(t, t.TempDir(), "r.csv", reportText(2, 10, `11,u9,p9,1600000009,failed,90003,"the server said`))
	if stderr, err := runArgs(t, srv, "--resume", report, "--report", report, in); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	assertChain(t, in, []string{report})
	before := srv.Stats().Requests
	if stderr, err := runArgs(t, srv, "--resume", report, "--report", report, in); err != nil {
		t.Fatalf("second resume: %v\n%s", err, stderr)
	}
	if n := srv.Stats().Requests - before; n != 0 {
		t.Errorf("the second resume sent %d rows, want none", n)
	}
	assertChain(t, in, []string{report})
}

// 5. Every done line is checked, not a sample: a row inserted anywhere
// stops the resume before the first call.
func TestResumeInsertedRowStopsBeforeAnyCall(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 3000)
	old := writeFile(t, dir, "old.csv", reportText(2, 3001, ""))
	data, _ := os.ReadFile(in)
	lines := strings.SplitAfter(string(data), "\n")
	edited := strings.Join(lines[:1500], "") + "new,row,1600000000\n" + strings.Join(lines[1500:], "")
	in2 := writeFile(t, dir, "in2.csv", edited)
	stderr, err := runArgs(t, srv, "--resume", old, "--report", filepath.Join(dir, "r.csv"), in2)
	if exitCode(err) != exitAborted || !strings.Contains(err.Error(), "input line 1501 is new → row") || srv.Stats().Requests != 0 {
		t.Fatalf("exit %d (%v), %d calls; want 3 naming line 1501 and no call\n%s", exitCode(err), err, srv.Stats().Requests, stderr)
	}
}

// 6. Only ok lines are done: an invalid row fixed in the input since is sent.
func TestResumeSendsAFixedInvalidRow(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 20, "bad row,p1,1")
	report := filepath.Join(dir, "r1.csv")
	if _, err := runArgs(t, srv, "--report", report, in); exitCode(err) != exitRowsFailed {
		t.Fatalf("exit %d (%v), want 1", exitCode(err), err)
	}
	data, _ := os.ReadFile(in)
	os.WriteFile(in, []byte(strings.Replace(string(data), "bad row,p1,1", "fixed,p1,1700000000", 1)), 0o644)
	r2 := filepath.Join(dir, "r2.csv")
	if stderr, err := runArgs(t, srv, "--resume", report, "--report", r2, in); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if got := readReport(t, r2); got[22].Status != reports.StatusOK {
		t.Errorf("the fixed line 22: %+v", got[22])
	}
	if n := srv.Stats().Requests; n != 21 {
		t.Errorf("%d calls, want 21", n)
	}
	assertChain(t, in, []string{report, r2})
}

// 7. A report in use is locked: a second run on it refuses with exit 2 and
// says who holds it.
func TestReportInUseIsRefused(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 20)
	report := writeFile(t, dir, "r.csv", reportText(2, 5, ""))
	lock, err := reports.LockFile(report, "msgread run (the first)")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--resume", report, "--report", report, in},
		{"--resume", report, "--report", filepath.Join(dir, "r2.csv"), in},
	} {
		stderr, err := runArgs(t, srv, args...)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "in use by another run") || !strings.Contains(err.Error(), "msgread run (the first)") {
			t.Errorf("exit %d (%v); want 2 naming the holder\n%s", exitCode(err), err, stderr)
		}
	}
	lock.Release()
	if srv.Stats().Requests != 0 {
		t.Errorf("%d calls while the report was locked", srv.Stats().Requests)
	}
	if stderr, err := runArgs(t, srv, "--resume", report, "--report", report, in); err != nil {
		t.Fatalf("after the lock was released: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(report + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the lock file stayed: %v", err)
	}
}

// 8. A line number that is no data line of the input is refused before any
// call.
func TestResumeCorruptLineNumber(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 20)
	for name, tail := range map[string]string{
		"past the end": "99999999999,u1,p1,1600000001,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n",
		"the header":   "1,u1,p1,1600000001,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n",
		"not a number": "x7,u1,p1,1600000001,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n",
		"too large":    "99999999999999999999999,u1,p1,1600000001,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n",
	} {
		t.Run(name, func(t *testing.T) {
			old := writeFile(t, dir, strings.ReplaceAll(name, " ", "-")+".csv", reportText(2, 5, tail))
			stderr, err := runArgs(t, srv, "--resume", old, "--report", filepath.Join(dir, "new-"+filepath.Base(old)), in)
			if exitCode(err) != exitUsage || srv.Stats().Requests != 0 {
				t.Fatalf("exit %d (%v), %d calls; want 2 and none\n%s", exitCode(err), err, srv.Stats().Requests, stderr)
			}
		})
	}
}
