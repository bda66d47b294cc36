package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/crashpoint"
	"github.com/msgread/msgread/mockserver"

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

// TestResumeChainKilledAtEveryPhase kills resumed runs with SIGKILL at each
// phase of their life (reports.Open done and no call made, the carry-over
// of the done lines into a new report, its end before the report is named,
// mid-run with answers not yet reported, the final flush), into new
// reports and appended ones, always resuming from the newest report there
// is. The issue it guards: a new report that had not yet listed the done
// lines of the old one when its run died made the next resume send them
// again, thousands of rows ok in the first report. Across the chain no ok
// line is sent twice, the newest report lists every line, and the last
// run's re-sent count is exactly the lines it sent that the mock had seen.
func TestResumeChainKilledAtEveryPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it many times")
	}
	bin := buildBinary(t)
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	// Lines i%10 == 3 are invalid until the first fix, i%10 == 8 until the
	// second: each fix leaves a resume rows to send.
	input := func(fixed int) {
		var b strings.Builder
		b.WriteString("report_account,peer_account,msg_read_time\n")
		for i := range 6000 {
			peer := fmt.Sprintf("p%d", i%17)
			if (i%10 == 3 && fixed < 1) || (i%10 == 8 && fixed < 2) {
				peer = ""
			}
			fmt.Fprintf(&b, "u%d,%s,%d\n", i, peer, 1600000000+i)
		}
		if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runTo := func(report, resume, crash string, extra ...string) int {
		t.Helper()
		args := []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "2000", "--progress", "none", "--report", report}
		if resume != "" {
			args = append(args, "--resume", resume)
		}
		cmd := exec.Command(bin, append(append(args, extra...), in)...)
		cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey, crashpoint.Env+"="+crash)
		out, _ := cmd.CombinedOutput()
		code := cmd.ProcessState.ExitCode()
		if crash == "" && code > 1 || crash == "" && resume != "" && code != 0 {
			t.Logf("run to %s: exit %d\n%s", report, code, out)
		}
		// A run dies at its crash point, except one that had fewer calls to
		// make than its point's count.
		if crash != "" && code != -1 && !strings.HasPrefix(crash, "answered") {
			t.Fatalf("run to %s was to die at %s, exited %d:\n%s", report, crash, code, out)
		}
		if _, err := os.Stat(report + ".partial"); err == nil && crash != "carry:700" && crash != "carried" {
			t.Errorf("%s.partial left by a run killed at %s", report, crash)
		}
		return code
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	input(0)
	if code := runTo(filepath.Join(dir, "r1.csv"), "", ""); code != exitRowsFailed {
		t.Fatalf("first run: exit %d, want 1 (1200 invalid rows)", code)
	}
	input(1)
	chain := []string{filepath.Join(dir, "r1.csv")}
	steps := []struct{ report, crash string }{
		{"r2.csv", "opened"},      // the new report made, no call yet
		{"r3.csv", "carry:700"},   // during the carry-over: no r3
		{"r3.csv", "carried"},     // carried over, not yet named: no r3
		{"r3.csv", "answered:40"}, // mid-run, answers not yet reported
		{"", "answered:60"},       // appended to the newest
		{"r4.csv", "final"},       // the final flush
		{"", "final"},             // appended, the final flush
		{"r5.csv", "answered:1"},  // the first answer
	}
	for _, s := range steps {
		if s.report == "r5.csv" {
			input(2) // the second fix: the last killed run has rows to send
		}
		newest := chain[len(chain)-1]
		report := newest
		if s.report != "" {
			report = filepath.Join(dir, s.report)
		}
		runTo(report, newest, s.crash)
		if report != newest && exists(report) {
			chain = append(chain, report)
		}
		if s.crash == "carry:700" || s.crash == "carried" {
			if exists(report) {
				t.Fatalf("a run killed at %s left %s: a report missing done lines", s.crash, s.report)
			}
			os.Remove(report + ".partial") // litter of the kill, which the next run replaces anyway
		}
	}
	seen := map[string]bool{}
	for _, m := range srv.Marks() {
		seen[m.ReportAccount+">"+m.PeerAccount] = true
	}
	last := filepath.Join(dir, "r6.csv")
	sumPath := filepath.Join(dir, "last.json")
	if code := runTo(last, chain[len(chain)-1], "", "--summary-json", sumPath); code != exitOK {
		t.Fatalf("last run: exit %d", code)
	}
	chain = append(chain, last)
	assertChain(t, in, chain)

	resent := 0
	for _, r := range readReport(t, last) {
		if r.Status == reports.StatusOK && seen[r.ReportAccount+">"+r.PeerAccount] {
			resent++
		}
	}
	var doc struct {
		Resent int `json:"resent"`
	}
	data, _ := os.ReadFile(sumPath)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("summary: %v\n%s", err, data)
	}
	if doc.Resent != resent {
		t.Errorf("the last run says %d rows re-sent; %d of the lines it sent had reached the mock before", doc.Resent, resent)
	}
	if resent == 0 {
		t.Errorf("nothing was re-sent: the kill after the last run's first answer should have left one")
	}
}

