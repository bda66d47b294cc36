// Package csvline reads CSV files in which one physical line is one record.
//
// msgread's input and its report both keep that rule: a cell may hold commas
// and quotes, never a line break. So a line that does not parse (a stray
// quote, say) is one bad record, and the next line starts afresh: nothing on
// one line can swallow the lines after it, and line N of the file is always
// record N. Reader cuts the lines; Decoder maps one line's cells onto a
// tagged struct through gocsv.
package csvline

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// DefaultMaxLine is the longest line a Reader returns whole. A UserID is at
// most 32 bytes, so a line of 64 KiB is no row of an input or a report.
const DefaultMaxLine = 64 << 10

// ErrStopped is returned by Next when Stopped said so.
var ErrStopped = errors.New("csvline: stopped")

// ErrNoLineEnd is returned by Next when a line has no line end within the
// Reader's EndWithin bytes; the Reader cannot go on past it.
var ErrNoLineEnd = errors.New("csvline: no line end")

// Line is one physical line of the file.
type Line struct {
	// Num is the line's number, the first line being 1.
	Num int
	// Text is the line without its line end ("\n" or "\r\n"). It is valid
	// until the next call to Next.
	Text []byte
	// Newline is false for a last line that ends without a newline: in a
	// report, a row torn by a crash.
	Newline bool
	// TooLong is set when the line was longer than the Reader's limit; Text
	// then holds its start, and the rest of it was skipped.
	TooLong bool
	// Raw is the line as it was read, its line end included: the bytes of
	// the file, for a copy of the line elsewhere. It holds at most the
	// Reader's limit and two bytes, and is valid until the next call to
	// Next.
	Raw []byte
}

// Blank reports whether the line holds nothing but spaces and tabs.
func (l Line) Blank() bool { return len(bytes.Trim(l.Text, " \t\r")) == 0 }

// Reader returns the lines of a stream one at a time. Its memory is bounded
// by its line limit, however long the stream. It is not safe for concurrent
// use.
type Reader struct {
	// Stopped, when set, is asked while a line too long to keep is being
	// read past (endless input without a newline, say): true ends Next
	// with ErrStopped.
	Stopped func() bool
	// EndWithin, when positive, bounds how far Next reads in search of a
	// line's end: a line with none within EndWithin bytes ends Next with
	// ErrNoLineEnd (and the line's start in Text), for an endless stream
	// without a newline (/dev/zero) would otherwise be read for ever. Zero
	// reads on, however long the line.
	EndWithin int64

	br     *bufio.Reader
	max    int
	num    int
	buf    []byte
	offset int64 // bytes consumed through the end of the last line returned
	ended  int64 // offset after the last line that ended with a newline
}

// NewReader returns a Reader of r whose lines are cut at maxLine bytes (0
// means DefaultMaxLine).
func NewReader(r io.Reader, maxLine int) *Reader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), max: maxLine}
}

// Next returns the next line, or io.EOF after the last one. Any other error
// is the underlying reader's, and the line it cut short is not returned:
// only io.EOF makes a last line of bytes without a line end.
func (r *Reader) Next() (Line, error) {
	r.buf = r.buf[:0]
	var consumed int64
	for {
		chunk, err := r.br.ReadSlice('\n')
		consumed += int64(len(chunk))
		// Keep up to max+2 bytes: the longest allowed text and a "\r\n".
		if room := r.max + 2 - len(r.buf); room > 0 {
			r.buf = append(r.buf, chunk[:min(len(chunk), room)]...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if r.Stopped != nil && r.Stopped() {
				return Line{}, ErrStopped
			}
			if r.EndWithin > 0 && consumed > r.EndWithin {
				text := trimEnd(r.buf)
				return Line{Num: r.num + 1, Text: text[:min(len(text), r.max)], TooLong: true}, ErrNoLineEnd
			}
			continue
		case errors.Is(err, io.EOF) && consumed == 0:
			return Line{}, io.EOF
		case err != nil && !errors.Is(err, io.EOF):
			// The stream failed in the middle of a line (a file cut short
			// under its reader, say): what was read of the line is no
			// line, and is dropped, never returned as a last line. Only
			// io.EOF ends a last line without a line end.
			return Line{}, err
		}
		r.num++
		r.offset += consumed
		line := Line{Num: r.num, Text: trimEnd(r.buf), Newline: err == nil, Raw: r.buf}
		if line.Newline {
			r.ended = r.offset
		}
		if consumed > int64(len(r.buf)) || len(line.Text) > r.max {
			line.TooLong, line.Text = true, line.Text[:min(len(line.Text), r.max)]
		}
		return line, nil
	}
}

// Lines returns how many lines Next has returned.
func (r *Reader) Lines() int { return r.num }

// Complete returns the number of bytes up to the end of the last line that
// ended with a newline: what stays of a file when a torn last line is cut.
func (r *Reader) Complete() int64 { return r.ended }

// trimEnd drops the line end: "\n", or "\r\n".
func trimEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// Offset returns the number of bytes consumed through the end of the last
// line returned.
func (r *Reader) Offset() int64 { return r.offset }
