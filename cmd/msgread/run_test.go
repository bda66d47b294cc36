package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/crashpoint"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports"
)

func startMock(t *testing.T, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	srv, err := mockserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func writeInput(t *testing.T, rows int, extra ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Report_Account,Peer_Account,MsgReadTime\n")
	for i := range rows {
		fmt.Fprintf(&b, "u%d,p%d,%d\n", i, i%13, 1600000000+i)
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readReport(t *testing.T, path string) map[int]reports.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := reports.ReadAll(f)
	if err != nil {
		t.Fatalf("report %s: %v", path, err)
	}
	byLine := map[int]reports.Record{}
	for _, r := range recs {
		if _, dup := byLine[r.Line]; dup {
			t.Fatalf("line %d is in the report twice", r.Line)
		}
		byLine[r.Line] = r
	}
	return byLine
}

func TestRunAgainstEndpoint(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	in := writeInput(t, 300, "bad row,p,1", "u1,p1,1700000000000")
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none",
		"--report", report, "--summary-json", filepath.Join(dir, "s.json"), in}, e)
	if code := exitCode(err); code != exitRowsFailed {
		t.Fatalf("exit %d (%v), want 1: two rows are invalid\n%s", code, err, errOut)
	}
	got := readReport(t, report)
	if len(got) != 302 {
		t.Fatalf("report has %d lines, want 302", len(got))
	}
	for line := 2; line <= 301; line++ {
		if got[line].Status != reports.StatusOK {
			t.Errorf("line %d: %+v", line, got[line])
		}
	}
	if got[302].Status != reports.StatusInvalid || got[303].Status != reports.StatusInvalid {
		t.Errorf("invalid rows: %+v %+v", got[302], got[303])
	}
	if n := len(srv.Marks()); n != 300 {
		t.Errorf("mock marked %d pairs, want 300", n)
	}
	failed, _ := os.ReadFile(filepath.Join(dir, "r.failed.csv"))
	if string(failed) != "Report_Account,Peer_Account,MsgReadTime\n" {
		t.Errorf("failed-rows file %q: invalid rows stay out of it", failed)
	}
	if _, err := os.Stat(filepath.Join(dir, "s.json")); err != nil {
		t.Errorf("no summary JSON: %v", err)
	}
	if !strings.Contains(errOut.String(), "summary: 302 rows") || strings.Contains(errOut.String(), testKey) {
		t.Errorf("stderr:\n%s", errOut)
	}

	// The same report path again is refused before anything is sent.
	before := srv.Stats().Requests
	e, _, _ = testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err = run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--report", report, in}, e)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "already exists") || srv.Stats().Requests != before {
		t.Errorf("existing report: %v; want exit 2 and no calls", err)
	}
}

func TestRunWrongKeyStopsFast(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	in := writeInput(t, 2000)
	report := filepath.Join(t.TempDir(), "r.csv")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": "wrong-key"})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "5000", "--progress", "none", "--report", report, in}, e)
	if exitCode(err) != exitAborted {
		t.Fatalf("exit %d (%v), want 3", exitCode(err), err)
	}
	if !strings.Contains(err.Error(), "70009") || !strings.Contains(err.Error(), "secret key") {
		t.Errorf("error %q should name the code and what to check", err)
	}
	if n := srv.Stats().Requests; n > 10 {
		t.Errorf("%d calls with a wrong key; want a handful", n)
	}
	if strings.Contains(errOut.String()+err.Error(), "wrong-key") {
		t.Error("the key was printed")
	}
	got := readReport(t, report)
	if len(got) == 0 || len(got) > 10 {
		t.Errorf("report has %d rows; want the handful that were sent", len(got))
	}
}

func TestRunRefusesWithoutTarget(t *testing.T) {
	in := writeInput(t, 3)
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"no target":       {[]string{"run", in}, nil, "--mock"},
		"no key":          {[]string{"run", "--region", "singapore", "--sdkappid", "20000001", "--admin", "ops", in}, nil, "MSGREAD_SECRET_KEY"},
		"unknown region":  {[]string{"run", "--region", "mars", in}, map[string]string{"MSGREAD_SECRET_KEY": "k"}, "unknown region"},
		"two inputs":      {[]string{"run", "--mock", in, in}, nil, "exactly one"},
		"missing file":    {[]string{"run", "--mock", in + ".nope"}, nil, "no such file"},
		"bad progress":    {[]string{"run", "--mock", "--progress", "fancy", in}, nil, "--progress"},
		"mock and region": {[]string{"run", "--mock", "--region", "china", in}, nil, "cannot be combined"},
	} {
		t.Run(name, func(t *testing.T) {
			e, _, _ := testEnv(tc.env)
			err := run(context.Background(), tc.args, e)
			if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v (exit %d), want exit 2 mentioning %q", err, exitCode(err), tc.want)
			}
		})
	}
}

