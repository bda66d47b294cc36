package batch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/msgread/msgread/internal/fsopen"
)

// InputFile is an opened INPUT: its rows, and its line count when it is a
// regular file.
//
// A regular file is read only up to the size it had when it was opened:
// the bytes whose lines were counted, the same for the run, its resume
// check and check's two passes. Rows appended during the run are for a
// later run (a resume of its report sends them), so a line its writer is
// in the middle of appending is never read cut short. A line the writer
// was in the middle of when the run opened the file is the file's last
// line, without a line end, and is read as such a line always is (a file
// may lack its last newline); Changed names it when the file grew. A file
// found shorter than that size, or no longer holding the bytes just read
// (cut, or rewritten in place), stops the run with an input error at the
// reader's next read (ErrInputShrank, ErrInputChanged): nothing of the new
// content is sent. A rewrite that leaves the bytes last read as they were
// cannot be told: the input must not change during a run.
type InputFile struct {
	*Input
	// Path is the file's name, "-" for standard input.
	Path  string
	close func() error
	// Lines is the file's physical line count, header included, counted
	// before the run (fast, for the progress bar and the resume's checks);
	// -1 for standard input, a pipe or a device, which are read once.
	Lines int64
	// at is the file's size and modification time when it was opened and
	// its lines counted: at.Size() bytes are read, no more.
	at os.FileInfo
	// unended says the file's last line had no line end then.
	unended bool
}

// InputError is an input that could not be opened: Phase says in which
// step ("opening", "reading the header", "counting the lines"), Err why
// (a context error when an interrupt ended it).
type InputError struct {
	Path, Phase string
	Err         error
}

func (e *InputError) Error() string { return fmt.Sprintf("input %s: %v", e.Path, e.Err) }
func (e *InputError) Unwrap() error { return e.Err }

// OpenInput opens INPUT ("-" for stdin) and reads its header. A regular
// file's lines are counted first, up to its size now, and it is read up
// to that size (see InputFile); anything else (a pipe, a device,
// /dev/stdin) is streamed once. Every error is an *InputError.
func OpenInput(ctx context.Context, path string, stdin io.Reader) (*InputFile, error) {
	fail := func(phase string, err error) error { return &InputError{Path: path, Phase: phase, Err: err} }
	if path == "-" {
		in, err := NewInputContext(ctx, stdin)
		if err != nil {
			return nil, fail("reading the header", err)
		}
		return &InputFile{Input: in, Path: path, close: func() error { return nil }, Lines: -1}, nil
	}
	f, err := fsopen.OpenRead(ctx, path)
	if err != nil {
		return nil, fail("opening", err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		in, err := NewInputContext(ctx, f)
		if err != nil {
			f.Close()
			return nil, fail("reading the header", err)
		}
		return &InputFile{Input: in, Path: path, close: f.Close, Lines: -1}, nil
	}
	// The header first: a file that is no CSV (gigabytes of NULs, say) is
	// refused at once, not after its lines are counted.
	if _, err := NewFileInput(ctx, f, st.Size()); err != nil {
		f.Close()
		return nil, fail("reading the header", err)
	}
	lines, unended, err := countLines(ctx, io.NewSectionReader(f, 0, st.Size()))
	if err != nil {
		f.Close()
		return nil, fail("counting the lines", err)
	}
	in, err := NewFileInput(ctx, f, st.Size())
	if err != nil {
		f.Close()
		return nil, fail("reading the header", err)
	}
	return &InputFile{Input: in, Path: path, close: f.Close, Lines: lines, at: st, unended: unended}, nil
}

// Close closes the file (nothing for standard input).
func (in *InputFile) Close() error { return in.close() }

// Rows is the number of data rows for the progress bar, -1 unknown.
func (in *InputFile) Rows() int64 {
	if in.Lines < 0 {
		return -1
	}
	return max(in.Lines-1, 0)
}

// Reopen opens a regular file input again from its start, for a check of
// the whole of it before the run, read up to the size it had when it was
// first opened (as the run reads it); ok is false when the input is read
// once.
func (in *InputFile) Reopen(ctx context.Context) (again *Input, closeAgain func() error, ok bool, err error) {
	if in.Lines < 0 {
		return nil, nil, false, nil
	}
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, nil, true, err
	}
	again, err = NewFileInput(ctx, f, in.at.Size())
	if err != nil {
		f.Close()
		return nil, nil, true, err
	}
	return again, f.Close, true, nil
}

// Changed says how a regular file input changed since its lines were
// counted, when it did and it matters: rows appended during the run (not
// read: they are for a later run), or a file rewritten in place so that
// another count of lines was read in its first bytes (a rewrite the
// reader could not see). "" when it did not change, or changed with no
// effect on what was read. A file that shrank or was rewritten under the
// reader is no note: the reader stopped the run with an error; one changed
// after the reader had read all of it changed nothing that was read.
func (in *InputFile) Changed(read int) string {
	note, _ := in.change(read)
	return note
}

// InputGrew is the note of an input that grew during the run: what was
// appended is not in this run, and a resume of its report sends it (a
// JobConfig.Explain says how, in the caller's words).
type InputGrew struct{ Note string }

func (g *InputGrew) Error() string { return g.Note }

// change is Changed, saying also whether the input grew.
func (in *InputFile) change(read int) (note string, grew bool) {
	if in.Lines < 0 || in.at == nil {
		return "", false
	}
	now, err := os.Stat(in.Path)
	if err == nil && now.Size() == in.at.Size() && now.ModTime().Equal(in.at.ModTime()) {
		return "", false
	}
	if int64(read) != in.Lines {
		return fmt.Sprintf("the input changed during the run: it had %d lines at the start, and %d were read in its first %d bytes: "+
			"it was rewritten in place, so the rows read may not be the rows counted (msgread cannot tell every rewrite; do not change the input during a run)",
			in.Lines, read, in.at.Size()), false
	}
	if err != nil || now.Size() <= in.at.Size() {
		return "", false
	}
	note = fmt.Sprintf("the input grew during the run: its %d lines (%d bytes) at the start were read, and what was appended since is not in this run", in.Lines, in.at.Size())
	if in.unended {
		note += fmt.Sprintf("; its last line then, line %d, had no line end and was read as it was: if it was being written when the run started, it may have been cut short", in.Lines)
	}
	return note, true
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
