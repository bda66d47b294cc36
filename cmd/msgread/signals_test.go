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
	"github.com/msgread/msgread/reports"
)

// readSummary reads a --summary-json file; it fails the test when the file
// is missing or not a summary.
func readSummary(t *testing.T, path string) reports.Document {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("summary JSON: %v", err)
	}
	var doc reports.Document
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
	cmd := exec.Command(bin, "run", "--endpoint", srv.URL(), "--rate", "500", "--progress", "none",
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
