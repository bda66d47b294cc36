package batch

import (
	"context"
	"errors"
	"fmt"
	"github.com/msgread/msgread/reports"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/csvline"
)

// Row is one data row of the input.
type Row struct {
	// Line is the row's physical line number in the input (the header is
	// line 1).
	Line int
	// ReportAccount and PeerAccount are the conversation's two users.
	ReportAccount string
	PeerAccount   string
	// MsgReadTime is the msg_read_time cell as the input has it.
	MsgReadTime string
	// ReadTime is MsgReadTime as decimal Unix seconds, or "" for "now".
	ReadTime string
	// Invalid says why the row cannot be sent; "" for a valid row.
	Invalid string

	// done is set by the runner for a line an earlier run finished.
	done bool
}

// Columns of the input, as matched after folding case. MsgReadTime is also
// accepted for msg_read_time.
const (
	ColReportAccount = "report_account"
	ColPeerAccount   = "peer_account"
	ColMsgReadTime   = "msg_read_time"
)

// inputRow is what gocsv decodes each line of the input into.
type inputRow struct {
	ReportAccount string `csv:"report_account"`
	PeerAccount   string `csv:"peer_account"`
	MsgReadTime   string `csv:"msg_read_time"`
}

// ErrBadInput is wrapped by the errors of an input file that cannot be read
// as a whole: no header, a required column missing, or unreadable.
var ErrBadInput = errors.New("batch: bad input file")

// Input reads the rows of an input CSV, one physical line a row: line N of
// the file is always row N, and a line that does not parse (a stray quote,
// a missing cell) is an invalid row, never the end of the file. It reads the
// header when created and a line each time Next is called, so its memory
// does not grow with the file. It is not safe for concurrent use.
type Input struct {
	lines       *csvline.Reader
	dec         *csvline.Decoder[inputRow]
	rows, blank int
	ended       bool
}

// NewInput reads the header of the CSV in r and checks that the required
// columns are there. Its errors wrap ErrBadInput.
func NewInput(r io.Reader) (*Input, error) {
	return NewInputContext(context.Background(), r)
}

// NewInputContext is NewInput for an input that may be endless or slow:
// once ctx is done, Next returns ctx's error within a read, even in the
// middle of a line with no end.
func NewInputContext(ctx context.Context, r io.Reader) (*Input, error) {
	if f, ok := r.(*os.File); !ok || !isRegular(f) {
		r = &ctxReader{ctx: ctx, r: r} // a pipe or a terminal may block for ever
	}
	in := &Input{lines: csvline.NewReader(r, 0)}
	in.lines.Stopped = func() bool { return ctx.Err() != nil }
	header, err := in.readHeader()
	if err != nil {
		return nil, err
	}
	if in.dec, err = csvline.NewDecoder[inputRow](header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrBadInput, err)
	}
	return in, nil
}

// Next returns the next row, or io.EOF after the last. Blank lines are no
// rows: Next passes over them and counts them (Blank). An invalid row comes
// with Invalid set. Any other error wraps ErrBadInput: the file could not be
// read on.
func (in *Input) Next() (Row, error) { return in.NextIf(nil) }

// NextIf is Next that decodes the row only when decode, given the row's
// index (from 0, blank lines not counted), says so; a row not decoded comes
// with its Line only, for a second pass over an input already checked.
func (in *Input) NextIf(decode func(row int) bool) (Row, error) {
	for {
		l, err := in.lines.Next()
		if errors.Is(err, io.EOF) {
			in.ended = true
			return Row{}, io.EOF
		}
		if errors.Is(err, csvline.ErrStopped) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return Row{}, fmt.Errorf("batch: input: reading stopped after line %d: %w", in.lines.Lines(), context.Canceled)
		}
		if err != nil {
			return Row{}, fmt.Errorf("%w: after line %d: %v", ErrBadInput, in.lines.Lines(), err)
		}
		if l.Blank() {
			in.blank++
			continue
		}
		in.rows++
		if decode != nil && !decode(in.rows-1) {
			return Row{Line: l.Num}, nil
		}
		if l.TooLong {
			return Row{Line: l.Num, Invalid: fmt.Sprintf("the line is longer than %d bytes", csvline.DefaultMaxLine)}, nil
		}
		rec, err := in.dec.Decode(l.Text)
		if err != nil {
			return Row{Line: l.Num, Invalid: fmt.Sprintf("%v: %s", err, excerpt(l.Text))}, nil
		}
		return rec.row(l.Num), nil
	}
}

// Counts says how much of the input Next has read: every physical line
// (the header and blank lines included), the rows among them, the blank
// lines, and whether it reached the end.
func (in *Input) Counts() (lines, rows, blank int, ended bool) {
	return in.lines.Lines(), in.rows, in.blank, in.ended
}

// excerpt quotes the start of a line that does not parse, for the report.
func excerpt(text []byte) string {
	const max = 60
	if len(text) > max {
		return fmt.Sprintf("%q…", text[:max])
	}
	return fmt.Sprintf("%q", text)
}

var headerAliases = map[string]string{
	"msgreadtime": ColMsgReadTime,
}