func TestRunBadHeaderSendsNothing(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey)})
	path := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(path, []byte("user,peer\na,b\n"), 0o644)
	e, _, _ := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	err := run(context.Background(), []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--report", filepath.Join(t.TempDir(), "r.csv"), path}, e)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "report_account") || srv.Stats().Requests != 0 {
		t.Fatalf("err %v, %d calls; want exit 2 naming the missing column, no calls", err, srv.Stats().Requests)
	}
}

// TestRunInterruptedReportIsConsistent: a run interrupted once 100 calls
// (of 5000) have reached the service reports each row the service marked,
// ok, and no other.
func TestRunInterruptedReportIsConsistent(t *testing.T) {
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey)})
	in := writeInput(t, 5000)
	report := filepath.Join(t.TempDir(), "r.csv")
	e, _, errOut := testEnv(map[string]string{"MSGREAD_SECRET_KEY": testKey})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "1000", "--progress", "none", "--report", report, in}, e)
	}()
	for deadline := time.Now().Add(10 * time.Second); srv.Stats().Requests < 100; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls after 10 s, want 100 before the interrupt\n%s", srv.Stats().Requests, errOut)
		}
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the run did not end 10 s after the interrupt\n%s", errOut)
	}
	if exitCode(err) != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130\n%s", exitCode(err), err, errOut)
	}
	got := readReport(t, report)
	if len(got) == 0 || len(got) >= 5000 {
		t.Fatalf("%d rows reported after an interrupt at about 100 of 5000", len(got))
	}
	marked := map[string]bool{}
	for _, m := range srv.Marks() {
		marked[m.ReportAccount] = true
	}
	for line, rec := range got {
		if rec.Status != reports.StatusOK || !marked[rec.ReportAccount] {
			t.Errorf("line %d: %+v not ok or not marked in the mock", line, rec)
		}
	}
	if len(marked) != len(got) {
		t.Errorf("mock marked %d pairs, report says %d ok: a finished call is missing from the report", len(marked), len(got))
	}
}

// TestBinaryInterrupt builds msgread and interrupts a real run with SIGINT:
// exit 130, and a report that holds every finished row once.
func TestBinaryInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	in := writeInput(t, 5000)
	report := filepath.Join(dir, "r.csv")
	cmd := exec.Command(bin, "run", "--mock", "--progress", "none", "--report", report, in)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if data, _ := os.ReadFile(report); strings.Count(string(data), "\n") > 50 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no rows in the report after 10s\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130\n%s", code, err, stderr.String())
	}
	got := readReport(t, report)
	if len(got) < 50 || len(got) >= 5000 {
		t.Fatalf("%d rows in the report", len(got))
	}
	if !strings.Contains(stderr.String(), "summary:") {
		t.Errorf("no summary after the interrupt:\n%s", stderr.String())
	}
}

func TestRunMockScenarios(t *testing.T) {
	in := writeInput(t, 50)
	dir := t.TempDir()
	e, _, errOut := testEnv(nil)
	err := run(context.Background(), []string{"run", "--mock", "--scenario", "broken-auth", "--progress", "none", "--report", filepath.Join(dir, "a.csv"), in}, e)
	if exitCode(err) != exitAborted || !strings.Contains(err.Error(), "70009") {
		t.Errorf("broken-auth: exit %d (%v), want 3 naming 70009", exitCode(err), err)
	}
	if !strings.Contains(errOut.String(), "scenario broken-auth (seed 1)") {
		t.Errorf("banner does not name the scenario:\n%s", errOut)
	}
	e, _, _ = testEnv(map[string]string{"MSGREAD_SCENARIO": "no-such"})
	err = run(context.Background(), []string{"run", "--mock", "--report", filepath.Join(dir, "b.csv"), in}, e)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "--scenario") {
		t.Errorf("unknown scenario: exit %d (%v), want 2", exitCode(err), err)
	}
	e, _, errOut = testEnv(nil)
	err = run(context.Background(), []string{"run", "--mock", "--scenario", "throttled", "--ceiling", "0", "--rate", "2000", "--progress", "none", "--report", filepath.Join(dir, "c.csv"), in}, e)
	if err != nil || !strings.Contains(errOut.String(), "no ceiling") {
		t.Errorf("--ceiling 0 over a scenario's ceiling: %v\n%s", err, errOut)
	}
}

func TestRunThresholds(t *testing.T) {
	in := writeInput(t, 40, "bad row,p,1")
	dir := t.TempDir()
	e, _, errOut := testEnv(nil)
	err := run(context.Background(), []string{"run", "--mock", "--ceiling", "0", "--rate", "2000", "--progress", "none", "--report", filepath.Join(dir, "a.csv"),
		"--max-p99", "5s", "--max-gave-up", "0", in}, e)
	if exitCode(err) != exitRowsFailed {
		t.Errorf("thresholds held, one invalid row: exit %d (%v), want 1\n%s", exitCode(err), err, errOut)
	}
	e, _, errOut = testEnv(nil)
	err = run(context.Background(), []string{"run", "--mock", "--ceiling", "0", "--rate", "2000", "--progress", "none", "--report", filepath.Join(dir, "b.csv"),
		"--min-rate", "3", in}, e)
	if exitCode(err) != exitThreshold || !strings.Contains(errOut.String(), "threshold not met: --min-rate 3") {
		t.Errorf("a breached threshold: exit %d (%v), want 4 naming it\n%s", exitCode(err), err, errOut)
	}
}

