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

// waitBlockedOnFIFO waits until a thread of process pid waits in the
// kernel for a named pipe's writer (Linux's wchan reads wait_for_partner),
// or fails the test after 10 s. Without /proc it waits 300 ms.
func waitBlockedOnFIFO(t *testing.T, pid int, stderr *syncBuffer) {
	t.Helper()
	tasks := filepath.Join("/proc", strconv.Itoa(pid), "task")
	if _, err := os.Stat(tasks); err != nil {
		time.Sleep(300 * time.Millisecond)
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		chans, _ := filepath.Glob(filepath.Join(tasks, "*", "wchan"))
		for _, c := range chans {
			if w, _ := os.ReadFile(c); strings.Contains(string(w), "partner") || strings.Contains(string(w), "fifo") {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the process never waited on the named pipe\n%s", stderr)
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
			return []string{"run", "--endpoint", "http://127.0.0.1:9", "--secret-key-file", fifo, "--report", filepath.Join(dir, "r.csv"), in}
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
			waitBlockedOnFIFO(t, cmd.Process.Pid, &stderr)
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
