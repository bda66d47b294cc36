package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msgread/msgread/mockserver"
)

// usersFIFO makes a named pipe and a writer on it that writes head, then
// line for ever (when line is set) or nothing more (when not), until the
// reader goes or the test ends. wrote is closed once head is in the pipe:
// the reader has opened it.
func usersFIFO(t *testing.T, head, line string) (path string, wrote <-chan struct{}) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "users")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	done, written := make(chan struct{}), make(chan struct{})
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		if _, err := w.WriteString(head); err != nil {
			return
		}
		close(written)
		for line != "" {
			if _, err := w.WriteString(strings.Repeat(line, 1024)); err != nil {
				return // the reader closed the pipe
			}
		}
		<-done
	}()
	t.Cleanup(func() { close(done) })
	return fifo, written
}

// configWithin runs the mock's config with --users and returns how long it
// took after the cancel, and its error,
// cancelling ctx once cancelAfter returns (nil: never).
func configWithin(t *testing.T, users string, cancelAfter func()) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := mockFlags{users: users, scenario: "clean"}
	done := make(chan error, 1)
	go func() {
		_, err := m.config(ctx, mockserver.Config{})
		done <- err
	}()
	var at time.Time
	if cancelAfter != nil {
		cancelAfter()
		at = time.Now()
		cancel()
	}
	select {
	case err := <-done:
		if at.IsZero() {
			return 0, err
		}
		return time.Since(at), err
	case <-time.After(5 * time.Second):
		t.Fatalf("--users %s: still reading 5 s later", users)
	}
	return 0, nil
}

// TestUsersFileGivesWayToCtrlC: --users on a device or a named pipe was
// read without a look at the context: a silent pipe held the run, an
// endless one (/dev/urandom, a writer that never stops) grew its memory to
// gigabytes, and the first two Ctrl-C were ignored. Each now gives way to
// the first within a second, exit 130.
func TestUsersFileGivesWayToCtrlC(t *testing.T) {
	for name, c := range map[string]struct{ head, line string }{
		"silent pipe":  {"alice\nbob\n", ""},
		"endless pipe": {"alice\n", "user\n"},
	} {
		t.Run(name, func(t *testing.T) {
			fifo, wrote := usersFIFO(t, c.head, c.line)
			opened := func() {
				select {
				case <-wrote:
				case <-time.After(5 * time.Second):
					t.Error("the pipe was not opened")
				}
				time.Sleep(20 * time.Millisecond) // a moment to read the head and wait for more
			}
			took, err := configWithin(t, fifo, opened)
			if exitCode(err) != exitInterrupted || took > time.Second {
				t.Fatalf("after Ctrl-C: %v (exit %d) %v later, want exit 130 within a second", err, exitCode(err), took)
			}
		})
	}
}

// TestUsersFileThatIsNoUsersFileIsRefused: /dev/urandom, a binary file
// and a file over the cap (lowered here from 1 GiB) are refused with exit
// 2, naming why; a users file is still read.
func TestUsersFileThatIsNoUsersFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ path, want string }{
		"/dev/urandom": {"/dev/urandom", "not UTF-8 text"},
		"NUL bytes":    {writeFile(t, dir, "nul", "alice\nb\x00b\n"), "line 2 is not UTF-8 text"},
		"over the cap": {writeFile(t, dir, "big", strings.Repeat("user\n", 30)), "is not a users file: over"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(c.path); err != nil {
				t.Skip(err)
			}
			defer func(was int64) { maxUsersFile = was }(maxUsersFile)
			maxUsersFile = 100
			_, err := configWithin(t, c.path, nil)
			if exitCode(err) != exitUsage || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v (exit %d), want exit 2 saying %q", err, exitCode(err), c.want)
			}
		})
	}
	defer func(was int64) { maxUsersFile = was }(maxUsersFile)
	maxUsersFile = 100
	ctx := context.Background()
	m := mockFlags{users: writeFile(t, dir, "ok", strings.Repeat("u\n", 50)), scenario: "clean"}
	if cfg, err := m.config(ctx, mockserver.Config{}); err != nil || len(cfg.Users) != 50 {
		t.Fatalf("a users file of exactly the cap: %d users, %v", len(cfg.Users), err)
	}
}
