package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/internal/safetext"
)

// inputFile is an opened INPUT: its rows, and its line count when it is a
// regular file.
//
// A regular file is read only up to the size it had when it was opened:
// the bytes whose lines were counted, the same for the run, its resume
// check and check's two passes. Rows appended during the run are for a
// later run (a --resume of its report sends them), so a line its writer
// is in the middle of appending is never read cut short. A line the writer
// was in the middle of when the run opened the file is the file's last
// line, without a line end, and is read as such a line always is (a file
// may lack its last newline); the note at the end names it when the file
// grew (unended). A file found shorter than that size, or no longer holding
// the bytes just read (cut, or rewritten in place), stops the run with an
// input error at the reader's next read (batch.ErrInputShrank,
// batch.ErrInputChanged): nothing of the new content is sent. A rewrite
// that leaves the bytes last read as they were cannot be told: the input
// must not change during a run.
type inputFile struct {
	*batch.Input
	path  string
	close func() error
	// lines is the file's physical line count, header included, counted
	// before the run (fast, for the progress bar and the resume's checks);
	// -1 for standard input, a pipe or a device, which are read once.
	lines int64
	// at is the file's size and modification time when it was opened and
	// its lines counted: at.Size() bytes are read, no more.
	at os.FileInfo
	// unended says the file's last line had no line end then.
	unended bool
}

// changed says how a regular file input changed since its lines were
// counted, when it did and it matters: rows appended during the run (not
// read: they are for a later run), or a file rewritten in place so that
// another count of lines was read in its first at.Size() bytes (a rewrite
// the reader could not see). "" when it did not change, or changed with no
// effect on what was read. A file that shrank or was rewritten under the
// reader is no note: the reader stopped the run with an error; one changed
// after the reader had read all of it changed nothing that was read.
func (in *inputFile) changed(read int) string {
	if in.lines < 0 || in.at == nil {
		return ""
	}
	now, err := os.Stat(in.path)
	if err == nil && now.Size() == in.at.Size() && now.ModTime().Equal(in.at.ModTime()) {
		return ""
	}
	if int64(read) != in.lines {
		return fmt.Sprintf("the input changed during the run: it had %d lines at the start, and %d were read in its first %d bytes: "+
			"it was rewritten in place, so the rows read may not be the rows counted (msgread cannot tell every rewrite; do not change the input during a run)",
			in.lines, read, in.at.Size())
	}
	if err != nil || now.Size() <= in.at.Size() {
		return ""
	}
	note := fmt.Sprintf("the input grew during the run: its %d lines (%d bytes) at the start were read, and what was appended since is not in this run (a --resume of its report sends it)", in.lines, in.at.Size())
	if in.unended {
		note += fmt.Sprintf("; its last line then, line %d, had no line end and was read as it was: if it was being written when the run started, it may have been cut short", in.lines)
	}
	return note
}

// rowsEstimate is the number of data rows for the progress bar, -1 unknown.
func (in *inputFile) rowsEstimate() int64 {
	if in.lines < 0 {
		return -1
	}
	return max(in.lines-1, 0)
}

// reopen opens a regular file input again from its start, for a check of
// the whole of it before the run, read up to the size it had when it was
// first opened (as the run reads it); false when the input is read once.
func (in *inputFile) reopen(ctx context.Context) (*batch.Input, func() error, bool, error) {
	if in.lines < 0 {
		return nil, nil, false, nil
	}
	f, err := os.Open(in.path)
	if err != nil {
		return nil, nil, true, err
	}
	again, err := batch.NewFileInput(ctx, f, in.at.Size())
	if err != nil {
		f.Close()
		return nil, nil, true, err
	}
	return again, f.Close, true, nil
}

// openInput opens INPUT ("-" for standard input) and reads its header. A
// regular file's lines are counted first, up to its size now, and it is
// read up to that size (see inputFile); anything else (a pipe, a device,
// /dev/stdin) is streamed once.
func openInput(ctx context.Context, e *env, path string) (*inputFile, error) {
	if path == "-" {
		in, err := batch.NewInputContext(ctx, e.stdin)
		if err != nil {
			return nil, inputError("standard input", err)
		}
		return &inputFile{Input: in, path: path, close: func() error { return nil }, lines: -1}, nil
	}
	f, err := openRead(ctx, path)
	if ierr := interruptedOpening(ctx, err, "the input"); ierr != nil {
		return nil, ierr
	}
	if err != nil {
		return nil, stopped(exitUsage, stopInput, fmt.Errorf("input: %w", err))
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		in, err := batch.NewInputContext(ctx, f)
		if err != nil {
			f.Close()
			return nil, inputError(path, err)
		}
		return &inputFile{Input: in, path: path, close: f.Close, lines: -1}, nil
	}
	// The header first: a file that is no CSV (gigabytes of NULs, say) is
	// refused at once, not after its lines are counted.
	if _, err := batch.NewFileInput(ctx, f, st.Size()); err != nil {
		f.Close()
		return nil, inputError(path, err)
	}
	lines, unended, err := countLines(ctx, io.NewSectionReader(f, 0, st.Size()))
	if err != nil {
		f.Close()
		if ctx.Err() != nil {
			return nil, &exitError{code: exitInterrupted, err: errors.New("interrupted while counting the input's lines")}
		}
		return nil, stopped(exitUsage, stopInput, fmt.Errorf("input %s: %w", path, err))
	}
	in, err := batch.NewFileInput(ctx, f, st.Size())
	if err != nil {
		f.Close()
		return nil, inputError(path, err)
	}
	return &inputFile{Input: in, path: path, close: f.Close, lines: lines, at: st, unended: unended}, nil
}

func inputError(name string, err error) error {
	if errors.Is(err, context.Canceled) {
		return &exitError{code: exitInterrupted, err: errors.New("interrupted while reading the input's header")}
	}
	msg := err.Error()
	if errors.Is(err, batch.ErrBadInput) {
		msg = fmt.Sprintf("input %s is not usable: %s", safetext.Quote(name), strings.TrimPrefix(msg, batch.ErrBadInput.Error()+": "))
	}
	return stopped(exitUsage, stopInput, errors.New(msg))
}

// countLines counts the physical lines of r: newline bytes, plus one for a
// last line without a newline (unended then says so). One line is one row,
// so this is exact. It stops with ctx's error when ctx is done (a megabyte
// at a time).
func countLines(ctx context.Context, r io.Reader) (n int64, unended bool, err error) {
	buf := make([]byte, 1<<20)
	var last byte = '\n'
	for {
		if err := ctx.Err(); err != nil {
			return 0, false, err
		}
		k, err := r.Read(buf)
		if k > 0 {
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			last = buf[k-1]
		}
		if err == io.EOF {
			if last != '\n' {
				n++
			}
			return n, last != '\n', nil
		}
		if err != nil {
			return 0, false, err
		}
	}
}
