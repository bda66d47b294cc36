package reports

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"slices"
	"strconv"

	"github.com/msgread/msgread/internal/safetext"
)

// Resume is what a run knows of the report of an earlier run it continues.
// It owns everything about that report: loading it, the torn-tail rule (a
// last line without its newline is never a row: it is not done, and an
// append cuts it), the fingerprints that tie each done line to its pair,
// and the one question the run asks of each input row: skip it or send it.
//
// Only ok lines are done (and skipped lines, which were ok in a run before).
// Failed, gave-up and invalid lines are read from the input again: a row
// fixed in the input since is sent.
//
// Every done line keeps a 16-bit fingerprint of its pair and its
// msg_read_time cell, so each skipped line is checked against the input,
// not a sample: a shifted or edited input (a changed read time included)
// mismatches on its first changed done line. A fingerprint is never
// 0, so 0 means "not done" and no bitmap is needed. Lines live in pages of
// 65,536 fingerprints (128 KB), made only where the report has lines (10 M
// lines take about 20 MB) and, on unix, mapped outside the Go heap.
//
// Skip and Finish are called from one goroutine, in input order.
type Resume struct {
	pages map[int]*page
	n     int // done lines
	// seed keys the fingerprints: a process's own, since they are compared
	// within one run only.
	seed maphash.Seed

	// Rows counts the report's complete rows; Redo those that failed or
	// gave up, and Invalid those that were invalid: their lines are read
	// again. MaxLine is the highest line the report names.
	Rows, Redo, Invalid int
	MaxLine             int
	// Torn is set when the report's last line lacks its newline (a run was
	// killed while writing it): that row does not count and is done again.
	Torn bool
	// Complete is the report's length without a torn last line: where an
	// append starts.
	Complete int64

	// log is the report's send log, nil when it has none: SentBefore then
	// guesses.
	log *sendLog

	cursor  int // the last input line Skip was asked about
	checked int // done lines Skip has met
	mapped  *mappings
}

const pageShift = 16

type page [1 << pageShift]uint16

// LoadResume reads an old report. A torn last line is left out (Torn says
// so); any other line that is not a report row is an error naming its line
// in the report. An empty file is a report with no rows.
func LoadResume(r io.Reader) (*Resume, error) { return loadResume(r, nil, nil) }

// ErrStopped is returned when a long load was asked to stop.
var ErrStopped = errors.New("reports: stopped")

// loadResume is LoadResume, asking stopped (if set) every 4,096 rows and
// handing each done row to carry (if set): the rows a new report carries
// over.
func loadResume(r io.Reader, stopped func() bool, carry func(doneRow) error) (*Resume, error) {
	rr, err := newReportReader[doneRow](r)
	if err != nil {
		return nil, err
	}
	res := &Resume{pages: map[int]*page{}, seed: maphash.MakeSeed()}
	for {
		c, num, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if stopped != nil && res.Rows%(1<<12) == 0 && stopped() {
			return nil, ErrStopped
		}
		line, err := parseLine(c.Line)
		if err != nil {
			return nil, fmt.Errorf("report line %d is not a report row: %w", num, err)
		}
		res.Rows++
		res.MaxLine = max(res.MaxLine, line)
		switch Status(c.Status) {
		case StatusOK, StatusSkipped:
			res.add(line, res.fingerprint(Uncell(c.ReportAccount), Uncell(c.PeerAccount), Uncell(c.MsgReadTime)))
			if carry != nil {
				if err := carry(c); err != nil {
					return nil, err
				}
			}
		case StatusInvalid:
			res.Invalid++
		case StatusFailed, StatusGaveUp:
			res.Redo++
		default:
			return nil, fmt.Errorf("report line %d is not a report row: unknown status %q", num, c.Status)
		}
	}
	res.Complete = rr.lines.Complete()
	res.Torn = rr.lines.Lines() > 0 && rr.lines.Complete() < rr.lines.Offset()
	return res, nil
}

// doneRow is the part of a report row a resume reads: a resume reads
// reports of tens of millions of rows, and gocsv's cost grows with the
// fields it fills. Its cells are as the report has them (see Cell).
type doneRow struct {
	Line          string `csv:"line"`
	ReportAccount string `csv:"report_account"`
	PeerAccount   string `csv:"peer_account"`
	MsgReadTime   string `csv:"msg_read_time"`
	Status        string `csv:"status"`
	FinishedAt    string `csv:"finished_at"`
}

func (r *Resume) fingerprint(report, peer, readTime string) uint16 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.WriteString(report)
	h.WriteByte(0)
	h.WriteString(peer)
	h.WriteByte(0)
	h.WriteString(readTime)
	return uint16(max(h.Sum64()&0xffff, 1)) // 0 is "not done"
}

