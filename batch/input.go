package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/csvline"
	"github.com/msgread/msgread/internal/decompress"
	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/reports"
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
	// Raw is a valid row's line as the input has it, its line end
	// included (none for a last line without one): what the failed-rows
	// file copies. "" for invalid and synthetic rows.
	Raw string

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
// as a whole: no header, a required column missing, not UTF-8 text of
// lines, or unreadable.
var ErrBadInput = errors.New("batch: bad input file")

// ErrInputShrank is wrapped, with ErrBadInput, by the error of a regular
// file input read by NewFileInput that ends before the size it had when it
// was opened: the file was cut (truncate) or replaced in place (cp over it)
// while it was read. The line the new end cuts short is never returned as a
// row: the reader stops there, and a resume once the input is restored
// sends the rest.
var ErrInputShrank = errors.New("the input file shrank while it was read")

// ErrInputChanged is wrapped with ErrBadInput when the bytes of a regular
// input file just before where its reader stands are no longer those it
// read: the file was rewritten in place (cp over it, longer or not) while
// it was read. The run stops there, as for ErrInputShrank.
var ErrInputChanged = errors.New("the input file was rewritten while it was read")

// changedUnder says whether err is a regular input's change under its
// reader (ErrInputShrank or ErrInputChanged): an error that names the file
// already, passed on as it is.
func changedUnder(err error) bool {
	return errors.Is(err, ErrInputShrank) || errors.Is(err, ErrInputChanged)
}

// MaxLineRead is how far Input reads in search of a data line's end. A line
// longer than csvline.DefaultMaxLine is an invalid row, and reading goes on
// at the next line; a line with no end within MaxLineRead bytes ends the
// input with an error, for an endless stream without a newline (/dev/zero
// after a header) would be read for ever. The header must end within
// csvline.DefaultMaxLine.
const MaxLineRead = 64 << 20

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
	// names are the header's cells folded as they are matched, to know a
	// repeated header; headerLine is the header's line as the file has it.
	names      []string
	headerLine []byte
	// name names the input in the error of a compressed stream found
	// damaged under the run ("" when the caller names it).
	name string
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
	return newInput(ctx, r)
}

// NewFileInput is NewInputContext for a regular file read from its start
// up to size bytes only (its size when it was opened, say): what is
// appended to the file later is not read, and a last line the limit cuts
// is read as a last line without a line end. A file that ends before size
// bytes (it was cut or rewritten since) is an error wrapping ErrBadInput
// and ErrInputShrank, naming the file, size and the size found; the line
// the new end cuts short is not returned. As for a regular file given
// to NewInputContext, no read is left behind (a regular file's never
// waits), and ctx ends a line too long to keep. f is read with ReadAt: its
// offset is neither used nor moved. Anything but a regular file is read as
// NewInputContext reads it, to its end.
func NewFileInput(ctx context.Context, f *os.File, size int64) (*Input, error) {
	if !isRegular(f) {
		return NewInputContext(ctx, f)
	}
	return newInput(ctx, &sizedReader{f: f, size: size})
}

// sizedReader reads a regular file from its start up to size bytes with
// ReadAt (the file's offset is neither used nor moved), as an
// io.SectionReader does, but a file that ends before size bytes is no
// end: it returns an error wrapping ErrBadInput and ErrInputShrank, and
// keeps returning it.
type sizedReader struct {
	f         *os.File
	off, size int64
	err       error
	// tail holds the last bytes read (up to len(tail)): before each read
	// they are read again, so that a file rewritten in place is caught at
	// the next read, whatever its new length.
	tail  [64]byte
	ntail int
	check [64]byte
}

