package reports

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Writer writes report rows as CSV. It is not safe for concurrent use: one
// goroutine owns it.
type Writer struct {
	buf *bufio.Writer
	csv *csv.Writer
	rec []string
}

// NewWriter returns a Writer on w. When header is true it writes the header
// row first (false when appending to an existing report).
func NewWriter(w io.Writer, header bool) (*Writer, error) {
	buf := bufio.NewWriterSize(w, 64<<10)
	rw := &Writer{buf: buf, csv: csv.NewWriter(buf), rec: make([]string, len(Header))}
	if header {
		if err := rw.csv.Write(Header); err != nil {
			return nil, err
		}
	}
	return rw, nil
}

// Write adds one row; it reaches w on Flush or when the buffer fills. Cells a
// spreadsheet would evaluate as a formula are neutralised.
func (w *Writer) Write(r Record) error {
	code, httpStatus := "", ""
	if r.HasCode {
		code = strconv.Itoa(r.ErrorCode)
	}
	if r.HTTPStatus != 0 {
		httpStatus = strconv.Itoa(r.HTTPStatus)
	}
	finished := ""
	if !r.FinishedAt.IsZero() {
		finished = r.FinishedAt.UTC().Format(TimeFormat)
	}
	w.rec[0] = strconv.Itoa(r.Line)
	w.rec[1] = Neutralize(r.ReportAccount)
	w.rec[2] = Neutralize(r.PeerAccount)
	w.rec[3] = Neutralize(r.MsgReadTime)
	w.rec[4] = string(r.Status)
	w.rec[5] = code
	w.rec[6] = Neutralize(r.ErrorInfo)
	w.rec[7] = httpStatus
	w.rec[8] = strconv.Itoa(r.Attempts)
	w.rec[9] = strconv.FormatInt(r.Latency.Milliseconds(), 10)
	w.rec[10] = finished
	return w.csv.Write(w.rec)
}

// Flush writes the buffered rows to the underlying writer.
func (w *Writer) Flush() error {
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return err
	}
	return w.buf.Flush()
}

// TimeFormat is the layout of finished_at: RFC 3339 in UTC with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Neutralize makes a cell safe to open in a spreadsheet: a cell starting
// with =, +, -, @, tab or carriage return gets a leading apostrophe, so it is
// shown as text instead of run as a formula. A cell starting with an
// apostrophe gets one more, so that Unneutralize restores every cell exactly.
func Neutralize(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return "'" + s
	}
	return s
}

// Unneutralize reverses Neutralize.
func Unneutralize(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r', '\'':
			return s[1:]
		}
	}
	return s
}

// ParseRecord turns a report row (as csv.Reader returns it) back into a
// Record.
func ParseRecord(rec []string) (Record, error) {
	if len(rec) != len(Header) {
		return Record{}, fmt.Errorf("reports: %d fields, want %d", len(rec), len(Header))
	}
	var r Record
	var err error
	if r.Line, err = strconv.Atoi(rec[0]); err != nil || r.Line < 2 {
		return Record{}, fmt.Errorf("reports: line %q is not a line number", rec[0])
	}
	r.ReportAccount = Unneutralize(rec[1])
	r.PeerAccount = Unneutralize(rec[2])
	r.MsgReadTime = Unneutralize(rec[3])
	r.Status = Status(rec[4])
	if !r.Status.valid() {
		return Record{}, fmt.Errorf("reports: unknown status %q", rec[4])
	}
	if rec[5] != "" {
		if r.ErrorCode, err = strconv.Atoi(rec[5]); err != nil {
			return Record{}, fmt.Errorf("reports: error_code %q", rec[5])
		}
		r.HasCode = true
	}
	r.ErrorInfo = Unneutralize(rec[6])
	if rec[7] != "" {
		if r.HTTPStatus, err = strconv.Atoi(rec[7]); err != nil {
			return Record{}, fmt.Errorf("reports: http_status %q", rec[7])
		}
	}
	if r.Attempts, err = strconv.Atoi(rec[8]); err != nil {
		return Record{}, fmt.Errorf("reports: attempts %q", rec[8])
	}
	ms, err := strconv.ParseInt(rec[9], 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("reports: latency_ms %q", rec[9])
	}
	r.Latency = time.Duration(ms) * time.Millisecond
	if r.FinishedAt, err = time.Parse(TimeFormat, rec[10]); err != nil {
		return Record{}, fmt.Errorf("reports: finished_at %q", rec[10])
	}
	return r, nil
}

func (s Status) valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// ReadAll reads a whole report, for tests and small tools. Long reports are
// better streamed with csv.Reader and ParseRecord.
func ReadAll(r io.Reader) ([]Record, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reports: header: %w", err)
	}
	if strings.Join(head, ",") != strings.Join(Header, ",") {
		return nil, fmt.Errorf("reports: header %q is not a msgread report's", strings.Join(head, ","))
	}
	var out []Record
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("reports: %w", err)
		}
		r, err := ParseRecord(rec)
		if err != nil {
			line, _ := cr.FieldPos(0)
			return out, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, r)
	}
}
