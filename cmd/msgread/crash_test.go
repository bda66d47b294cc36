package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// crashRounds and crashRows size the crash test: a short chain in the
// ordinary suite (and so in CI), the full one with MSGREAD_CRASH_FULL=1
// (make crashtest).
func crashSize() (rounds, rows int) {
	if os.Getenv("MSGREAD_CRASH_FULL") != "" {
		return 20, 20_000
	}
	return 5, 4_000
}

// TestCrashResume is the crash test: a run on the flaky scenario's faults
// and latency is killed at random moments (the report is being written all
// along), with SIGKILL two times in three and SIGHUP (a closed terminal:
// drain, flush, exit 130) the third, and each death is followed by a
// resume, alternately into a new report and appended to the old one, until
// a last run finishes.
// Across the chain every line has exactly one final status, and the mock
// holds every valid pair at its read time.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it many times")
	}
	rounds, rows := crashSize()
	seed := time.Now().UnixNano()
	t.Logf("%d rounds over %d rows, seed %d", rounds, rows, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	bin := buildBinary(t)
	flaky := mockserver.Builtins["flaky"]
	flaky.Ceiling = -1 // the faults and the latency; the pacing is not under test
	cfg := mockserver.Config{Key: chatapi.NewSecret(testKey), Seed: uint64(seed)}
	flaky.Apply(&cfg)
	srv := startMock(t, cfg)

	var b strings.Builder
	b.WriteString("report_account,peer_account,msg_read_time\n")
	for i := range rows {
		switch {
		case i%500 == 7:
			fmt.Fprintf(&b, "user%d,,%d\n", i, 1600000000+i) // invalid: no peer
		case i%2000 == 11:
			fmt.Fprintf(&b, "user%d,\"peer%d,%d\n", i, i%17, 1600000000+i) // a stray quote
		default:
			fmt.Fprintf(&b, "user%d,peer%d,%d\n", i, i%17, 1600000000+i)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte(b.String()), 0o644)

	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "1000", "--progress", "none"}, args...)...)
		cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	var chain []string // every report, in the order first written
	prev := ""
	for round := range rounds + 1 {
		report := filepath.Join(dir, fmt.Sprintf("r%d.csv", round))
		if round%2 == 0 && prev != "" {
			report = prev // append to the old report
		}
		args := []string{"--report", report}
		if prev != "" {
			args = append(args, "--resume", prev)
		}
		if round == rounds {
			args = append(args, "--summary-json", filepath.Join(dir, "last.json"))
		}
		cmd := start(append(args, in)...)
		if round == rounds {
			if report != prev {
				chain = append(chain, report)
			}
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != exitRowsFailed {
				t.Fatalf("the last run exited %d, want 1 (some rows are invalid)", code)
			}
			break
		}
		time.Sleep(time.Duration(100+rng.IntN(1500)) * time.Millisecond)
		if round%3 == 2 {
			cmd.Process.Signal(syscall.SIGHUP) // drains and flushes
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != exitInterrupted && code != exitRowsFailed {
				t.Fatalf("round %d: SIGHUP: exit %d, want 130 (or 1 had it finished)", round, code)
			}
		} else {
			cmd.Process.Kill() // SIGKILL: no draining, no flushing
			cmd.Wait()
		}
		// A new report exists once it holds the done lines of the old one:
		// a run killed before that leaves none, and the next resumes from
		// the newest report there is.
		if _, err := os.Stat(report); err == nil && report != prev {
			chain = append(chain, report)
			prev = report
		}
	}

	assertChain(t, in, chain)
	marks := map[string]int64{}
	for _, m := range srv.Marks() {
		marks[m.ReportAccount+">"+m.PeerAccount] = m.ReadTime
	}
	inRows := inputRows(t, in)
	valid := 0
	for _, r := range inRows {
		if r.Invalid != "" {
			continue
		}
		valid++
		if want, _ := strconv.ParseInt(r.ReadTime, 10, 64); marks[r.ReportAccount+">"+r.PeerAccount] != want {
			t.Errorf("line %d: %s→%s marked at %d, want %d", r.Line, r.ReportAccount, r.PeerAccount, marks[r.ReportAccount+">"+r.PeerAccount], want)
		}
	}
	if len(marks) != valid {
		t.Errorf("mock marked %d pairs, want %d", len(marks), valid)
	}
}

// TestResumeAppendsToTheSameReport resumes into the old report itself: new
// rows are appended after a torn last row is cut off, and no line is listed
// twice.
func TestResumeAppendsToTheSameReport(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
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
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--resume", report, "--report", report, in}, e)
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
	if !strings.Contains(errOut.String(), "20 lines done") || !strings.Contains(errOut.String(), "torn last line") {
		t.Errorf("resume banner:\n%s", errOut)
	}
}

// TestResumeWithAnotherInputStops: resuming with an input that is not the
// one the report was made from would skip the wrong rows; it stops instead.
func TestResumeWithAnotherInputStops(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	dir := t.TempDir()
	in := writeInput(t, 30)
	report := filepath.Join(dir, "r.csv")
	e, _, _ := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	if err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", report, in}, e); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.csv")
	data, _ := os.ReadFile(in)
	os.WriteFile(other, []byte(strings.Replace(string(data), "u0,p0,", "zz,p0,", 1)), 0o644)
	e, _, _ = testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--progress", "none", "--resume", report, "--report", filepath.Join(dir, "r2.csv"), other}, e)
	if exitCode(err) != exitAborted || !strings.Contains(err.Error(), "input line 2 is zz → p0") {
		t.Fatalf("exit %d (%v), want 3 naming line 2", exitCode(err), err)
	}
}
