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
// for a file that is not a report.
func SampleReport(r io.Reader, s Sample, seed uint64) ([]VerifyRow, SampleStats, error) {
	var st SampleStats
	rd, err := reports.NewReader(r)
	if err != nil {
		return nil, st, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	var out []VerifyRow
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, st, err
		}
		st.Rows++
		if rec.Status != reports.StatusOK && rec.Status != reports.StatusSkipped {
			continue
		}
		st.Done++
		row := VerifyRow{Line: rec.Line, ReportAccount: rec.ReportAccount, PeerAccount: rec.PeerAccount, MsgReadTime: rec.MsgReadTime}
		switch {
		case s.All, s.Percent > 0 && rng.Float64()*100 < s.Percent:
			out = append(out, row)
		case s.N > 0 && len(out) < s.N:
			out = append(out, row)
		case s.N > 0:
			if j := rng.IntN(st.Done); j < s.N {
				out[j] = row
			}
		}
	}
	st.Torn = rd.Torn()
	slices.SortFunc(out, func(a, b VerifyRow) int { return a.Line - b.Line })
	return out, st, nil
}
