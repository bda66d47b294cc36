package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/mockserver"
	"github.com/msgread/msgread/reports/digest"
)

// readSummary reads a --summary-json file; it fails the test when the file
// is missing or not a summary.
func readSummary(t *testing.T, path string) digest.Document {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("summary JSON: %v", err)
	}
	var doc digest.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("summary JSON %q: %v", data, err)
	}
	return doc
}

// waitReportRows waits until the report at path holds more than n lines
// (header included), or fails the test after 10 s.
func waitReportRows(t *testing.T, cmd *exec.Cmd, path string, n int, stderr *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if data, _ := os.ReadFile(path); strings.Count(string(data), "\n") > n {
			return
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("fewer than %d rows in the report after 10 s\n%s", n, stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitExit waits for cmd to end, or kills it and fails the test after d.
func waitExit(t *testing.T, cmd *exec.Cmd, d time.Duration, stderr *syncBuffer) int {
	t.Helper()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(d):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("still running %v later\n%s", d, stderr)
	}
	return cmd.ProcessState.ExitCode()
}

// TestBinaryHangupDrainsAndFlushes: SIGHUP (a closed terminal or ssh
// session) is an interrupt like SIGINT: the calls in flight finish, the
// report is flushed and holds every pair the service marked, the summary is
// written, and the exit is 130. It killed the process at once (exit 129).
func TestBinaryHangupDrainsAndFlushes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	bin := buildBinary(t)
	dir := t.TempDir()
	report, summary := filepath.Join(dir, "r.csv"), filepath.Join(dir, "s.json")
	cmd := exec.Command(bin, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "500", "--progress", "none",
		"--report", report, "--summary-json", summary, writeInput(t, 5000))
	cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitReportRows(t, cmd, report, 50, &stderr)
	cmd.Process.Signal(syscall.SIGHUP)
	if code := waitExit(t, cmd, 10*time.Second, &stderr); code != exitInterrupted {
		t.Fatalf("exit %d after SIGHUP, want 130\n%s", code, &stderr)
	}
	got := readReport(t, report)
	if n := len(srv.Marks()); len(got) < 50 || n != len(got) {
		t.Errorf("the report holds %d rows, the mock marked %d pairs: want the same", len(got), n)
	}
	if doc := readSummary(t, summary); doc.ExitCode != exitInterrupted || doc.Stop == nil || doc.Stop.Code != "interrupted" || doc.Reported != len(got) {
		t.Errorf("summary: exit %d, stop %+v, %d reported; want 130, interrupted, %d", doc.ExitCode, doc.Stop, doc.Reported, len(got))
	}
	if !strings.Contains(stderr.String(), "summary:") {
		t.Errorf("no summary on stderr:\n%s", &stderr)
	}
}

// TestBinaryHangupIgnoredUnderNohup: a run started with SIGHUP ignored (as
// nohup starts it) keeps it ignored and runs on; SIGTERM still drains it.
func TestBinaryHangupIgnoredUnderNohup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "r.csv")
	cmd := exec.Command("sh", "-c", `trap "" HUP; exec "$0" "$@"`, bin, "run", "--mock", "--rate", "500", "--progress", "none",
		"--report", report, writeInput(t, 5000))
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitReportRows(t, cmd, report, 20, &stderr)
	cmd.Process.Signal(syscall.SIGHUP)
	before := len(readReport(t, report))
	waitReportRows(t, cmd, report, before+50, &stderr) // still running
	cmd.Process.Signal(syscall.SIGTERM)
	if code := waitExit(t, cmd, 10*time.Second, &stderr); code != exitInterrupted {
		t.Fatalf("exit %d, want 130 after SIGTERM\n%s", code, &stderr)
	}
}

// TestBinaryClosedConsoleNeverStopsARun: "msgread run … 2>&1 | head -1":
// standard output and error are one pipe whose reader goes away after the
// banner. The run carries on to its end: every row is in the report and
// the summary file is whole. It died of SIGPIPE at the next progress line,
// its report empty and its summary 0 bytes.
func TestBinaryClosedConsoleNeverStopsARun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := startMock(t, mockserver.Config{Key: chatapi.NewSecret(testKey), Scenario: mockserver.Scenario{Ceiling: -1}})
	bin := buildBinary(t)
	dir := t.TempDir()
	report, summary := filepath.Join(dir, "r.csv"), filepath.Join(dir, "s.json")
	const rows = 600
	cmd := exec.Command(bin, "run", "--endpoint", srv.URL(), "--sdkappid", mockAppID, "--admin", mockAdmin, "--rate", "400", "--progress", "log", "--log-every", "1s",
		"--report", report, "--summary-json", summary, writeInput(t, rows))
	cmd.Env = append(os.Environ(), "MSGREAD_SECRET_KEY="+testKey)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	first := make([]byte, 1)
	var banner strings.Builder
	for !strings.Contains(banner.String(), "\n") {
		if _, err := r.Read(first); err != nil {
			t.Fatalf("no banner: %v", err)
		}
		banner.Write(first)
	}
	r.Close() // head -1 has its line
	var none syncBuffer
	if code := waitExit(t, cmd, 20*time.Second, &none); code != exitOK {
		t.Fatalf("exit %d after its console closed, want 0 (banner %q)", code, banner.String())
	}
	if got := readReport(t, report); len(got) != rows || len(srv.Marks()) != rows {
		t.Errorf("%d rows reported, %d pairs marked; want %d", len(got), len(srv.Marks()), rows)
	}
	if doc := readSummary(t, summary); doc.Reported != rows || doc.ExitCode != exitOK {
		t.Errorf("summary: %d reported, exit %d", doc.Reported, doc.ExitCode)
	}
}

// TestConsoleDropsWritesAfterItsFirstError: the first failed write returns
// its error, and later ones are dropped, never passed on.
func TestConsoleDropsWritesAfterItsFirstError(t *testing.T) {
	w := &failingWriter{}
	c := newConsole(w)
	if _, err := c.Write([]byte("a")); err != nil || w.calls != 1 {
		t.Fatalf("a good write: %v, %d calls", err, w.calls)
	}
	w.fail = true
	if _, err := c.Write([]byte("b")); err == nil {
		t.Error("the first failure is not returned")
	}
	if n, err := c.Write([]byte("cd")); n != 2 || err != nil || w.calls != 2 {
		t.Errorf("after a failure: %d, %v, %d calls; want 2, nil, no call", n, err, w.calls)
	}
}

type failingWriter struct {
	fail  bool
	calls int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	f.calls++
	if f.fail {
		return 0, syscall.EPIPE
	}
	return len(p), nil
}
