package reports

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gocarina/gocsv"
	"github.com/msgread/msgread/internal/crashpoint"
	"github.com/msgread/msgread/internal/csvline"
	"github.com/msgread/msgread/internal/decompress"
)

// row is a report row as CSV cells; gocsv maps it to and from the header
// by its tags, which are the report's header.
type row struct {
	Line          string `csv:"line"`
	ReportAccount string `csv:"report_account"`
	PeerAccount   string `csv:"peer_account"`
	MsgReadTime   string `csv:"msg_read_time"`
	Status        string `csv:"status"`
	ErrorCode     string `csv:"error_code"`
	ErrorInfo     string `csv:"error_info"`
	HTTPStatus    string `csv:"http_status"`
	Attempts      string `csv:"attempts"`
	LatencyMS     string `csv:"latency_ms"`
	FinishedAt    string `csv:"finished_at"`
}

// Writer writes report rows as CSV, one line a row: no cell holds a raw line
// break (see Cell). It is not safe for concurrent use: one goroutine owns it.
type Writer struct {
	out   *countingWriter
	buf   *bufio.Writer
	csv   *csv.Writer
	cells [11]string // one row's, reused
	// The finished_at text of the last second written, up to its
	// milliseconds: rows finish many a second, so most reuse it.
	second     int64
	secondText string
}

// NewWriter returns a Writer on w. When header is true it writes the header
// row first (false when appending to an existing report).
func NewWriter(w io.Writer, header bool) (*Writer, error) {
	out := &countingWriter{w: w}
	buf := bufio.NewWriterSize(out, 64<<10)
	rw := &Writer{out: out, buf: buf, csv: csv.NewWriter(buf)}
	if header {
		// gocsv writes the header from row's tags; the rows go straight
		// to encoding/csv in the same order (row's fields'), without
		// reflection a row.
		if err := gocsv.MarshalCSV([]row{}, gocsv.NewSafeCSVWriter(rw.csv)); err != nil {
			return nil, err
		}
	}
	return rw, nil
}

// Write adds one row; it reaches w on Flush or when the buffer fills.
// After an error, every Write and Flush fails.
func (w *Writer) Write(r Record) error {
	c := r.cells(w.finishedAt)
	w.cells = [11]string{c.Line, c.ReportAccount, c.PeerAccount, c.MsgReadTime, c.Status, c.ErrorCode, c.ErrorInfo,
		c.HTTPStatus, c.Attempts, c.LatencyMS, c.FinishedAt}
	if err := w.csv.Write(w.cells[:]); err != nil {
		return err
	}
	w.csv.Flush() // into buf: Offset counts the row
	return w.csv.Error()
}

// Offset is how many bytes the rows written so far take, buffered or not.
func (w *Writer) Offset() int64 { return w.out.n + int64(w.buf.Buffered()) }

// Landed is how many bytes the underlying writer took: a row whose end is
// past it never reached the file.
func (w *Writer) Landed() int64 { return w.out.n }

// countingWriter counts the bytes its writer took, on error too.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// carry writes a done row of an old report as skipped in a new one, its
// cells as the old report has them (the read time that was sent, when it
// was done).
func (w *Writer) carry(c doneRow) error {
	w.cells = [11]string{c.Line, c.ReportAccount, c.PeerAccount, c.MsgReadTime, string(StatusSkipped), "", "", "", "0", "0", c.FinishedAt}
	crashpoint.Hit("carry")
	return w.csv.Write(w.cells[:])
}

// Flush writes the buffered rows to the underlying writer.
func (w *Writer) Flush() error {
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return err
	}
	return w.buf.Flush()
}

// finishedAt formats t as TimeFormat does, reusing the text of the last
// second written.
func (w *Writer) finishedAt(t time.Time) string {
	t = t.UTC()
	if sec := t.Unix(); sec != w.second || w.secondText == "" {
		full := t.Format(TimeFormat)
		w.second, w.secondText = sec, ""
		if len(full) == len("2006-01-02T15:04:05.000Z") { // a four-digit year
			w.secondText = full[:len("2006-01-02T15:04:05.")]
		}
		return full
	}
	var ms [4]byte
	n := t.Nanosecond() / int(time.Millisecond)
	ms[0], ms[1], ms[2], ms[3] = byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10), 'Z'
	return w.secondText + string(ms[:])
}

