package reports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
)

// Done is the set of input lines an earlier run finished for good: ok,
// invalid (the same input is invalid again), or skipped (finished in a run
// before that). It is a bitmap keyed by line, so 100 M lines cost 12.5 MB,
// and it does not depend on the order in which rows finished.
type Done struct {
	bits []uint64
	n    int
	// samples holds, for a sample of the done lines, a hash of the pair the
	// old report has there: a resume with another input file is caught by
	// Matches instead of skipping the wrong rows.
	samples map[int]uint64
}

// sampled reports whether line's pair is kept for Matches: the first 1024
// lines and every 1024th after them (about 80 KB per 10 M lines).
func sampled(line int) bool { return line < 1026 || line%1024 == 0 }

func pairHash(report, peer string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(report))
	h.Write([]byte{0})
	h.Write([]byte(peer))
	return h.Sum64()
}

func (d *Done) sample(line int, report, peer string) {
	if d.samples == nil {
		d.samples = map[int]uint64{}
	}
	d.samples[line] = pairHash(report, peer)
}

// Matches reports whether the input's pair at a done line is the one the old
// report has there, as far as the sample tells: false means the resume was
// given another input file.
func (d *Done) Matches(line int, report, peer string) bool {
	if d == nil {
		return true
	}
	h, ok := d.samples[line]
	return !ok || h == pairHash(report, peer)
}

// Add marks line as done.
func (d *Done) Add(line int) {
	if line < 0 {
		return
	}
	w := line / 64
	if w >= len(d.bits) {
		grown := make([]uint64, max(w+1, 2*len(d.bits)))
		copy(grown, d.bits)
		d.bits = grown
	}
	if d.bits[w]&(1<<(line%64)) == 0 {
		d.bits[w] |= 1 << (line % 64)
		d.n++
	}
}

// Has reports whether line is done. A nil *Done has no lines.
func (d *Done) Has(line int) bool {
	if d == nil || line < 0 || line/64 >= len(d.bits) {
		return false
	}
	return d.bits[line/64]&(1<<(line%64)) != 0
}

// Len returns the number of lines done.
func (d *Done) Len() int {
	if d == nil {
		return 0
	}
	return d.n
}

// Bytes returns the bitmap's memory.
func (d *Done) Bytes() int { return 8 * cap(d.bits) }

// ResumeInfo describes an old report read for a resume.
type ResumeInfo struct {
	// Rows counts the report's complete rows.
	Rows int
	// Redo counts rows that failed or gave up: they are sent again.
	Redo int
	// MaxLine is the highest input line in the report.
	MaxLine int
	// Torn is set when the last row was cut short (the process was killed
	// while writing it); that row is done again.
	Torn bool
}

// ErrNotReport is wrapped when a file is not a msgread report.
var ErrNotReport = errors.New("not a msgread report")

var headerLine = []byte("line,report_account,peer_account,msg_read_time,status,error_code,error_info,http_status,attempts,latency_ms,finished_at")

// LoadDone reads a report and returns the lines it finished for good. A torn
// last row is tolerated; any other malformed row is an error naming its
// line in the report.
//
// A resume reads reports of tens of millions of rows, so LoadDone splits
// the rows that contain no quote character itself (for such a row, CSV is
// plain comma separation) and hands every other row to encoding/csv. A fuzz
// test holds it to the same results as encoding/csv alone.
func LoadDone(r io.Reader) (*Done, ResumeInfo, error) {
	var info ResumeInfo
	lr := newRecordReader(r)
	head, err := lr.next()
	if errors.Is(err, io.EOF) {
		return &Done{}, info, nil // created, nothing written yet
	}
	if err != nil {
		return nil, info, err
	}
	if !bytes.Equal(bytes.TrimRight(head.raw, "\r\n"), headerLine) {
		return nil, info, fmt.Errorf("%w: its header is %q", ErrNotReport, bytes.TrimRight(head.raw, "\r\n"))
	}
	done := &Done{}
	var fields [16][]byte
	for {
		rec, err := lr.next()
		if errors.Is(err, io.EOF) {
			return done, info, nil
		}
		if err != nil {
			return nil, info, err
		}
		last := rec.last
		var line int
		var status Status
		var report, peer string // only for sampled lines
		ok := false
		if !rec.quoted {
			n := splitCommas(bytes.TrimRight(rec.raw, "\r\n"), fields[:])
			if n == len(Header) {
				line, status, ok = checkFields(fields[0], fields[4])
				if ok && sampled(line) {
					report, peer = Unneutralize(string(fields[1])), Unneutralize(string(fields[2]))
				}
				if ok && last {
					// The last row may be torn anywhere: check it whole.
					_, perr := ParseRecord(toStrings(fields[:n]))
					ok = perr == nil
				}
			}
		} else {
			var damaged bool
			var cells []string
			line, status, cells, ok, damaged = parseQuoted(rec.raw, last)
			if ok {
				report, peer = Unneutralize(cells[1]), Unneutralize(cells[2])
			}
			if damaged {
				last = false // torn rows end the file; this one goes on
			}
		}
		if !ok {
			if last {
				info.Torn = true
				return done, info, nil
			}
			return nil, info, fmt.Errorf("report line %d: not a report row", rec.fileLine)
		}
		info.Rows++
		info.MaxLine = max(info.MaxLine, line)
		switch status {
		case StatusOK, StatusInvalid, StatusSkipped:
			done.Add(line)
			if sampled(line) {
				done.sample(line, report, peer)
			}
		default:
			info.Redo++
		}
	}
}

