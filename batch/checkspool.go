package batch

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/msgread/msgread/internal/decompress"
)

// CheckOpened is Check for an input open already for its first pass,
// first (its header read, so that an unusable input is refused before
// anything else); reopen opens it anew, from its start, for the second.
func CheckOpened(ctx context.Context, first *Input, reopen func() (*Input, error), rows int, found func(Finding)) (CheckResult, error) {
	return Check(ctx, twice(first, reopen), rows, found)
}

// CheckReader is Check for an input that can be read only once (standard
// input, a pipe): the first pass copies what it reads from r to a
// temporary file (in os.TempDir), which the second pass reads; the copy is
// removed before CheckReader returns. An input compressed with gzip or
// zstd is read decompressed, and copied as it comes, compressed. name names the input in the error
// of a copy that cannot be made.
//
// An input whose header cannot be read or is unusable is refused before
// any row is read, with NewInputContext's error in a *HeaderError. A copy
// that cannot be made or written (a TMPDIR that cannot be written, a full
// disk) is a *SpoolError, not the input's fault. The other errors are
// Check's.
func CheckReader(ctx context.Context, r io.Reader, name string, found func(Finding)) (CheckResult, error) {
	s, err := newSpool(ctx, name)
	if err != nil {
		return CheckResult{}, err
	}
	defer s.remove()
	var src io.Reader = r
	if f, ok := r.(*os.File); !ok || !isRegular(f) {
		src = &ctxReader{ctx: ctx, r: r} // a pipe or a terminal may block for ever
	}
	d, err := decompress.Open(ctx, io.TeeReader(src, s))
	if err != nil {
		return CheckResult{}, &HeaderError{Err: streamOpenError(ctx, err)}
	}
	defer d.Close()
	first, err := newInput(ctx, d)
	if err != nil {
		return CheckResult{}, &HeaderError{Err: err}
	}
	s.format = d.Format
	return CheckOpened(ctx, first, s.open, 0, found)
}

// HeaderError is CheckReader's error when its input's header cannot be
// read or is unusable: no row was read. Err is NewInputContext's.
type HeaderError struct{ Err error }

func (e *HeaderError) Error() string { return e.Err.Error() }
func (e *HeaderError) Unwrap() error { return e.Err }

// SpoolError is an error of the temporary copy of CheckReader's input (a
// TMPDIR that cannot be written, a full disk), so that it is not taken for
// a fault of the input. Path is the copy's, "" when it could not be made;
// Input names the input.
type SpoolError struct {
	Input, Path string
	Err         error
}

func (e *SpoolError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("check reads %s twice and needs a temporary copy of it: %v", e.Input, e.Err)
	}
	return fmt.Sprintf("writing the temporary copy %s of the input (check reads it twice): %v", e.Path, e.Err)
}

func (e *SpoolError) Unwrap() error { return e.Err }

// twice returns an opener for Check's two passes: first, already open,
// then again's reading from the start.
func twice(first *Input, again func() (*Input, error)) func() (*Input, error) {
	opened := false
	return func() (*Input, error) {
		if !opened {
			opened = true
			return first, nil
		}
		return again()
	}
}

// spool is the temporary copy of CheckReader's input: the first pass
// writes what it reads to it, the second reads it.
type spool struct {
	ctx  context.Context // ends the second pass's decoder
	name string          // the input's
	file *os.File
	w    *bufio.Writer
	// format is the input's: the copy is decompressed as it is.
	format decompress.Format
	// reader is the decompressor of the second pass.
	reader *decompress.Reader
}

func newSpool(ctx context.Context, name string) (*spool, error) {
	f, err := os.CreateTemp("", "msgread-check-*.csv")
	if err != nil {
		return nil, &SpoolError{Input: name, Err: err}
	}
	return &spool{ctx: ctx, name: name, file: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// Write adds p to the copy; its error is a *SpoolError.
func (s *spool) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = s.error(err)
	}
	return n, err
}

// open returns the copy, from its start, as an Input.
func (s *spool) open() (*Input, error) {
	if err := s.w.Flush(); err != nil {
		return nil, s.error(err)
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	d, err := decompress.NewReader(s.ctx, s.file, s.format)
	if err != nil {
		return nil, err
	}
	s.reader = d
	return NewInput(d)
}

func (s *spool) error(err error) error {
	return &SpoolError{Input: s.name, Path: s.file.Name(), Err: err}
}

// remove closes and removes the copy.
func (s *spool) remove() error {
	if s.reader != nil {
		s.reader.Close()
	}
	s.file.Close()
	return os.Remove(s.file.Name())
}