func (r *sizedReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.off >= r.size {
		return 0, io.EOF
	}
	if rest := r.size - r.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	if r.ntail > 0 {
		k, _ := r.f.ReadAt(r.check[:r.ntail], r.off-int64(r.ntail))
		if k != r.ntail || !bytes.Equal(r.check[:k], r.tail[:r.ntail]) {
			if st, serr := r.f.Stat(); serr == nil && st.Size() < r.size {
				return 0, r.shrank(st.Size())
			}
			r.err = fmt.Errorf("%w: %w: %s no longer holds, just before byte %d, what was read there (it was rewritten in place); what follows is not read",
				ErrBadInput, ErrInputChanged, safetext.Quote(r.f.Name()), r.off)
			return 0, r.err
		}
	}
	n, err := r.f.ReadAt(p, r.off)
	// A file rewritten shorter (cp over it) is caught at the first read
	// after, not when the reader reaches its new end: what this read got
	// may be the new content, so it is dropped, with the line it cuts.
	if st, serr := r.f.Stat(); serr == nil && st.Size() < r.size {
		return 0, r.shrank(st.Size())
	}
	r.keepTail(p[:n])
	r.off += int64(n)
	if !errors.Is(err, io.EOF) {
		return n, err
	}
	if r.off >= r.size {
		return n, nil // the file ends where it did: the next Read says EOF
	}
	return n, r.shrank(r.off)
}

// keepTail keeps the last bytes of what was read, for the next read's
// check.
func (r *sizedReader) keepTail(b []byte) {
	if len(b) >= len(r.tail) {
		r.ntail = copy(r.tail[:], b[len(b)-len(r.tail):])
		return
	}
	keep := min(r.ntail, len(r.tail)-len(b))
	copy(r.tail[:], r.tail[r.ntail-keep:r.ntail])
	r.ntail = keep + copy(r.tail[keep:], b)
}

// shrank records and returns the error of a file found at found bytes.
func (r *sizedReader) shrank(found int64) error {
	r.err = fmt.Errorf("%w: %w: %s had %d bytes when it was opened, and ends at %d bytes now (it was cut or rewritten)",
		ErrBadInput, ErrInputShrank, safetext.Quote(r.f.Name()), r.size, found)
	return r.err
}

func newInput(ctx context.Context, r io.Reader) (*Input, error) {
	in := &Input{lines: csvline.NewReader(r, 0)}
	in.lines.Stopped = func() bool { return ctx.Err() != nil }
	header, err := in.readHeader()
	if readStopped(err) {
		return nil, fmt.Errorf("batch: input: reading stopped in the header: %w", context.Canceled)
	}
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
		if err != nil {
			return Row{}, in.readError(l, err)
		}
		if l.Blank() {
			in.blank++
			continue
		}
		in.rows++
		if decode != nil && !decode(in.rows-1) {
			return Row{Line: l.Num}, nil
		}
		return in.decodeLine(l), nil
	}
}