// checkFields validates the line and status cells of a row, without
// allocating: it runs once per row of reports of tens of millions.
func checkFields(lineCell, statusCell []byte) (int, Status, bool) {
	if len(lineCell) == 0 || len(lineCell) > 18 {
		return 0, "", false
	}
	line := 0
	for _, c := range lineCell {
		if c < '0' || c > '9' {
			return 0, "", false
		}
		line = line*10 + int(c-'0')
	}
	if line < 2 {
		return 0, "", false
	}
	switch string(statusCell) {
	case string(StatusOK):
		return line, StatusOK, true
	case string(StatusFailed):
		return line, StatusFailed, true
	case string(StatusGaveUp):
		return line, StatusGaveUp, true
	case string(StatusInvalid):
		return line, StatusInvalid, true
	case string(StatusSkipped):
		return line, StatusSkipped, true
	}
	return 0, "", false
}

// parseQuoted parses a row that contains quotes with encoding/csv. damaged
// is set when the bytes hold more than one record as encoding/csv reads
// them (a stray quote made them look like one): that is never a torn row.
func parseQuoted(raw []byte, last bool) (line int, status Status, cells []string, ok, damaged bool) {
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if _, next := cr.Read(); !errors.Is(next, io.EOF) {
		return 0, "", nil, false, true
	}
	if err != nil || len(rec) != len(Header) {
		return 0, "", nil, false, false
	}
	if last {
		if _, err := ParseRecord(rec); err != nil {
			return 0, "", nil, false, false
		}
	}
	line, status, ok = checkFields([]byte(rec[0]), []byte(rec[4]))
	return line, status, rec, ok, false
}

// splitCommas splits b at commas into out and returns the number of fields,
// or len(out)+1 when there are more than out holds.
func splitCommas(b []byte, out [][]byte) int {
	n := 0
	for {
		i := bytes.IndexByte(b, ',')
		if n == len(out) {
			return n + 1
		}
		if i < 0 {
			out[n] = b
			return n + 1
		}
		out[n] = b[:i]
		n++
		b = b[i+1:]
	}
}

func toStrings(fields [][]byte) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = string(f)
	}
	return out
}

// rawRecord is one CSV record's bytes: a line, or several when a quoted
// cell holds a newline.
type rawRecord struct {
	raw      []byte
	quoted   bool
	last     bool // nothing follows it
	fileLine int  // where it starts
}

// recordReader cuts a CSV stream into records without parsing their cells:
// a record ends at a newline that leaves an even number of quotes in it.
type recordReader struct {
	br       *bufio.Reader
	bufs     [2][]byte // the current record and the one peeked at
	which    int
	fileLine int
	peeked   *rawRecord
	err      error
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{br: bufio.NewReaderSize(r, 1<<20)}
}

// next returns the next non-empty record; last is set on the final one.
func (lr *recordReader) next() (rawRecord, error) {
	if lr.peeked == nil {
		rec, err := lr.read()
		if err != nil {
			return rec, err
		}
		lr.peeked = &rec
	}
	cur := *lr.peeked
	nxt, err := lr.read() // into the other buffer: cur stays intact
	switch {
	case errors.Is(err, io.EOF):
		lr.peeked = nil
		cur.last = true
		lr.err = io.EOF
	case err != nil:
		return cur, err
	default:
		lr.peeked = &nxt
	}
	return cur, nil
}

func (lr *recordReader) read() (rawRecord, error) {
	if lr.err != nil {
		return rawRecord{}, lr.err
	}
	lr.which = 1 - lr.which
	buf := lr.bufs[lr.which][:0]
	defer func() { lr.bufs[lr.which] = buf }()
	quotes := 0
	start := lr.fileLine + 1
	for {
		chunk, err := lr.br.ReadSlice('\n')
		buf = append(buf, chunk...)
		quotes += bytes.Count(chunk, []byte{'"'})
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			lr.fileLine++
			if quotes%2 == 0 {
				if len(bytes.TrimRight(buf, "\r\n")) == 0 {
					// An empty line is no record.
					buf = buf[:0]
					start = lr.fileLine + 1
					continue
				}
				return rawRecord{raw: buf, quoted: quotes > 0, fileLine: start}, nil
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(bytes.TrimRight(buf, "\r\n")) == 0 {
				return rawRecord{}, io.EOF
			}
			// A last line without a newline (or with an open quote).
			return rawRecord{raw: buf, quoted: quotes > 0, fileLine: start}, nil
		}
		if err != nil {
			return rawRecord{}, err
		}
	}
}
