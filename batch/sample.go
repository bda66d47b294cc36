package batch

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/msgread/msgread/reports"
)

// Sample says which of a report's done rows verify reads back: N of them
// (chosen uniformly), a Percent of them, or All.
type Sample struct {
	N       int
	Percent float64
	All     bool
}

// ParseSample reads "1000", "5%" or "all". Zero, negative, NaN and above
// 100 % are refused.
func ParseSample(s string) (Sample, error) {
	s = strings.TrimSpace(s)
	if s == "all" {
		return Sample{All: true}, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || !(f > 0 && f <= 100) {
			return Sample{}, fmt.Errorf("%q: want a share above 0%% and at most 100%%", s)
		}
		return Sample{Percent: f}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return Sample{}, fmt.Errorf("%q: want a count of rows (1000), a share (5%%) or all", s)
	}
	return Sample{N: n}, nil
}

func (s Sample) String() string {
	switch {
	case s.All:
		return "all"
	case s.Percent > 0:
		return strconv.FormatFloat(s.Percent, 'g', -1, 64) + "%"
	}
	return strconv.Itoa(s.N)
}

// VerifyRow is one sampled row of a report: a conversation claimed done
// (ok, or skipped as done before), and what reading it back found.
type VerifyRow struct {
	Line                       int
	ReportAccount, PeerAccount string
	MsgReadTime                string
	// Unread is the conversation's unread count; Verdict "read" (0),
	// "unread" (above 0) or "error" (ErrorCode, Error say why).
	Unread    int
	Verdict   string
	ErrorCode int
	HasCode   bool
	Error     string
}

// The verdicts of a verified row.
const (
	VerdictRead   = "read"
	VerdictUnread = "unread"
	VerdictError  = "error"
)

// SampleStats says what sampling read.
type SampleStats struct {
	// Rows counts the report's complete rows; Done those claimed done (ok
	// or skipped), the ones sampled from.
	Rows, Done int
	// Torn is set when the report's last line had no line end (a run
	// killed mid-write, or still writing): it was left out.
	Torn bool
}

// SampleReport reads a report and returns a sample of its done rows, in
// the report's order of lines: N by reservoir sampling (memory for N rows,
// whatever the report's size), a Percent by a draw per row, or all. The
// seed makes the choice reproducible. Its error wraps reports.ErrNotReport
// for a file that is not a report. A Percent or all of a large report is
// better streamed (NewSampleStream): this holds every row sampled.
func SampleReport(r io.Reader, s Sample, seed uint64) ([]VerifyRow, SampleStats, error) {
	st, err := NewSampleStream(r, s, seed)
	if err != nil {
		return nil, SampleStats{}, err
	}
	var out []VerifyRow
	for {
		row, err := st.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, st.Stats(), err
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b VerifyRow) int { return a.Line - b.Line })
	return out, st.Stats(), nil
}

// SampleStream hands out a report's sampled rows one at a time: a Percent
// or all as it reads the report (flat memory, whatever its size), N once
// it read it all (the reservoir, N rows).
type SampleStream struct {
	rd    *reports.Reader
	s     Sample
	rng   *rand.Rand
	st    SampleStats
	kept  []VerifyRow // the reservoir, for N
	ended bool
}

// NewSampleStream checks the report's header; its error wraps
// reports.ErrNotReport for a file that is not a report.
func NewSampleStream(r io.Reader, s Sample, seed uint64) (*SampleStream, error) {
	rd, err := reports.NewReader(r)
	if err != nil {
		return nil, err
	}
	return &SampleStream{rd: rd, s: s, rng: rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))}, nil
}

// Next returns the next sampled row, or io.EOF after the last.
func (ss *SampleStream) Next() (VerifyRow, error) {
	for !ss.ended {
		row, done, err := ss.read()
		switch {
		case errors.Is(err, io.EOF):
			ss.ended, ss.st.Torn = true, ss.rd.Torn()
		case err != nil:
			return VerifyRow{}, err
		case !done:
		case ss.s.All, ss.s.Percent > 0 && ss.rng.Float64()*100 < ss.s.Percent:
			return row, nil
		case ss.s.N > 0 && len(ss.kept) < ss.s.N:
			ss.kept = append(ss.kept, row)
		case ss.s.N > 0:
			if j := ss.rng.IntN(ss.st.Done); j < ss.s.N {
				ss.kept[j] = row
			}
		}
	}
	if len(ss.kept) == 0 {
		return VerifyRow{}, io.EOF
	}
	row := ss.kept[0]
	ss.kept = ss.kept[1:]
	return row, nil
}

// read reads the report's next row; done says it is claimed done.
func (ss *SampleStream) read() (VerifyRow, bool, error) {
	rec, err := ss.rd.Next()
	if err != nil {
		return VerifyRow{}, false, err
	}
	ss.st.Rows++
	if rec.Status != reports.StatusOK && rec.Status != reports.StatusSkipped {
		return VerifyRow{}, false, nil
	}
	ss.st.Done++
	return VerifyRow{Line: rec.Line, ReportAccount: rec.ReportAccount, PeerAccount: rec.PeerAccount, MsgReadTime: rec.MsgReadTime}, true, nil
}

// Stats says what was read so far; whole once Next returned io.EOF.
func (ss *SampleStream) Stats() SampleStats { return ss.st }
