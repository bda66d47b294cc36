package digest

import (
	"errors"
	"fmt"
	"github.com/msgread/msgread/reports"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/msgread/msgread/internal/safetext"
)

// Latency holds latency percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// Quantile is one point of a latency distribution: the latencies, in
// milliseconds, at or under which Percentile percent of the calls were
// answered, from their actual and from their intended send.
type Quantile struct {
	Percentile       float64
	Actual, Intended float64
}

// DistributionPercentiles are the points of a latency distribution: ten
// a decade from 0 to 99.99 (0, 20.6, 36.9, ... 90, ... 99, ... 99.9, ...
// 99.99), then 100 (the maximum), as HdrHistogram plots them.
func DistributionPercentiles() []float64 {
	ps := make([]float64, 0, distributionDecades*10+2)
	for k := 0; k <= distributionDecades*10; k++ {
		ps = append(ps, 100*(1-math.Pow(10, -float64(k)/10)))
	}
	return append(ps, 100)
}

const distributionDecades = 4

// Summary describes a finished (or stopped) run.
type Summary struct {
	// Rows counts the rows written to the report, by status in ByStatus.
	Rows     int                    `json:"rows"`
	ByStatus map[reports.Status]int `json:"by_status"`
	// ByCode counts the report's rows by final error code ("0" for ok).
	ByCode map[string]int `json:"by_error_code"`
	// NotFinished counts the rows read but not finished because the run
	// stopped early; a later resume sends them.
	NotFinished int `json:"not_finished"`
	// InputRows counts the input's rows this run read (one a line), and
	// BlankLines the blank lines it passed over. Reported counts the rows
	// written to the report's file, and CarriedOver the skipped lines not
	// written again because the report appended to holds them already.
	// Account checks that InputRows = Reported + CarriedOver + NotFinished.
	InputRows   int `json:"input_rows"`
	BlankLines  int `json:"blank_lines"`
	Reported    int `json:"reported"`
	CarriedOver int `json:"carried_over"`
	// NotRead counts the lines of the input the run never read, for it
	// stopped first (a fatal answer at the probe, say): a regular file's,
	// whose lines were counted before the run, so that the header,
	// InputRows, BlankLines and NotRead add up to its line count. -1 for
	// a stream not read to its end (its rest is unknown), 0 when the
	// input was read to its end or is synthetic.
	NotRead int `json:"-"`
	// Rebuilt marks a summary rebuilt from reports (msgread report): the
	// input was not read, so its lines no report has are not counted, and
	// the accounting line says so rather than equal them to the reported.
	Rebuilt bool `json:"-"`
	// Attempts counts every call, retries included.
	Attempts int `json:"attempts"`
	Retries  int `json:"retries"`
	// Wall is the run's duration; Offering, how long into it first tries
	// were still sent (the rest was the calls in flight and their retries
	// draining).
	Wall     time.Duration `json:"-"`
	Offering time.Duration `json:"-"`
	// Started is when the run started, on its clock: the timeline's
	// seconds count from it (their Unix is this second's start, truncated).
	Started time.Time `json:"-"`
	// TargetRate is the configured rate (--rate, the pacer's ceiling, not
	// the service's), calls per second; Rate the achieved one over the span
	// of the calls, and RateRatio their ratio.
	TargetRate float64 `json:"ceiling_per_second"`
	Rate       float64 `json:"achieved_calls_per_second"`
	RateRatio  float64 `json:"rate_ratio"`
	// PeakWindow is the most calls started within one clock second.
	PeakWindow int `json:"peak_calls_in_one_second"`
	// Latency of every call, from its actual send.
	Latency Latency `json:"latency"`
	// LatencyIntended is measured from each call's intended send time in
	// the open model: it includes the time a call waited because workers
	// ran out (the coordinated-omission correction). Late counts the calls
	// sent more than 10 ms after their intended time.
	LatencyIntended Latency `json:"latency_from_intended"`
	Late            int     `json:"late"`
	// Distribution is the latency at DistributionPercentiles, for the
	// HTML report's distribution plot.
	Distribution []Quantile `json:"-"`
	// Profile describes the rate over the run.
	Profile string `json:"profile"`
	// AttemptCodes counts the answers of every call, retries included, by
	// error code, "http NNN", "malformed" or "network".
	AttemptCodes map[string]int `json:"attempts_by_code"`
	// AttemptClasses gives the class of each of AttemptCodes' keys.
	AttemptClasses map[string]string `json:"-"`
	// UnknownCodes lists the answers' codes that msgread's table does not
	// know (their rows failed, per row), each with the server's text.
	UnknownCodes map[string]string `json:"unknown_codes,omitempty"`
	// Throttles counts the times a "slow down" answer lowered the rate;
	// LowestRate is the lowest rate used. Quota is how much of what the
	// service had left the run took, when its ceiling is known (the mock).
	Throttles  int       `json:"throttles"`
	LowestRate float64   `json:"lowest_rate_per_second"`
	Quota      *QuotaUse `json:"-"`
	// Share is how the run shared the app's quota: "safe" or "greedy".
	Share string `json:"share,omitempty"`
	// Callbacks is what the bundled mock's webhooks did, when it was
	// given a callback URL.
	Callbacks *Callbacks `json:"-"`
	// Outages counts the times the service could not be reached and
	// dispatch paused; OutageSeconds is how long it paused in all.
	Outages       int     `json:"outages"`
	OutageSeconds float64 `json:"outage_seconds"`
	// Resent counts rows sent again by a resumed run that may have reached
	// the API before (marking read is idempotent, so this is harmless).
	Resent int `json:"resent"`
	// Stopped says why the run stopped early; empty when it ran to the end.
	Stopped string `json:"stopped,omitempty"`
	// Thresholds are the verdicts of the thresholds set (see Thresholds.Check),
	// those that held included.
	Thresholds []Verdict `json:"thresholds"`
	// SentNotFinished counts the rows that were sent at least once but did
	// not finish (the run stopped while they waited for a retry): the rows
	// sent are ok + failed + gave_up + SentNotFinished, and Attempts is the
	// rows sent + Retries.
	SentNotFinished int `json:"sent_not_finished"`
}

