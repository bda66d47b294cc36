package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

// buildBinary builds msgread into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "msgread")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func fileLines(t *testing.T, path string) int {
	data, _ := os.ReadFile(path)
	return strings.Count(string(data), "\n")
}

// TestCrashResume is the crash test (make crashtest): a run of 6000 rows is
// killed with SIGKILL mid-run, resumed and killed again, then resumed to the
// end. The reports together must hold every input line exactly once as a
// final status, and the mock must have every valid pair marked with its read
// time.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it three times")
	}
	bin := buildBinary(t)
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Ceiling: -1})
	const rows = 6000
	var b strings.Builder
	b.WriteString("report_account,peer_account,msg_read_time\n")
	valid := map[string]int64{}
	for i := range rows {
		if i%500 == 7 {
			fmt.Fprintf(&b, "user%d,,%d\n", i, 1600000000+i) // invalid: no peer
			continue
		}
		fmt.Fprintf(&b, "user%d,peer%d,%d\n", i, i%17, 1600000000+i)
		valid[fmt.Sprintf("user%d>peer%d", i, i%17)] = int64(1600000000 + i)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte(b.String()), 0o644)

	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"run", "--endpoint", srv.URL(), "--rate", "1500", "--progress", "none"}, args...)...)
		cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	killWhen := func(cmd *exec.Cmd, report string, lines int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for fileLines(t, report) < lines {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("%s did not reach %d lines", report, lines)
			}
			time.Sleep(10 * time.Millisecond)
		}
		cmd.Process.Kill() // SIGKILL: no draining, no flushing
		cmd.Wait()
	}
	r1, r2, r3 := filepath.Join(dir, "r1.csv"), filepath.Join(dir, "r2.csv"), filepath.Join(dir, "r3.csv")
	killWhen(start("--report", r1, in), r1, 1500)
	n1 := fileLines(t, r1)
	killWhen(start("--resume", r1, "--report", r2, in), r2, n1+1500)
	final := start("--resume", r2, "--report", r3, "--summary-json", filepath.Join(dir, "s3.json"), in)
	final.Wait()
	if code := final.ProcessState.ExitCode(); code != exitRowsFailed {
		t.Fatalf("the last run exited %d, want 1 (some rows are invalid)", code)
	}

	// Every line's final status, exactly once across the chain.
	final3 := map[int]reports.Status{}
	for _, path := range []string{r1, r2, r3} {
		data, _ := os.ReadFile(path)
		// A killed run may leave a torn last row: it does not count.
		text := string(data)
		if !strings.HasSuffix(text, "\n") {
			text = text[:strings.LastIndex(text, "\n")+1]
		}
		recs, err := reports.ReadAll(strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, rec := range recs {
			if rec.Status == reports.StatusSkipped {
				continue
			}
			if prev, dup := final3[rec.Line]; dup {
				t.Errorf("line %d has a final status twice (%s, then %s in %s)", rec.Line, prev, rec.Status, filepath.Base(path))
			}
			final3[rec.Line] = rec.Status
		}
	}
	for line := 2; line <= rows+1; line++ {
		want := reports.StatusOK
		if (line-2)%500 == 7 {
			want = reports.StatusInvalid
		}
		if final3[line] != want {
			t.Errorf("line %d: final status %q, want %s", line, final3[line], want)
		}
	}
	// The newest report alone lists every line once.
	recs3 := readReport(t, r3)
	if len(recs3) != rows {
		t.Errorf("the last report has %d lines, want all %d", len(recs3), rows)
	}
	// The mock marked every valid pair, with its read time.
	marks := srv.Marks()
	if len(marks) != len(valid) {
		t.Errorf("mock marked %d pairs, want %d", len(marks), len(valid))
	}
	for _, m := range marks {
		if want := valid[m.ReportAccount+">"+m.PeerAccount]; m.ReadTime != want {
			t.Errorf("%s→%s read at %d, want %d", m.ReportAccount, m.PeerAccount, m.ReadTime, want)
		}
	}
	var sum struct {
		Resent int            `json:"resent"`
		Status map[string]int `json:"by_status"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "s3.json"))
	json.Unmarshal(data, &sum)
	t.Logf("run 1 reported %d rows, run 2 %d; the last run skipped %d and re-sent %d", n1-1, fileLines(t, r2)-1, sum.Status["skipped"], sum.Resent)
	if sum.Status["skipped"] == 0 {
		t.Error("the last run skipped nothing")
	}
}

// TestResumeAppendsToTheSameReport resumes into the old report itself: new
// rows are appended after a torn last row is cut off, and no line is listed
// twice.
func TestResumeAppendsToTheSameReport(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Ceiling: -1})
	in := writeInput(t, 50)
	report := filepath.Join(t.TempDir(), "r.csv")
	var b strings.Builder
	b.WriteString(strings.Join(reports.Header, ",") + "\n")
	for line := 2; line <= 21; line++ {
		fmt.Fprintf(&b, "%d,u%d,p%d,%d,ok,0,,200,1,1,2026-11-25T10:00:00.000Z\n", line, line-2, (line-2)%13, 1600000000+line-2)
	}
	b.WriteString("22,u20,p7,1600000020,ok,0,,2") // torn
	os.WriteFile(report, []byte(b.String()), 0o644)
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--rate", "5000", "--progress", "none", "--resume", report, "--report", report, in}, e)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	got := readReport(t, report) // fails on a line listed twice
	if len(got) != 50 {
		t.Fatalf("%d lines in the report, want 50", len(got))
	}
	if n := srv.Stats().Requests; n != 30 {
		t.Errorf("%d calls, want 30: lines 2-21 were done, 22 was torn", n)
	}
	if !strings.Contains(errOut.String(), "20 lines done") || !strings.Contains(errOut.String(), "torn last row") {
		t.Errorf("resume banner:\n%s", errOut)
	}
}

// TestResumeWithAnotherInputStops: resuming with an input that is not the
// one the report was made from would skip the wrong rows; it stops instead.
func TestResumeWithAnotherInputStops(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Ceiling: -1})
	dir := t.TempDir()
	in := writeInput(t, 30)
	report := filepath.Join(dir, "r.csv")
	e, _, _ := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--rate", "5000", "--progress", "none", "--report", report, in}, e); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.csv")
	data, _ := os.ReadFile(in)
	os.WriteFile(other, []byte(strings.Replace(string(data), "u0,p0,", "zz,p0,", 1)), 0o644)
	e, _, _ = testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--progress", "none", "--resume", report, "--report", filepath.Join(dir, "r2.csv"), other}, e)
	if exitCode(err) != exitAborted || !strings.Contains(err.Error(), "input line 2 is zz → p0") {
		t.Fatalf("exit %d (%v), want 3 naming line 2", exitCode(err), err)
	}
}