// readHeader reads the first line that is not blank and folds its names:
// case, a BOM, the MsgReadTime spelling; a column msgread does not read is
// named "" (ignored).
func (in *Input) readHeader() ([]string, error) {
	var l csvline.Line
	for {
		var err error
		l, err = in.lines.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: it is empty: a header row naming %s and %s is required", ErrBadInput, ColReportAccount, ColPeerAccount)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: header: %v", ErrBadInput, err)
		}
		if !l.Blank() {
			break
		}
	}
	if l.TooLong {
		return nil, fmt.Errorf("%w: header (line %d) is longer than %d bytes", ErrBadInput, l.Num, csvline.DefaultMaxLine)
	}
	rec, err := csvline.Fields(l.Text)
	if err != nil {
		return nil, fmt.Errorf("%w: header (line %d): %v", ErrBadInput, l.Num, err)
	}
	seen := map[string]int{}
	header := make([]string, len(rec))
	for i, name := range rec {
		if i == 0 {
			name = strings.TrimPrefix(name, "\uFEFF")
		}
		key := strings.ToLower(strings.TrimSpace(name))
		if alias, ok := headerAliases[key]; ok {
			key = alias
		}
		switch key {
		case ColReportAccount, ColPeerAccount, ColMsgReadTime:
			if prev, dup := seen[key]; dup {
				return nil, fmt.Errorf("%w: header (line %d): columns %d and %d are both %s", ErrBadInput, l.Num, prev+1, i+1, key)
			}
			seen[key] = i
		default:
			key = "" // ignored column
		}
		header[i] = key
	}
	for _, col := range []string{ColReportAccount, ColPeerAccount} {
		if _, ok := seen[col]; !ok {
			return nil, fmt.Errorf("%w: header (line %d) has no %s column (found: %.200s)", ErrBadInput, l.Num, col, strings.Join(rec, ","))
		}
	}
	return header, nil
}

func (rec inputRow) row(line int) Row {
	r := Row{Line: line, ReportAccount: rec.ReportAccount, PeerAccount: rec.PeerAccount, MsgReadTime: rec.MsgReadTime}
	if why := CheckAccount(rec.ReportAccount); why != "" {
		r.Invalid = ColReportAccount + " " + why
		return r
	}
	if why := CheckAccount(rec.PeerAccount); why != "" {
		r.Invalid = ColPeerAccount + " " + why
		return r
	}
	readTime, err := ParseReadTime(rec.MsgReadTime)
	if err != nil {
		r.Invalid = ColMsgReadTime + " " + err.Error()
		return r
	}
	r.ReadTime = readTime
	return r
}

// MaxAccountBytes is the longest UserID the service accepts.
const MaxAccountBytes = chatapi.MaxUserIDBytes

// CheckAccount returns why id is not a usable UserID, or "" when it is
// (chatapi.CheckUserID: the same rules as the mock's).
func CheckAccount(id string) string { return chatapi.CheckUserID(id) }

// ParseReadTime turns a msg_read_time cell into decimal Unix seconds: "" stays
// "" (the service then uses now), digits are seconds, and an RFC 3339 time is
// converted. Values with 13, 16 or 19 digits are refused as milliseconds,
// microseconds or nanoseconds.
func ParseReadTime(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if chatapi.IsDecimal(s) {
		switch len(s) {
		case 13:
			return "", fmt.Errorf("%q has 13 digits: milliseconds? it must be Unix seconds", s)
		case 16:
			return "", fmt.Errorf("%q has 16 digits: microseconds? it must be Unix seconds", s)
		case 19:
			return "", fmt.Errorf("%q has 19 digits: nanoseconds? it must be Unix seconds", s)
		}
		n, ok := chatapi.ParseSeconds(s)
		if !ok {
			return "", fmt.Errorf("%q is out of range", s)
		}
		return strconv.FormatInt(n, 10), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "", fmt.Errorf("%q is neither Unix seconds nor an RFC 3339 time", s)
	}
	if t.Unix() < 0 {
		return "", fmt.Errorf("%q is before 1970", s)
	}
	return strconv.FormatInt(t.Unix(), 10), nil
}

// CheckResume reads the whole input through res before a resumed run
// starts, so that an input the old report was not made from is refused
// before the first call: it returns the first *reports.MismatchError or
// *reports.LineError, or ctx's error. res is rewound for the run.
func CheckResume(ctx context.Context, in *Input, res *reports.Resume) error {
	defer res.Rewind()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := in.Next()
		if errors.Is(err, io.EOF) {
			lines, _, _, _ := in.Counts()
			return res.Finish(lines)
		}
		if err != nil {
			return err
		}
		if _, err := res.Skip(row.Line, row.ReportAccount, row.PeerAccount, row.MsgReadTime); err != nil {
			return err
		}
	}
}

func isRegular(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}

// ctxReader is a reader that gives up when its context is done, even while
// the read beneath it is blocked (an idle standard input): the blocked read
// is left behind, and what it returns is dropped.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	// buf is the read's own buffer: a read left behind may still write
	// into it, so it is never p. Once ctx is done no read starts again, so
	// one buffer serves every read.
	buf  []byte
	done chan readResult
}

type readResult struct {
	n   int
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Done() == nil {
		return c.r.Read(p)
	}
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if cap(c.buf) < len(p) {
		c.buf, c.done = make([]byte, len(p)), make(chan readResult, 1)
	}
	buf := c.buf[:len(p)]
	go func() {
		n, err := c.r.Read(buf)
		c.done <- readResult{n, err}
	}()
	select {
	case res := <-c.done:
		copy(p, buf[:res.n])
		return res.n, res.err
	case <-c.ctx.Done():
		return 0, c.ctx.Err()
	}
}
