package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitBlockedOnFIFO waits until a thread of cmd's process waits in the
// kernel for a named pipe's writer (Linux's wchan reads wait_for_partner),
// or kills it and fails the test after 10 s.
//
// Where the kernel does not show where a thread waits (no /proc, or a
// wchan of "0" where kernel symbols are hidden), nothing else shows it:
// the process prints nothing before it opens the files it is given, a
// blocked open(2) has no descriptor in /proc/PID/fd yet, and a probe
// opening the pipe's write end would release the very open under test.
// It then waits 300 ms, time enough for the open to begin; an interrupt
// that comes before it is honoured as well, so the test proves less there
// but passes or fails for the same reasons.
func waitBlockedOnFIFO(t *testing.T, cmd *exec.Cmd, stderr *syncBuffer) {
	t.Helper()
	if !wchanShown() {
		time.Sleep(300 * time.Millisecond)
		return
	}
	tasks := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "task")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		chans, _ := filepath.Glob(filepath.Join(tasks, "*", "wchan"))
		for _, c := range chans {
			if w, _ := os.ReadFile(c); strings.Contains(string(w), "partner") || strings.Contains(string(w), "fifo") {
				return
			}
		}
	}
	cmd.Process.Kill()
	t.Fatalf("the process never waited on the named pipe in 10 s\n%s", stderr)
}

// wchanShown says whether the kernel names where a thread waits: one of
// this process's threads (the runtime's idle ones wait on a futex) has a
// wchan other than "0".
func wchanShown() bool {
	chans, _ := filepath.Glob("/proc/self/task/*/wchan")
	for _, c := range chans {
		if w, err := os.ReadFile(c); err == nil && len(w) > 0 && string(w) != "0" {
			return true
		}
	}
	return false
}

// TestBinaryFIFOWithNoWriterGivesWayToCtrlC: a file named on the command
// line that is a named pipe nobody writes to (--secret-key-file, the
// input, --scenario, --users) blocked its open, and the first and second
// Ctrl-C were ignored. The first now ends the command within a second,
// exit 130. A --resume naming one is refused at once, exit 2.
func TestBinaryFIFOWithNoWriterGivesWayToCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	in := writeInput(t, 10)
	for _, tc := range []struct {
		name string
		args func(fifo, dir string) []string
	}{
		{"secret key file", func(fifo, dir string) []string {
			return []string{"run", "--endpoint", "http://127.0.0.1:9", "--sdkappid", mockAppID, "--admin", mockAdmin, "--secret-key-file", fifo, "--report", filepath.Join(dir, "r.csv"), in}
		}},
		{"usersig's secret key file", func(fifo, dir string) []string { return []string{"usersig", "--secret-key-file", fifo} }},
		{"input", func(fifo, dir string) []string {
			return []string{"run", "--mock", "--report", filepath.Join(dir, "r.csv"), fifo}
		}},
		{"scenario", func(fifo, dir string) []string {
			return []string{"run", "--mock", "--scenario", fifo, "--report", filepath.Join(dir, "r.csv"), in}
		}},
		{"users", func(fifo, dir string) []string {
			return []string{"run", "--mock", "--users", fifo, "--report", filepath.Join(dir, "r.csv"), in}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skip("no named pipes here:", err)
			}
			cmd := exec.Command(bin, tc.args(fifo, dir)...)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitBlockedOnFIFO(t, cmd, &stderr)
			start := time.Now()
			cmd.Process.Signal(syscall.SIGINT)
			if code := waitExit(t, cmd, 5*time.Second, &stderr); code != exitInterrupted || time.Since(start) > time.Second {
				t.Fatalf("exit %d %v after the first Ctrl-C; want 130 within a second\n%s", code, time.Since(start), &stderr)
			}
			if !strings.Contains(stderr.String(), "interrupted while opening") {
				t.Errorf("stderr:\n%s", &stderr)
			}
		})
	}
	t.Run("resume", func(t *testing.T) {
		dir := t.TempDir()
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skip("no named pipes here:", err)
		}
		cmd := exec.Command(bin, "run", "--mock", "--resume", fifo, "--report", filepath.Join(dir, "r.csv"), in)
		var stderr syncBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, cmd, 5*time.Second, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "not a regular file") {
			t.Fatalf("exit %d; want 2, refused as no regular file\n%s", code, &stderr)
		}
	})
}