// cells turns r into report cells; finishedAt formats its finished time.
func (r Record) cells(finishedAt func(time.Time) string) row {
	c := row{
		Line:          strconv.Itoa(r.Line),
		ReportAccount: Cell(r.ReportAccount),
		PeerAccount:   Cell(r.PeerAccount),
		MsgReadTime:   Cell(r.MsgReadTime),
		Status:        string(r.Status),
		ErrorInfo:     Cell(r.ErrorInfo),
		Attempts:      strconv.Itoa(r.Attempts),
		LatencyMS:     strconv.FormatInt(r.Latency.Milliseconds(), 10),
	}
	if r.HasCode {
		c.ErrorCode = strconv.Itoa(r.ErrorCode)
	}
	if r.HTTPStatus != 0 {
		c.HTTPStatus = strconv.Itoa(r.HTTPStatus)
	}
	if !r.FinishedAt.IsZero() {
		c.FinishedAt = finishedAt(r.FinishedAt)
	}
	return c
}

// TimeFormat is the layout of finished_at: RFC 3339 in UTC with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// lineBreaks shows a line break inside a cell as the two characters \r or
// \n, so that a report row is always one line.
var lineBreaks = strings.NewReplacer("\r", `\r`, "\n", `\n`)

// Cell makes a value safe for a report cell: line breaks are shown as \r
// and \n (a report row is one line), and the cell is neutralised against
// spreadsheet formulas. Only the accounts of rows that were sent are read
// back, and those hold no line breaks, so Uncell restores them exactly.
func Cell(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		s = lineBreaks.Replace(s)
	}
	return Neutralize(s)
}

// Uncell reverses Cell for a cell that held no line break.
func Uncell(s string) string { return Unneutralize(s) }

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

// record turns the cells of a report row back into a Record.
func (c row) record() (Record, error) {
	var r Record
	var err error
	if r.Line, err = parseLine(c.Line); err != nil {
		return Record{}, err
	}
	r.ReportAccount = Uncell(c.ReportAccount)
	r.PeerAccount = Uncell(c.PeerAccount)
	r.MsgReadTime = Uncell(c.MsgReadTime)
	r.Status = Status(c.Status)
	if !r.Status.valid() {
		return Record{}, fmt.Errorf("unknown status %q", c.Status)
	}
	if c.ErrorCode != "" {
		if r.ErrorCode, err = strconv.Atoi(c.ErrorCode); err != nil {
			return Record{}, fmt.Errorf("error_code %q is not a number", c.ErrorCode)
		}
		r.HasCode = true
	}
	r.ErrorInfo = Uncell(c.ErrorInfo)
	if c.HTTPStatus != "" {
		if r.HTTPStatus, err = strconv.Atoi(c.HTTPStatus); err != nil {
			return Record{}, fmt.Errorf("http_status %q is not a number", c.HTTPStatus)
		}
	}
	if r.Attempts, err = strconv.Atoi(c.Attempts); err != nil {
		return Record{}, fmt.Errorf("attempts %q is not a number", c.Attempts)
	}
	ms, err := strconv.ParseInt(c.LatencyMS, 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("latency_ms %q is not a number", c.LatencyMS)
	}
	r.Latency = time.Duration(ms) * time.Millisecond
	if r.FinishedAt, err = time.Parse(TimeFormat, c.FinishedAt); err != nil {
		return Record{}, fmt.Errorf("finished_at %q is not a time", c.FinishedAt)
	}
	return r, nil
}

// MaxLine is the highest input line number a report may name: far beyond
// any real input, and small enough that no arithmetic on it overflows.
const MaxLine = 1 << 40

// parseLine reads a line cell: a decimal number from 2 (line 1 is the
// input's header) to MaxLine.
func parseLine(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 2 || n > MaxLine || s[0] == '+' {
		return 0, fmt.Errorf("line %q is not an input line number", s)
	}
	return int(n), nil
}