// NewSummary returns an empty Summary with its maps made.
func NewSummary() Summary {
	return Summary{ByStatus: map[reports.Status]int{}, ByCode: map[string]int{}, Thresholds: []Verdict{}}
}

// Add counts one report row.
func (s *Summary) Add(r reports.Record) {
	s.Rows++
	s.ByStatus[r.Status]++
	if r.HasCode {
		s.ByCode[strconv.Itoa(r.ErrorCode)]++
	}
}

// ErrUnbalanced is wrapped when a run cannot account for every input row:
// a bug in msgread, never the input's fault.
var ErrUnbalanced = errors.New("BUG: the report does not account for every input row")

// Account records what the report's file received (written rows, and
// skipped lines carried over in an appended report) and checks the
// promise: every input row read ends in the report exactly once, or is
// not finished.
//
// unwritten are the rows given to the report that never reached its file
// (a write error): they move from their status to not finished, so that
// the summary's counts are the file's.
func (s *Summary) Account(written, carried int, unwritten []reports.Record) error {
	for _, r := range unwritten {
		s.Rows--
		s.ByStatus[r.Status]--
		if code := strconv.Itoa(r.ErrorCode); r.HasCode {
			if s.ByCode[code]--; s.ByCode[code] <= 0 {
				delete(s.ByCode, code)
			}
		}
		s.NotFinished++
	}
	s.Reported, s.CarriedOver = written, carried
	if s.InputRows == written+carried+s.NotFinished {
		return nil
	}
	return fmt.Errorf("%w: %d input rows read, but %d reported + %d carried over + %d not finished = %d; please report this",
		ErrUnbalanced, s.InputRows, written, carried, s.NotFinished, written+carried+s.NotFinished)
}

// SendRate is the rows sent a second while first tries were being sent:
// from the run's start to its last first try (Offering). Unlike Rate, the
// retries that go out after the last first try do not blur it, so it is
// what a comparison with a baseline holds a run to. Zero when no row was
// sent.
func (s Summary) SendRate() float64 {
	sent, _ := s.Sent()
	sent += s.SentNotFinished
	if sent == 0 || s.Offering <= 0 {
		return 0
	}
	return float64(sent) / s.Offering.Seconds()
}

// Sent returns the rows that were sent (ok, failed or gave up) and, of them,
// the rows that failed or gave up.
func (s Summary) Sent() (sent, failed int) {
	failed = s.ByStatus[reports.StatusFailed] + s.ByStatus[reports.StatusGaveUp]
	return s.ByStatus[reports.StatusOK] + failed, failed
}

