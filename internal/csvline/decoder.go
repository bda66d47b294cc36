package csvline

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/gocarina/gocsv"
)

// Decoder maps the cells of one line onto a struct T whose fields carry csv
// tags, through gocsv. Under gocsv sits an encoding/csv reader that is fed
// one line at a time, so a quote left open ends the line's record with an
// error instead of reading on into the next lines. It is not safe for
// concurrent use.
type Decoder[T any] struct {
	feed  feed
	um    *gocsv.Unmarshaller
	width int
}

// NewDecoder returns a Decoder for lines whose cells are named by header, in
// order. A name that matches no tag of T is an ignored column; "" is one.
func NewDecoder[T any](header []string) (*Decoder[T], error) {
	d := &Decoder[T]{width: len(header)}
	var line bytes.Buffer
	w := csv.NewWriter(&line)
	if err := w.Write(header); err != nil {
		return nil, err
	}
	w.Flush()
	d.feed.set(trimEnd(line.Bytes()))
	cr := csv.NewReader(&d.feed)
	cr.ReuseRecord = true // gocsv copies each cell's string out
	// FieldsPerRecord stays 0: the header sets it, and a line with another
	// number of cells is an error.
	var zero T
	um, err := gocsv.NewUnmarshaller(cr, zero)
	if err != nil {
		return nil, fmt.Errorf("csvline: %w", err)
	}
	d.um = um
	return d, nil
}

// Decode returns the struct for one line's text (without its line end). A
// line that is not one CSV record of the header's width is an error that
// says why in words for the report.
func (d *Decoder[T]) Decode(text []byte) (T, error) {
	var zero T
	d.feed.set(text)
	v, err := d.um.Read()
	d.feed.set(nil)
	if err == nil {
		return v.(T), nil
	}
	var perr *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return zero, errors.New("the line is empty")
	case errors.As(err, &perr) && errors.Is(perr.Err, csv.ErrFieldCount):
		return zero, fmt.Errorf("has %d fields, the header has %d", countFields(text), d.width)
	case errors.As(err, &perr):
		return zero, fmt.Errorf("CSV syntax: %v (column %d)", perr.Err, perr.Column)
	}
	return zero, err
}

// Fields splits one line into its cells, with encoding/csv's rules; for a
// header, which is read once.
func Fields(text []byte) ([]string, error) {
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the line is empty")
	}
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return nil, fmt.Errorf("CSV syntax: %v (column %d)", perr.Err, perr.Column)
	}
	return rec, err
}

// countFields counts the cells of a line that parses but has the wrong
// width; it runs on that error path only.
func countFields(text []byte) int {
	rec, err := Fields(text)
	if err != nil {
		return 0
	}
	return len(rec)
}

// feed hands an encoding/csv reader one line, then io.EOF: the reader cannot
// see past the line it is given.
type feed struct{ b []byte }

func (f *feed) set(b []byte) { f.b = b }

func (f *feed) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}