func (r *Resume) add(line int, fp uint16) {
	p := r.pages[line>>pageShift]
	if p == nil {
		p = r.newPage()
		r.pages[line>>pageShift] = p
	}
	i := line & (1<<pageShift - 1)
	if p[i] == 0 {
		r.n++
	}
	p[i] = fp
	runtime.KeepAlive(r) // its cleanup unmaps p
}

// lookup returns the fingerprint of a done line.
func (r *Resume) lookup(line int) (uint16, bool) {
	p := r.pages[line>>pageShift]
	if p == nil {
		return 0, false
	}
	fp := p[line&(1<<pageShift-1)]
	runtime.KeepAlive(r) // its cleanup unmaps p
	return fp, fp != 0
}

// Done returns the number of done lines: the lines a resumed run skips.
func (r *Resume) Done() int {
	if r == nil {
		return 0
	}
	return r.n
}

// Skip answers for one input row, in input order: true when its line is
// done. A done line whose pair or msg_read_time cell is not the input's is
// a *MismatchError, and so is a done line the input passed over (it is
// blank there): resuming with that input would skip the wrong rows, or
// report as done a read time never sent. A nil *Resume skips nothing.
func (r *Resume) Skip(line int, report, peer, readTime string) (bool, error) {
	if r == nil {
		return false, nil
	}
	if line <= r.cursor {
		return false, fmt.Errorf("reports: resume: line %d asked after line %d", line, r.cursor)
	}
	for gap := r.cursor + 1; gap < line; gap++ {
		if _, done := r.lookup(gap); done {
			return false, &MismatchError{Line: gap, Blank: true}
		}
	}
	r.cursor = line
	fp, done := r.lookup(line)
	if !done {
		return false, nil
	}
	if fp != r.fingerprint(report, peer, readTime) {
		return false, &MismatchError{Line: line, ReportAccount: report, PeerAccount: peer, MsgReadTime: readTime}
	}
	r.checked++
	return true, nil
}

// Finish is called when the input has ended after lines lines: a done line
// past the input's end is a *LineError.
func (r *Resume) Finish(lines int) error {
	if r == nil || r.checked == r.n {
		return nil
	}
	if line := r.firstDoneAfter(lines); line > 0 {
		return &LineError{Line: line, InputLines: lines}
	}
	// Every done line up to the end was met, or blank: Skip reported those.
	return nil
}

// CheckLines refuses, before the run starts, a report that names lines
// past the end of an input of lines lines.
func (r *Resume) CheckLines(lines int) error {
	if r == nil || r.MaxLine <= lines {
		return nil
	}
	return &LineError{Line: r.firstDoneAfter(lines), InputLines: lines}
}

// Rewind makes the next Skip start again from the input's first line, after
// a check of the whole input before the run.
func (r *Resume) Rewind() {
	if r != nil {
		r.cursor, r.checked = 0, 0
	}
}

// firstDoneAfter returns the lowest done line above line, or 0.
func (r *Resume) firstDoneAfter(line int) int {
	keys := make([]int, 0, len(r.pages))
	for k := range r.pages {
		if k >= line>>pageShift {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for i := range 1 << pageShift {
			if l := k<<pageShift | i; l > line {
				if _, done := r.lookup(l); done {
					return l
				}
			}
		}
	}
	return 0
}

// MismatchError stops a resumed run whose input is not the one the old
// report was made from: skipping its lines would skip the wrong rows.
type MismatchError struct {
	Line                                    int
	ReportAccount, PeerAccount, MsgReadTime string
	// Blank is set when the input has no row on the line (it is blank).
	Blank bool
}

func (e *MismatchError) Error() string {
	if e.Blank {
		return fmt.Sprintf("input line %d is blank, but the resumed report has it done: resume with the input file the report was made from", e.Line)
	}
	return fmt.Sprintf("input line %d is %s → %s at msg_read_time %s, but the resumed report has another pair or read time on that line: resume with the input file the report was made from (a read time changed since is sent by a fresh run, not a resume)",
		e.Line, safetext.Quote(e.ReportAccount), safetext.Quote(e.PeerAccount), strconv.Quote(e.MsgReadTime))
}

// LineError refuses a resumed report that names a line the input does not
// have.
type LineError struct {
	Line, InputLines int
}

func (e *LineError) Error() string {
	return fmt.Sprintf("the resumed report has line %d done, but the input ends at line %d: resume with the input file the report was made from (or the report is damaged)",
		e.Line, e.InputLines)
}
