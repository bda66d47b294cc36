package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// openRead opens path for reading as os.Open does, but gives way to ctx.
// Only a named pipe (a FIFO) blocks in open, until a writer opens it; it
// is opened in a goroutine, and when ctx ends first the pipe's write end
// is opened for an instant, so that the blocked open returns and the
// goroutine ends with it.
func openRead(ctx context.Context, path string) (*os.File, error) {
	if st, err := os.Stat(path); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		return os.Open(path)
	}
	type opened struct {
		f   *os.File
		err error
	}
	c := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		c <- opened{f, err}
	}()
	select {
	case o := <-c:
		return o.f, o.err
	case <-ctx.Done():
	}
	// The write end opens (O_NONBLOCK) once the goroutine's open waits on
	// the pipe; before that it fails, so try again until the open returns.
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		select {
		case o := <-c:
			if o.f != nil {
				o.f.Close()
			}
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil, ctx.Err()
}

// readSmallFile reads at most limit bytes of path, giving way to ctx while
// it opens (a named pipe with no writer) and while it reads (a pipe whose
// writer writes nothing): an interrupt ends it within a moment.
func readSmallFile(ctx context.Context, path string, limit int64) ([]byte, error) {
	f, err := openRead(ctx, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A pipe's reads go through the poller, so a deadline ends one that
	// waits; a regular file's read never waits for long.
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()
	data, err := io.ReadAll(io.LimitReader(f, limit))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return data, err
}

// interruptedOpening is the error of a file's open or read that an
// interrupt ended (what names the file's flag), or nil.
func interruptedOpening(ctx context.Context, err error, what string) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		return nil
	}
	return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted while opening %s", what)}
}
