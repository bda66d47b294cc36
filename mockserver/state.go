package mockserver

import (
	"encoding/csv"
	"io"
	"sort"
	"strconv"
	"sync"
)

// Mark is what the mock remembers of one conversation.
type Mark struct {
	ReportAccount string
	PeerAccount   string
	// ReadTime is the latest MsgReadTime set on the pair, in Unix seconds.
	ReadTime int64
	// Calls counts the successful calls for the pair.
	Calls uint64
}

type pair struct{ report, peer string }

type markValue struct {
	readTime int64
	calls    uint64 // successful calls
	seen     uint64 // valid requests, faulted ones included
}

// state holds the marks. Its memory grows with the number of distinct pairs,
// never with the number of requests.
type state struct {
	mu     sync.Mutex
	marks  map[pair]markValue
	marked int // pairs with at least one successful call
}

func newState() *state { return &state{marks: make(map[pair]markValue)} }

// mark records a successful call. A read time earlier than the one already
// set does not move it back: messages read stay read.
func (s *state) mark(report, peer string, readTime int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := pair{report, peer}
	v := s.marks[k]
	if v.calls == 0 {
		s.marked++
	}
	v.calls++
	v.readTime = max(v.readTime, readTime)
	s.marks[k] = v
}

// nextCall counts a valid request of the pair and returns how many came
// before it.
func (s *state) nextCall(report, peer string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := pair{report, peer}
	v := s.marks[k]
	n := v.seen
	v.seen++
	s.marks[k] = v
	return n
}

// readTime returns the pair's read time, and whether it was ever marked.
func (s *state) readTime(report, peer string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.marks[pair{report, peer}]
	return v.readTime, v.calls > 0
}

// len returns the number of pairs marked read.
func (s *state) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.marked
}

func (s *state) reset() {
	s.mu.Lock()
	clear(s.marks)
	s.marked = 0
	s.mu.Unlock()
}

// snapshot returns the marks sorted by report account, then peer account.
func (s *state) snapshot() []Mark {
	s.mu.Lock()
	out := make([]Mark, 0, s.marked)
	for k, v := range s.marks {
		if v.calls == 0 {
			continue
		}
		out = append(out, Mark{ReportAccount: k.report, PeerAccount: k.peer, ReadTime: v.readTime, Calls: v.calls})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].ReportAccount != out[j].ReportAccount {
			return out[i].ReportAccount < out[j].ReportAccount
		}
		return out[i].PeerAccount < out[j].PeerAccount
	})
	return out
}

// StateHeader is the header of the CSV that GET /mock/state serves.
var StateHeader = []string{"report_account", "peer_account", "msg_read_time", "calls"}

// writeStateCSV writes marks as CSV with StateHeader.
func writeStateCSV(w io.Writer, marks []Mark) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(StateHeader); err != nil {
		return err
	}
	for _, m := range marks {
		rec := []string{m.ReportAccount, m.PeerAccount, strconv.FormatInt(m.ReadTime, 10), strconv.FormatUint(m.Calls, 10)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