// TestBinarySecondInterrupt: the first SIGINT waits for the call in flight
// (here one the mock never answers), the second stops it at once.
func TestBinarySecondInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	arrived := make(chan struct{}, 100)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/mock/stats" { // a run asks a loopback endpoint whether it is a msgread mock
			http.NotFound(w, r)
			return
		}
		io.Copy(io.Discard, r.Body) // so that net/http sees the client go
		arrived <- struct{}{}
		<-r.Context().Done() // never answers
	}))
	t.Cleanup(hang.Close)
	cmd := exec.Command(bin, "run", "--endpoint", hang.URL, "--sdkappid", mockAppID, "--admin", mockAdmin, "--timeout", "60s", "--progress", "none",
		"--report", filepath.Join(t.TempDir(), "r.csv"), writeInput(t, 10))
	cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	select {
	case <-arrived: // the probe call is out, and hangs
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the probe call never came:\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGINT)
	waitFor(t, cmd, &stderr, "the first interrupt's word", func() bool { return strings.Contains(stderr.String(), "draining 1 calls in flight") })
	select {
	case <-exited:
		t.Fatal("exited on the first interrupt without draining the call in flight")
	default:
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the second interrupt did not stop the run")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || time.Since(start) > 5*time.Second {
		t.Fatalf("exit %d after %v, want 130 at once\n%s", code, time.Since(start), stderr.String())
	}
	if !strings.Contains(stderr.String(), "second interrupt") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// waitFor polls cond (every 5 ms, for at most 10 s) and fails the test,
// killing cmd, when it never holds.
func waitFor(t *testing.T, cmd *exec.Cmd, stderr *syncBuffer, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("waited in vain for %s:\n%s", what, stderr.String())
		}
	}
}

// startIdleRun starts msgread on a standard input that sends one row and
// then nothing, and waits for its progress line to count that row done.
func startIdleRun(t *testing.T) (cmd *exec.Cmd, stderr *syncBuffer, exited chan struct{}, report string) {
	t.Helper()
	bin := buildBinary(t)
	report = filepath.Join(t.TempDir(), "r.csv")
	cmd = exec.Command(bin, "run", "--mock", "--progress", "log", "--log-every", "1s", "--report", report, "-")
	stdin, _ := cmd.StdinPipe()
	t.Cleanup(func() { stdin.Close() })
	stderr = &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "report_account,peer_account\nu1,p1\n") // then nothing
	exited = make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	waitFor(t, cmd, stderr, "the row done", func() bool { return strings.Contains(stderr.String(), "done 1;") })
	return cmd, stderr, exited, report
}

// TestBinaryThirdInterruptExitsAtOnce: a run stuck where neither the first
// interrupt (drain) nor the second (cut the calls) can end it, here a
// worker hung after its first answer by the test hook, ends on the third,
// at once, with exit 130.
func TestBinaryThirdInterruptExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	cmd := exec.Command(bin, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--workers", "1", "--progress", "none",
		"--report", filepath.Join(t.TempDir(), "r.csv"), writeInput(t, 10))
	cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey, crashpoint.Env+"=answered:1:hang")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	waitFor(t, cmd, &stderr, "the first call", func() bool { return srv.Stats().Requests >= 1 })
	for i, word := range []string{"draining 1 calls in flight", "second interrupt: stopping calls in flight"} {
		cmd.Process.Signal(syscall.SIGINT)
		waitFor(t, cmd, &stderr, "interrupt "+strconv.Itoa(i+1)+"'s word", func() bool { return strings.Contains(stderr.String(), word) })
		select {
		case <-exited:
			t.Fatalf("interrupt %d ended a run that only a third can end: the test proves nothing\n%s", i+1, stderr.String())
		case <-time.After(200 * time.Millisecond): // it stays stuck
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the third interrupt did not end the process\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || !strings.Contains(stderr.String(), "third interrupt") {
		t.Fatalf("exit %d, want 130 with the third interrupt's word\n%s", code, stderr.String())
	}
}

// TestBinaryFirstInterruptWithIdleInput: a run waiting on an idle standard
// input stops on the first interrupt, flushing what it has, with exit 130.
func TestBinaryFirstInterruptWithIdleInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmd, stderr, exited, report := startIdleRun(t)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the first interrupt did not stop a run waiting on its input\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || time.Since(start) > 2*time.Second {
		t.Fatalf("exit %d after %v, want 130 within a second or so\n%s", code, time.Since(start), stderr.String())
	}
	if got := readReport(t, report); got[2].Status != reports.StatusOK {
		t.Errorf("the row read before the interrupt: %+v", got[2])
	}
	if !strings.Contains(stderr.String(), "interrupted: no new call starts; draining 0 calls in flight") {
		t.Errorf("the first interrupt does not say what happens:\n%s", stderr.String())
	}
}