// readStopped reports whether err is reading given up for the context:
// the input is not at fault.
func readStopped(err error) bool {
	return errors.Is(err, csvline.ErrStopped) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// readError is NextIf's error for err, which reading a data line l met.
func (in *Input) readError(l csvline.Line, err error) error {
	if readStopped(err) {
		return fmt.Errorf("batch: input: reading stopped after line %d: %w", in.lines.Lines(), context.Canceled)
	}
	if errors.Is(err, csvline.ErrNoLineEnd) {
		why := "not a CSV of lines"
		if cause := notText(l.Text); cause != "" {
			why = cause
		}
		return fmt.Errorf("%w: line %d has no line end within %d MiB: %s", ErrBadInput, l.Num, MaxLineRead>>20, why)
	}
	if changedUnder(err) {
		return fmt.Errorf("%w; line %d was the last read whole, and what follows is not read (the line the new end cuts short is not sent)",
			err, in.lines.Lines())
	}
	var damaged *decompress.StreamError
	if errors.As(err, &damaged) && in.name != "" {
		return fmt.Errorf("%w: %s: after line %d: %v", ErrBadInput, in.name, in.lines.Lines(), err)
	}
	return fmt.Errorf("%w: after line %d: %v", ErrBadInput, in.lines.Lines(), err)
}

// decodeLine returns the row of the data line l, Invalid set when it is too
// long, does not decode, repeats the header or holds an unusable cell.
func (in *Input) decodeLine(l csvline.Line) Row {
	if l.TooLong {
		return Row{Line: l.Num, Invalid: fmt.Sprintf("the line is longer than %d bytes", csvline.DefaultMaxLine)}
	}
	rec, err := in.dec.Decode(l.Text)
	if err != nil {
		return Row{Line: l.Num, Invalid: fmt.Sprintf("%v: %s", err, excerpt(l.Text))}
	}
	if in.repeatsHeader(rec) {
		return Row{Line: l.Num, ReportAccount: rec.ReportAccount, PeerAccount: rec.PeerAccount, MsgReadTime: rec.MsgReadTime,
			Invalid: "repeated header"}
	}
	r := rec.row(l.Num)
	if r.Invalid == "" {
		r.Raw = string(l.Raw)
	}
	return r
}

// HeaderLine returns the input's header line as the file has it, its line
// end included: the first line of the failed-rows file.
func (in *Input) HeaderLine() []byte { return in.headerLine }

// repeatsHeader reports whether a data line is the header again (a file
// concatenated from several exports, or columns reordered between them):
// its report_account and peer_account cells, folded as the header's names
// are, are both column names of the input, whatever its other cells. No
// conversation is between two column names, so such a line is never sent.
func (in *Input) repeatsHeader(rec inputRow) bool {
	return in.isName(rec.ReportAccount) && in.isName(rec.PeerAccount)
}

// isName reports whether cell, folded, is one of the header's names (an
// empty one never is).
func (in *Input) isName(cell string) bool {
	if cell == "" {
		return false
	}
	key := foldName(cell)
	return key != "" && slices.Contains(in.names, key)
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

// foldName folds a header cell as columns are matched: a BOM, spaces
// around it, case, the MsgReadTime spelling.
func foldName(name string) string {
	key := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\uFEFF")))
	if alias, ok := headerAliases[key]; ok {
		key = alias
	}
	return key
}

// notText says why a line's bytes are no UTF-8 text of lines, as far as its
// start shows, or "" when they may be: another encoding, NUL bytes (a
// binary file, /dev/zero), or lone CR line ends.
func notText(text []byte) string {
	switch {
	case bytes.HasPrefix(text, []byte{0xFF, 0xFE, 0, 0}), bytes.HasPrefix(text, []byte{0, 0, 0xFE, 0xFF}):
		return "it is UTF-32 (it starts with a UTF-32 byte order mark): save it as UTF-8"
	case bytes.HasPrefix(text, []byte{0xFF, 0xFE}), bytes.HasPrefix(text, []byte{0xFE, 0xFF}):
		return "it is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8"
	case bytes.IndexByte(text, 0) >= 0:
		return "it holds NUL bytes: not a text file, or UTF-16 without a byte order mark (save it as UTF-8)"
	case bytes.IndexByte(text, '\r') >= 0:
		return "its lines end with a lone CR (a Mac-style CSV, such as Excel's \"CSV (Macintosh)\"), which is not read as a line end: save it with LF or CRLF line ends"
	}
	return ""
}

// headerNotText is notText for the input's first line, which may also be a
// compressed stream or an archive inside the one decompressed.
func headerNotText(text []byte) string {
	if why := decompress.Inside(text); why != "" {
		return why
	}
	return notText(text)
}

// readHeader reads the first line that is not blank and folds its names
// (foldName); a column msgread does not read is named "" (ignored). The
// header must end within csvline.DefaultMaxLine bytes, and be text.
func (in *Input) readHeader() ([]string, error) {
	in.lines.EndWithin = csvline.DefaultMaxLine + 2 // and a CRLF
	defer func() { in.lines.EndWithin = MaxLineRead }()
	l, err := in.firstLine()
	if err != nil {
		return nil, err
	}
	if why := headerNotText(l.Text); why != "" {
		return nil, fmt.Errorf("%w: %s", ErrBadInput, why)
	}
	if l.TooLong {
		return nil, fmt.Errorf("%w: header (line %d) is longer than %d bytes", ErrBadInput, l.Num, csvline.DefaultMaxLine)
	}
	rec, err := csvline.Fields(l.Text)
	if err != nil {
		return nil, fmt.Errorf("%w: header (line %d): %v", ErrBadInput, l.Num, err)
	}
	in.headerLine = bytes.Clone(l.Raw)
	return in.columns(l.Num, rec)
}

// firstLine reads the input's first line that is not blank, the header.
func (in *Input) firstLine() (csvline.Line, error) {
	for {
		l, err := in.lines.Next()
		if errors.Is(err, io.EOF) {
			return l, fmt.Errorf("%w: it is empty: a header row naming %s and %s is required", ErrBadInput, ColReportAccount, ColPeerAccount)
		}
		if errors.Is(err, csvline.ErrNoLineEnd) {
			if why := headerNotText(l.Text); why != "" {
				return l, fmt.Errorf("%w: %s", ErrBadInput, why)
			}
			return l, fmt.Errorf("%w: line %d has no line end within %d bytes: a header row naming %s and %s is required (is it a CSV file?)",
				ErrBadInput, l.Num, csvline.DefaultMaxLine, ColReportAccount, ColPeerAccount)
		}
		if errors.Is(err, csvline.ErrStopped) || changedUnder(err) {
			return l, err
		}
		if err != nil {
			return l, fmt.Errorf("%w: header: %w", ErrBadInput, err)
		}
		if !l.Blank() {
			return l, nil
		}
	}
}

// columns returns the header's columns named as NewDecoder takes them
// from its cells rec (line num): a column msgread does not read is named
// "" (ignored). It notes the folded names (in.names), and refuses a
// column named twice or a required one missing.
func (in *Input) columns(num int, rec []string) ([]string, error) {
	seen := map[string]int{}
	header := make([]string, len(rec))
	in.names = make([]string, len(rec))
	for i, name := range rec {
		key := foldName(name)
		in.names[i] = key
		switch key {
		case ColReportAccount, ColPeerAccount, ColMsgReadTime:
			if prev, dup := seen[key]; dup {
				return nil, fmt.Errorf("%w: header (line %d): columns %d and %d are both %s", ErrBadInput, num, prev+1, i+1, key)
			}
			seen[key] = i
		default:
			key = "" // ignored column
		}
		header[i] = key
	}
	for _, col := range []string{ColReportAccount, ColPeerAccount} {
		if _, ok := seen[col]; !ok {
			return nil, fmt.Errorf("%w: header (line %d) has no %s column (found: %s)", ErrBadInput, num, col, safetext.QuoteCut(strings.Join(rec, ","), 200))
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
// converted (a leap second, :60, as the next second). Values with 13, 16 or 19 digits are refused as milliseconds,
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
	t, err := parseRFC3339(s)
	if err != nil {
		return "", fmt.Errorf("%q is neither Unix seconds nor an RFC 3339 time", s)
	}
	if t.Unix() < 0 {
		return "", fmt.Errorf("%q is before 1970", s)
	}
	return strconv.FormatInt(t.Unix(), 10), nil
}

// parseRFC3339 is time.Parse(time.RFC3339, s) that also takes a leap
// second, which RFC 3339 allows (2016-12-31T23:59:60Z) and Go refuses: Unix
// time has no second 60, so it is read as the next second, the one Unix
// clocks show after it (2017-01-01T00:00:00Z), as a time after all of the
// leap second's moments. Any minute may hold it: which ones had a leap
// second is not checked.
//
// RFC 3339 (§5.6) also allows the T and Z in lower case (2016-12-31t23:59:59z),
// which Go refuses: they are read as upper case.
func parseRFC3339(s string) (time.Time, error) {
	// "2006-01-02T15:04:05": the T is byte 10; the Z, if any, the last.
	if len(s) > 10 && s[10] == 't' {
		s = s[:10] + "T" + s[11:]
	}
	if len(s) > 10 && s[len(s)-1] == 'z' {
		s = s[:len(s)-1] + "Z"
	}
	t, err := time.Parse(time.RFC3339, s)
	// "2006-01-02T15:04:05": the seconds are bytes 17 and 18.
	if err == nil || len(s) < 20 || s[16] != ':' || s[17:19] != "60" {
		return t, err
	}
	t, err2 := time.Parse(time.RFC3339, s[:17]+"59"+s[19:])
	if err2 != nil {
		return t, err
	}
	return t.Add(time.Second), nil
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