// TestRunOnAFullDisk writes the report on a 1 MB filesystem: the run stops
// on "no space left on device" naming the report (exit 3), the summary's
// counts are the file's, and a resume elsewhere finishes every line once.
// It needs root to mount a tmpfs, and skips without.
func TestRunOnAFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	small := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", small).Run() })
	bin := buildBinary(t)
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 20000)
	report := filepath.Join(small, "r.csv")
	sumPath := filepath.Join(dir, "sum.json")
	cmd := exec.Command(bin, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "20000", "--progress", "none",
		"--report", report, "--failed", filepath.Join(dir, "failed.csv"), "--timeline", filepath.Join(dir, "t.csv"),
		"--html", filepath.Join(dir, "r.html"), "--summary-json", sumPath, in)
	cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey)
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitAborted {
		t.Fatalf("exit %d, want 3:\n%s", code, out)
	}
	// The report or its send log beside it on the same small disk, whichever
	// meets the full disk first: both name the report.
	named := strings.Contains(string(out), "writing "+report+": no space left on device") ||
		strings.Contains(string(out), "writing "+report+".sent: no space left on device")
	if !named || strings.Contains(string(out), "BUG") {
		t.Errorf("the stop does not name the report and the cause:\n%s", out)
	}
	var doc struct {
		Rows map[string]int `json:"rows"`
		Stop struct {
			Code string `json:"code"`
		} `json:"stop"`
	}
	data, _ := os.ReadFile(sumPath)
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("summary: %v\n%s", err, data)
	}
	inFile := len(readReport(t, report))
	if doc.Rows["ok"] != inFile || doc.Stop.Code != "output_error" {
		t.Errorf("summary says %d ok (stop %q); the report holds %d rows", doc.Rows["ok"], doc.Stop.Code, inFile)
	}
	// Space freed: the report moves to a roomy disk and the run resumes.
	moved := filepath.Join(dir, "r.csv")
	data, _ = os.ReadFile(report)
	os.WriteFile(moved, data, 0o600)
	log, _ := os.ReadFile(reports.SendLogPath(report))
	os.WriteFile(reports.SendLogPath(moved), log, 0o600)
	cmd = exec.Command(bin, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "20000", "--progress", "none",
		"--resume", moved, "--report", filepath.Join(dir, "r2.csv"), in)
	cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	assertChain(t, in, []string{moved, filepath.Join(dir, "r2.csv")})
}

// TestSummaryOnAFullDiskIsNoSuccess: a run whose summary JSON or HTML
// cannot be written on a full disk does not exit 0 (CI reads the summary):
// exit 3, naming the file. Needs root to mount a tmpfs, and skips without.
func TestSummaryOnAFullDiskIsNoSuccess(t *testing.T) {
	small := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", small).Run() })
	os.WriteFile(filepath.Join(small, "fill"), make([]byte, 64<<10), 0o600) // as full as it gets
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	in := writeInput(t, 50)
	for _, flag := range []string{"--summary-json", "--html"} {
		t.Run(flag, func(t *testing.T) {
			e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
			out := filepath.Join(small, strings.TrimPrefix(flag, "--")+".out")
			err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none",
				"--report", filepath.Join(t.TempDir(), "r.csv"), flag, out, in}, e)
			if exitCode(err) != exitAborted || !strings.Contains(err.Error()+errOut.String(), "no space left on device") {
				t.Fatalf("exit %d (%v), want 3 naming the full disk\n%s", exitCode(err), err, errOut)
			}
		})
	}
}

// TestPathsReachTheTerminalEscaped: a report path holding terminal escapes
// (a colour, a title) is shown escaped on stderr, never raw.
func TestPathsReachTheTerminalEscaped(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	report := filepath.Join(t.TempDir(), "rep\x1b[31m\x1b]0;T\a.csv")
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none",
		"--report", report, writeInput(t, 5)}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if strings.ContainsAny(errOut.String(), "\x1b\a") || !strings.Contains(errOut.String(), `rep\x1b[31m`) {
		t.Errorf("stderr holds the path's escapes raw:\n%q", errOut.String())
	}
}
