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
// reader goes or the test ends. reading is closed once the reader has read
// head (and, for an endless pipe, 64 KiB past it): it waits for more, or
// reads on. What was read is what was written less what the pipe still
// holds (pipeUnread); where that count is not known, nothing shows what
// the reader took, and reading is closed 20 ms after head was written.
func usersFIFO(t *testing.T, head, line string) (path string, reading <-chan struct{}) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "users")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	done, read := make(chan struct{}), make(chan struct{})
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		want := len(head)
		if line != "" {
			want += 64 << 10
		}
		// readPast closes read once the reader has read want bytes, and
		// says whether it has.
		written, signalled := 0, false
		readPast := func() bool {
			if !signalled {
				if unread, known := pipeUnread(w); known && written-unread >= want {
					signalled = true
					close(read)
				}
			}
			return signalled
		}
		n, err := w.WriteString(head)
		if err != nil {
			return
		}
		written += n
		if _, known := pipeUnread(w); !known {
			time.AfterFunc(20*time.Millisecond, func() { close(read) })
			signalled = true
		}
		for line != "" {
			n, err := w.WriteString(strings.Repeat(line, 1024))
			if err != nil {
				return // the reader closed the pipe
			}
			written += n
			readPast()
		}
		for !readPast() {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
		<-done
	}()
	t.Cleanup(func() { close(done) })
	return fifo, read
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
			fifo, reading := usersFIFO(t, c.head, c.line)
			read := func() {
				select {
				case <-reading:
				case <-time.After(5 * time.Second):
					t.Fatal("the reader did not read the pipe's head within 5 s")
				}
			}
			took, err := configWithin(t, fifo, read)
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
