package batch

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gocarina/gocsv"
	"github.com/msgread/msgread/batch/chatapi"
)

// Row is one data row of the input.
type Row struct {
	// Line is the row's physical line number in the input (the header is
	// line 1); right even when a quoted field spans lines.
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
}

// Columns of the input, as matched after folding case. MsgReadTime is also
// accepted for msg_read_time.
const (
	ColReportAccount = "report_account"
	ColPeerAccount   = "peer_account"
	ColMsgReadTime   = "msg_read_time"
)

// Synthetic columns the decoder appends to each record, so that a row's line
// number and any CSV error travel with it through gocsv.
const (
	colLine    = "__msgread_line"
	colProblem = "__msgread_problem"
)

// record is what gocsv decodes each row into.
type record struct {
	ReportAccount string `csv:"report_account"`
	PeerAccount   string `csv:"peer_account"`
	MsgReadTime   string `csv:"msg_read_time"`
	Line          int    `csv:"__msgread_line"`
	Problem       string `csv:"__msgread_problem"`
}

// ErrBadInput is wrapped by the errors of an input file that cannot be read
// as a whole: no header, a required column missing, or unreadable.
var ErrBadInput = errors.New("batch: bad input file")

// Input streams the rows of an input CSV. It reads the header when created
// and the rows as they are asked for, so its memory does not grow with the
// file.
type Input struct {
	dec *decoder
}

// NewInput reads the header of the CSV in r and checks that the required
// columns are there. Its errors wrap ErrBadInput.
func NewInput(r io.Reader) (*Input, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short or long row is an invalid row, not a bad file
	cr.ReuseRecord = true
	d := &decoder{r: cr}
	if err := d.readHeader(); err != nil {
		return nil, err
	}
	return &Input{dec: d}, nil
}

// Rows sends every row of the input to out, in input order, and closes out.
// It blocks until the input is read to its end or ctx is done (then it
// returns ctx's error); it returns an error wrapping ErrBadInput when the
// input cannot be read. Rows that are not valid come with Invalid set.
func (in *Input) Rows(ctx context.Context, out chan<- Row) error {
	defer close(out)
	recs := make(chan record, 64)
	errc := make(chan error, 1)
	go func() { errc <- gocsv.UnmarshalDecoderToChan(in.dec, recs) }()
	var err error
	for rec := range recs {
		if err != nil {
			continue // draining, so the decoding goroutine can end
		}
		select {
		case out <- rec.row():
		case <-ctx.Done():
			err = ctx.Err()
			in.dec.stop.Store(true)
		}
	}
	if derr := <-errc; derr != nil && err == nil {
		err = derr
	}
	return err
}

// decoder is the gocsv.SimpleDecoder over an encoding/csv reader: it folds
// the header's names, drops a BOM, and appends the line number and any
// per-row problem to each record.
type decoder struct {
	r       *csv.Reader
	header  []string
	width   int // columns in the input's header
	started bool
	stop    atomic.Bool
	out     []string
}

var headerAliases = map[string]string{
	"msgreadtime": ColMsgReadTime,
}

func (d *decoder) readHeader() error {
	rec, err := d.r.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: it is empty: a header row naming %s and %s is required", ErrBadInput, ColReportAccount, ColPeerAccount)
	}
	if err != nil {
		return fmt.Errorf("%w: header: %v", ErrBadInput, err)
	}
	seen := map[string]int{}
	d.header = make([]string, len(rec), len(rec)+2)
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
				return fmt.Errorf("%w: header: columns %d and %d are both %s", ErrBadInput, prev+1, i+1, key)
			}
			seen[key] = i
		default:
			key = "" // ignored column
		}
		d.header[i] = key
	}
	for _, col := range []string{ColReportAccount, ColPeerAccount} {
		if _, ok := seen[col]; !ok {
			return fmt.Errorf("%w: header (line 1) has no %s column (found: %s)", ErrBadInput, col, strings.Join(rec, ","))
		}
	}
	d.width = len(rec)
	d.header = append(d.header, colLine, colProblem)
	return nil
}

// GetCSVRow returns the header first, then each record with its line number
// and problem appended. CSV syntax errors become rows with a problem, so a
// stray quote costs one row, not the run.
func (d *decoder) GetCSVRow() ([]string, error) {
	if !d.started {
		d.started = true
		return d.header, nil
	}
	if d.stop.Load() {
		return nil, io.EOF
	}
	rec, err := d.r.Read()
	line, problem := 0, ""
	var perr *csv.ParseError
	switch {
	case err == nil:
		line, _ = d.r.FieldPos(0)
		if len(rec) != d.width {
			problem = fmt.Sprintf("has %d fields, the header has %d", len(rec), d.width)
		}
	case errors.Is(err, io.EOF):
		return nil, io.EOF
	case errors.As(err, &perr):
		line = perr.StartLine
		problem = "CSV syntax: " + perr.Err.Error()
		rec = nil
	default:
		return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	d.out = d.out[:0]
	for i := 0; i < d.width; i++ {
		if i < len(rec) {
			d.out = append(d.out, rec[i])
		} else {
			d.out = append(d.out, "")
		}
	}
	d.out = append(d.out, strconv.Itoa(line), problem)
	return d.out, nil
}

// GetCSVRows is required by gocsv.SimpleDecoder; Input never calls it.
func (d *decoder) GetCSVRows() ([][]string, error) {
	return nil, errors.New("batch: input is streamed row by row")
}

func (rec record) row() Row {
	r := Row{Line: rec.Line, ReportAccount: rec.ReportAccount, PeerAccount: rec.PeerAccount, MsgReadTime: rec.MsgReadTime}
	if rec.Problem != "" {
		r.Invalid = rec.Problem
		return r
	}
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
const MaxAccountBytes = 32

// CheckAccount returns why id is not a usable UserID, or "" when it is.
func CheckAccount(id string) string {
	switch {
	case id == "":
		return "is empty"
	case len(id) > MaxAccountBytes:
		return fmt.Sprintf("is %d bytes, more than %d", len(id), MaxAccountBytes)
	case !utf8.ValidString(id):
		return "is not valid UTF-8"
	}
	for _, c := range id {
		if unicode.IsSpace(c) {
			return fmt.Sprintf("contains whitespace (%q)", c)
		}
		if unicode.IsControl(c) {
			return fmt.Sprintf("contains a control character (%U)", c)
		}
	}
	return ""
}

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
