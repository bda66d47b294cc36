package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/msgread/msgread/internal/decompress"
	"github.com/msgread/msgread/internal/fsopen"
	"github.com/msgread/msgread/internal/safetext"
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
	// Format is how the input is stored: plain, or compressed with gzip
	// or zstd (told by its first bytes). A compressed input is read
	// decompressed; Lines counts the lines of what it holds.
	Format decompress.Format
	// Note says that the input's name claims another format than its
	// content's (a .csv that is gzip, a .csv.gz that is plain): it is read
	// as its content says. "" when they agree.
	Note string
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
// /dev/stdin) is streamed once. An input compressed with gzip or zstd,
// as its first bytes say whatever its name, is read decompressed: its
// lines, line numbers and rows are those of the CSV it holds. Every error
// is an *InputError.
func OpenInput(ctx context.Context, path string, stdin io.Reader) (*InputFile, error) {
	fail := func(phase string, err error) error { return &InputError{Path: path, Phase: phase, Err: err} }
	if path == "-" {
		return openStream(ctx, path, stdin, func() error { return nil })
	}
	f, err := fsopen.OpenRead(ctx, path)
	if err != nil {
		return nil, fail("opening", err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return openStream(ctx, path, f, f.Close)
	}
	in, err := openFile(ctx, path, f, st)
	if err != nil {
		f.Close()
		return nil, err
	}
	return in, nil
}

// openStream opens an input read once (standard input, a pipe, a device),
// decompressed when its first bytes say so; closeFile closes what r reads.
func openStream(ctx context.Context, path string, r io.Reader, closeFile func() error) (*InputFile, error) {
	fail := func(err error) error {
		closeFile()
		return &InputError{Path: path, Phase: "reading the header", Err: err}
	}
	src := r
	if f, ok := r.(*os.File); !ok || !isRegular(f) {
		src = &ctxReader{ctx: ctx, r: r} // a pipe or a terminal may block for ever
	}
	d, err := decompress.Open(ctx, src)
	if err != nil {
		return nil, fail(streamOpenError(ctx, err))
	}
	in, err := newInput(ctx, d)
	if err != nil {
		d.Close()
		return nil, fail(withNote(err, path, d.Format))
	}
	in.name = "standard input"
	if path != "-" {
		in.name = "input " + safetext.Quote(path)
	}
	closeAll := func() error { d.Close(); return closeFile() }
	return &InputFile{Input: in, Path: path, close: closeAll, Lines: -1, Format: d.Format, Note: mismatch(path, d.Format)}, nil
}

// openFile opens a regular file input f (whose Stat is st): its header
// first (a file that is no CSV, gigabytes of NULs say, is refused at once,
// not after its lines are counted), then its lines counted, then the
// reader of the run.
func openFile(ctx context.Context, path string, f *os.File, st os.FileInfo) (*InputFile, error) {
	fail := func(phase string, err error) error { return &InputError{Path: path, Phase: phase, Err: err} }
	format, err := sniffFile(f)
	if err != nil {
		return nil, fail("reading the header", err)
	}
	file := &InputFile{Path: path, Format: format, Note: mismatch(path, format), at: st}
	if err := file.checkHeader(ctx, f); err != nil {
		return nil, fail("reading the header", withNote(err, path, format))
	}
	if file.Lines, file.unended, err = file.countLines(ctx, f); err != nil {
		return nil, fail("counting the lines", err)
	}
	in, closeReader, err := file.read(ctx, f)
	if err != nil {
		return nil, fail("reading the header", err)
	}
	file.Input, file.close = in, func() error { closeReader(); return f.Close() }
	return file, nil
}

// checkHeader reads the header of f, and nothing more.
func (in *InputFile) checkHeader(ctx context.Context, f *os.File) error {
	_, closeReader, err := in.read(ctx, f)
	if err == nil {
		closeReader()
	}
	return err
}

// read returns a reader of f from its start, up to its size when it was
// opened, decompressed as its format says, and the function that releases
// its decoder.
func (in *InputFile) read(ctx context.Context, f *os.File) (*Input, func(), error) {
	r, closeReader, err := in.bytes(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	rd, err := newInput(ctx, r)
	if err != nil {
		closeReader()
		return nil, nil, err
	}
	rd.name = "input " + safetext.Quote(in.Path)
	return rd, closeReader, nil
}

// bytes returns f's bytes up to its size when it was opened (as
// NewFileInput reads them), decompressed as its format says; a decoder
// stops reading once ctx is done.
func (in *InputFile) bytes(ctx context.Context, f *os.File) (io.Reader, func(), error) {
	sized := &sizedReader{f: f, size: in.at.Size()}
	if in.Format == decompress.Plain {
		return sized, func() {}, nil
	}
	d, err := decompress.NewReader(ctx, sized, in.Format)
	if err != nil {
		return nil, nil, err
	}
	return d, func() { d.Close() }, nil
}

// countLines counts the lines of f, decompressed, up to its size when it
// was opened. An error names the lines counted before it.
func (in *InputFile) countLines(ctx context.Context, f *os.File) (n int64, unended bool, err error) {
	if in.Format == decompress.Plain {
		return countLines(ctx, io.NewSectionReader(f, 0, in.at.Size()))
	}
	r, closeReader, err := in.bytes(ctx, f)
	if err != nil {
		return 0, false, err
	}
	defer closeReader()
	return countLines(ctx, r)
}

// sniffFile returns the format of f's content, from its first bytes.
func sniffFile(f *os.File) (decompress.Format, error) {
	head := make([]byte, decompress.HeadLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return decompress.Plain, err
	}
	format, err := decompress.Sniff(head[:n])
	if err != nil {
		return format, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return format, nil
}

// streamOpenError is the error of a stream's first bytes: ctx's when it
// ended the read, an unsupported format as ErrBadInput.
func streamOpenError(ctx context.Context, err error) error {
	var unsupported *decompress.UnsupportedError
	switch {
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("batch: input: reading stopped in the header: %w", context.Canceled)
	case errors.As(err, &unsupported):
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return fmt.Errorf("%w: header: %w", ErrBadInput, err)
}

// withNote adds to the error of an input's header what its name claims,
// when its content is not that: a .csv.gz that is no gzip, say, refused
// as a CSV.
func withNote(err error, path string, format decompress.Format) error {
	if path == "-" || decompress.Mismatch(path, format) == "" || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w (%s)", err, decompress.Mismatch(path, format))
}

// mismatch is the note of an input whose name claims another format than
// its content's ("" for standard input, which has no name).
func mismatch(path string, format decompress.Format) string {
	if path == "-" {
		return ""
	}
	if note := decompress.Mismatch(path, format); note != "" {
		return fmt.Sprintf("input %s: %s", safetext.Quote(path), note)
	}
	return ""
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
	again, closeReader, err := in.read(ctx, f)
	if err != nil {
		f.Close()
		return nil, nil, true, err
	}
	return again, func() error { closeReader(); return f.Close() }, true, nil
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
// at a time). A read error names the lines counted before it (a
// compressed stream found cut short or damaged, say).
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
			return 0, false, fmt.Errorf("after line %d: %w", n, err)
		}
	}
}