func (s Status) valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// ErrNotReport is wrapped when a file is not a msgread report.
var ErrNotReport = errors.New("not a msgread report")

// reportReader reads a report line by line into T, a struct with some or
// all of the report's columns as tags.
type reportReader[T any] struct {
	lines *csvline.Reader
	dec   *csvline.Decoder[T]
	torn  bool // the last line had no newline: left out
}

// newReportReader checks the report's header. An empty file is a report
// with no rows (its run was killed before writing anything).
func newReportReader[T any](r io.Reader) (*reportReader[T], error) {
	lines := csvline.NewReader(r, 0)
	head, err := lines.Next()
	// Before the torn-header rule: a small compressed file may hold no
	// newline byte at all.
	if format, _ := decompress.Sniff(head.Text); format != decompress.Plain {
		return nil, compressedReport(format)
	}
	if errors.Is(err, io.EOF) || (err == nil && !head.Newline) {
		return &reportReader[T]{lines: lines}, nil // empty, or a torn header
	}
	if err != nil {
		return nil, err
	}
	text := strings.TrimPrefix(string(head.Text), "\uFEFF")
	if text != strings.Join(Header, ",") {
		return nil, fmt.Errorf("%w: its header is %.120q", ErrNotReport, text)
	}
	dec, err := csvline.NewDecoder[T](Header)
	if err != nil {
		return nil, err
	}
	return &reportReader[T]{lines: lines, dec: dec}, nil
}

// compressedReport is the error of a report given compressed: a resume
// and msgread report read a report with the files beside it (its sent log,
// timeline, the chain's), as run wrote them, so they take it decompressed
// where it lies.
func compressedReport(format decompress.Format) error {
	tool := "gunzip -k"
	if format == decompress.Zstd {
		tool = "zstd -d"
	}
	return fmt.Errorf("%w: it is %s-compressed: decompress it where it lies (%s) and give the .csv, read with its sent log and timeline beside it (verify alone reads a compressed report)",
		ErrNotReport, format, tool)
}

// next returns the cells of the next complete row with its line in the
// report. A last line without its newline is torn: next returns io.EOF
// before it.
func (rr *reportReader[T]) next() (T, int, error) {
	var zero T
	if rr.dec == nil {
		return zero, 0, io.EOF
	}
	for {
		l, err := rr.lines.Next()
		if err != nil {
			return zero, 0, err
		}
		if !l.Newline {
			rr.torn = len(l.Text) > 0
			return zero, 0, io.EOF // the torn-tail rule: never a row
		}
		if l.Blank() {
			continue
		}
		c, err := rr.dec.Decode(l.Text)
		if err != nil {
			return zero, l.Num, fmt.Errorf("report line %d is not a report row: %w", l.Num, err)
		}
		return c, l.Num, nil
	}
}

// Reader reads a report's complete rows one at a time, in the file's
// order; a torn last line (a run killed mid-write, or still writing) is
// left out, as a resume leaves it out.
type Reader struct {
	rr *reportReader[row]
}

// NewReader checks the report's header; its error wraps ErrNotReport for
// a file that is not a msgread report.
func NewReader(r io.Reader) (*Reader, error) {
	rr, err := newReportReader[row](r)
	if err != nil {
		return nil, err
	}
	return &Reader{rr: rr}, nil
}

// Next returns the next complete row, or io.EOF after the last; an error
// names the report line that is not a row.
func (r *Reader) Next() (Record, error) {
	c, num, err := r.rr.next()
	if err != nil {
		return Record{}, err
	}
	rec, err := c.record()
	if err != nil {
		return Record{}, fmt.Errorf("report line %d is not a report row: %w", num, err)
	}
	return rec, nil
}

// Torn says, once Next returned io.EOF, that the report's last line had
// no line end and was left out.
func (r *Reader) Torn() bool { return r.rr.torn }

// ReadAll reads the complete rows of a report, for tests and small tools;
// a torn last line is left out, as a resume leaves it out.
func ReadAll(r io.Reader) ([]Record, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, err
	}
	var out []Record
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}