// WriteText writes the summary for people, as msgread prints it on stderr.
func (s Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	s.writeRows(&b)
	s.writeCodes(&b)
	fmt.Fprintf(&b, "  %d calls (%d retries) in %s; %s", s.Attempts, s.Retries, s.Wall.Round(time.Millisecond), s.RateText())
	if s.TargetRate > 0 || s.PeakWindow > 0 {
		fmt.Fprintf(&b, ", peak %d in one second", s.PeakWindow)
	}
	b.WriteString("\n")
	s.writeUnknownCodes(&b)
	s.writeSlowdowns(&b)
	s.writeCallbacks(&b)
	if s.Resent > 0 {
		fmt.Fprintf(&b, "  %d rows re-sent that may have reached the API before the resume (harmless: marking read is idempotent)\n", s.Resent)
	}
	fmt.Fprintf(&b, "  latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", s.Latency.P50, s.Latency.P90, s.Latency.P99, s.Latency.Max)
	if s.Stopped != "" {
		fmt.Fprintf(&b, "  stopped early: %s\n", safetext.Clean(s.Stopped))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeRows writes WriteText's first lines: the rows by status and how
// every input row is accounted for.
func (s Summary) writeRows(b *strings.Builder) {
	fmt.Fprintf(b, "summary: %d rows:", s.Rows)
	for _, st := range reports.Statuses {
		fmt.Fprintf(b, " %s %d", st, s.ByStatus[st])
	}
	b.WriteString("\n")
	if s.Rebuilt {
		fmt.Fprintf(b, "  %d input lines in the reports, each once (the input is not read: lines no report has are not counted)\n", s.Reported)
		return
	}
	fmt.Fprintf(b, "  every row accounted for: %d input rows = %d reported + %d not finished", s.InputRows+max(s.NotRead, 0), s.Reported, s.NotFinished)
	if s.CarriedOver > 0 {
		fmt.Fprintf(b, " + %d done earlier, already in the report", s.CarriedOver)
	}
	if s.NotRead > 0 {
		fmt.Fprintf(b, " + %d lines not read (the run stopped before them; a resume reads them)", s.NotRead)
	}
	if s.BlankLines > 0 {
		fmt.Fprintf(b, " (%d blank lines passed over)", s.BlankLines)
	}
	if s.NotRead < 0 {
		b.WriteString("; the rest of the input was not read (the run stopped before it)")
	}
	b.WriteString("\n")
}

// writeCodes writes WriteText's line of the rows by error code, in the
// codes' numeric order; none without codes.
func (s Summary) writeCodes(b *strings.Builder) {
	if len(s.ByCode) == 0 {
		return
	}
	codes := make([]string, 0, len(s.ByCode))
	for c := range s.ByCode {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { n, _ := strconv.Atoi(codes[i]); m, _ := strconv.Atoi(codes[j]); return n < m })
	b.WriteString("  by error code:")
	for _, c := range codes {
		fmt.Fprintf(b, " %s×%d", c, s.ByCode[c])
	}
	b.WriteString("\n")
}

// writeUnknownCodes writes WriteText's line of the codes msgread does not
// know, with their messages; none without such codes.
func (s Summary) writeUnknownCodes(b *strings.Builder) {
	if len(s.UnknownCodes) == 0 {
		return
	}
	codes := make([]string, 0, len(s.UnknownCodes))
	for c := range s.UnknownCodes {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	b.WriteString("  codes msgread does not know (their rows failed, one by one):")
	for _, c := range codes {
		fmt.Fprintf(b, " %s %q;", c, s.UnknownCodes[c])
	}
	b.WriteString("\n")
}

// writeSlowdowns writes WriteText's lines of what held the run back: the
// service's outages, its requests to slow down and the quota taken.
func (s Summary) writeSlowdowns(b *strings.Builder) {
	if s.Outages > 0 {
		fmt.Fprintf(b, "  the service could not be reached %d times: dispatch paused for %.0f s in all, and no row was given up for it\n", s.Outages, s.OutageSeconds)
	}
	if s.Throttles > 0 {
		fmt.Fprintf(b, "  the service asked to slow down: the rate went down to what it had left %d times, lowest %.1f calls/s%s\n", s.Throttles, s.LowestRate, s.shareNote())
	}
	if q := s.Quota; q != nil {
		if q.Seconds > 0 { // else the run was too short to measure it
			fmt.Fprintf(b, "  took %.1f%% of the calls the service had left (from %d s after each change; %d s measured); %.2f%% of calls answered \"slow down\"\n",
				100*q.Share, SettleSeconds, q.Seconds, 100*q.Throttled)
		}
		if q.ProductionCalls > 0 {
			fmt.Fprintf(b, "  production traffic: %d calls, %d refused by the ceiling (%.2f%%)\n", q.ProductionCalls, q.ProductionRefused, 100*q.ProductionShare)
		}
	}
}

// targetText words a target rate: whole calls a second from 10 up, else
// to two significant figures (--rate 0.5 is not "0/s").
// RateText is the achieved rate against the target; a summary rebuilt
// without a timeline knows no target (nor peak), and says so.
func (s Summary) RateText() string {
	if s.TargetRate <= 0 {
		return fmt.Sprintf("%.1f calls/s (the target rate is not known: no run's timeline was read)", s.Rate)
	}
	return fmt.Sprintf("%.1f calls/s against a target of %s/s (%.1f%%)", s.Rate, targetText(s.TargetRate), 100*s.RateRatio)
}

func targetText(r float64) string {
	if r >= 10 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'g', 2, 64)
}

// shareNote says how the run shared the app's quota, for the slow-down line.
func (s Summary) shareNote() string {
	switch s.Share {
	case "safe":
		return " (sharing safe: a headroom left for the app's other traffic)"
	case "greedy":
		return " (sharing greedy: all that was left)"
	}
	return ""
}
