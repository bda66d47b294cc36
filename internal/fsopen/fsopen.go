// Package fsopen opens the files a user names (an input, a key file, a
// scenario) so that an interrupt is never stuck behind them: a named pipe
// with no writer blocks in open, and a pipe whose writer writes nothing
// blocks in read.
package fsopen

import (
	"context"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// OpenRead opens path for reading as os.Open does, but gives way to ctx.
// Only a named pipe (a FIFO) blocks in open, until a writer opens it; it
// is opened in a goroutine, and when ctx ends first the pipe's write end
// is opened for an instant, so that the blocked open returns and the
// goroutine ends with it.
func OpenRead(ctx context.Context, path string) (*os.File, error) {
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

// ReadSmall reads at most limit bytes of path, giving way to ctx while it
// opens (a named pipe with no writer) and while it reads (a pipe whose
// writer writes nothing): an interrupt ends it within a moment.
func ReadSmall(ctx context.Context, path string, limit int64) ([]byte, error) {
	f, err := OpenRead(ctx, path)
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
