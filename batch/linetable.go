package batch

import (
	"errors"
	"math"
	"runtime/debug"
)

// lineState is what a rebuild keeps of an input line: its status so far
// (an index in reports.Statuses) and its error code, if it has one.
type lineState struct {
	status  uint8
	hasCode bool
	code    int32
}

// lineTable holds the lines of a rebuild's chain by input line number, in
// 4 bytes a line: pages of a dense array for the lines msgread writes (2 to
// N+1, nearly all of them), and a map for a line far past the lines held
// so far (a hand-made report), which no page is made for. 10 M lines take
// about 40 MB; a map of them took 650 MB and half the rebuild's time. A
// cell packs the status plus one (0: no line) in its low 4 bits and, above
// them, the index of its error code in codes plus one (0: no code).
type lineTable struct {
	pages  []*[pageLines]uint32
	sparse map[int]uint32
	codes  []int32
	codeAt map[int32]uint32
	n      int // lines held
}

const (
	pageBits  = 12
	pageLines = 1 << pageBits
	// minPages are the pages a table may have before it holds a line;
	// past them, a line gets a page only within pagesPerPage times the
	// pages its lines would fill: the pages of a report whose lines are
	// scattered cost at most that many times a dense one's.
	minPages     = 64
	pagesPerPage = 4
	maxCodes     = 1<<28 - 1
)

// errTooManyCodes is a report with more distinct error codes than a cell
// has room for: no report msgread wrote.
var errTooManyCodes = errors.New("more than 268 M distinct error codes: not a report msgread wrote")

func newLineTable() *lineTable {
	return &lineTable{sparse: map[int]uint32{}, codeAt: map[int32]uint32{}}
}

// len returns the lines held.
func (t *lineTable) len() int { return t.n }

// page returns the dense page of line and its cell's index in it, making
// the page when grow is set and the page is within reach; nil when line
// has no page.
func (t *lineTable) page(line int, grow bool) (*[pageLines]uint32, int) {
	if line < 0 {
		return nil, 0
	}
	p := line >> pageBits
	if p >= len(t.pages) {
		if !grow || p >= minPages+pagesPerPage*(t.n>>pageBits) {
			return nil, 0
		}
		t.pages = append(t.pages, make([]*[pageLines]uint32, p+1-len(t.pages))...)
	}
	if t.pages[p] == nil && grow {
		t.pages[p] = new([pageLines]uint32)
	}
	return t.pages[p], line & (pageLines - 1)
}

// cell returns line's cell; 0 when the table has no such line.
func (t *lineTable) cell(line int) uint32 {
	if pg, i := t.page(line, false); pg != nil && pg[i] != 0 {
		return pg[i]
	}
	return t.sparse[line]
}

// has says whether the table holds line.
func (t *lineTable) has(line int) bool { return t.cell(line) != 0 }

// set makes s line's state.
func (t *lineTable) set(line int, s lineState) error {
	c := uint32(s.status) + 1
	if s.hasCode {
		idx, ok := t.codeAt[s.code]
		if !ok {
			if len(t.codes) >= maxCodes {
				return errTooManyCodes
			}
			t.codes = append(t.codes, s.code)
			idx = uint32(len(t.codes))
			t.codeAt[s.code] = idx
		}
		c |= idx << 4
	}
	if t.cell(line) == 0 {
		t.n++
	}
	if pg, i := t.page(line, true); pg != nil {
		pg[i] = c
		if len(t.sparse) > 0 {
			delete(t.sparse, line) // held there while its page was out of reach
		}
		return nil
	}
	t.sparse[line] = c
	return nil
}

// each calls f with the state of every line held, in no set order.
func (t *lineTable) each(f func(lineState)) {
	for _, pg := range t.pages {
		if pg == nil {
			continue
		}
		for _, c := range pg {
			if c != 0 {
				f(t.state(c))
			}
		}
	}
	for _, c := range t.sparse {
		f(t.state(c))
	}
}

// state unpacks a cell.
func (t *lineTable) state(c uint32) lineState {
	s := lineState{status: uint8(c&15) - 1}
	if idx := c >> 4; idx > 0 && int(idx) <= len(t.codes) {
		s.hasCode, s.code = true, t.codes[idx-1]
	}
	return s
}

// fitsInt32 says whether a code fits a lineState.
func fitsInt32(code int) bool { return code >= math.MinInt32 && code <= math.MaxInt32 }

// rebuildHeapLimit is the Go heap limit a run's rebuild of its chain
// works under at least: its line table (4 bytes an input line, 40 MB for
// 10 M lines) is past the client's own limit (24 MB, set by the CLI for a
// run's few MB of live heap), under which the collector would run without
// pause: 100 s of a 10 M-line chain instead of 18 s.
const rebuildHeapLimit = 128 << 20

// withHeapRoom runs f with the process's Go memory limit raised to
// rebuildHeapLimit when it is lower, and the collector's GOGC at most 100
// (the client's 400 would grow the heap to five times the table, to the
// limit), and puts both back after.
func withHeapRoom(f func()) {
	if prev := debug.SetMemoryLimit(-1); prev < rebuildHeapLimit {
		debug.SetMemoryLimit(rebuildHeapLimit)
		defer debug.SetMemoryLimit(prev)
	}
	if prev := debug.SetGCPercent(100); prev < 0 || prev < 100 {
		debug.SetGCPercent(prev) // off, or already lower: as it was
	} else {
		defer debug.SetGCPercent(prev)
	}
	f()
}
