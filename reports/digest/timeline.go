package digest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Second is one row of a run's timeline: what happened in one second.
type Second struct {
	// At is the second's offset from the start of the run; Unix its clock.
	At   int   `json:"t"`
	Unix int64 `json:"unix"`
	// Intended is the rate the profile asked for, Rate the pacer's rate (lower
	// after the service asked to slow down), Sent the calls started.
	Intended float64 `json:"intended"`
	Rate     float64 `json:"rate"`
	Sent     int     `json:"sent"`
	// Answers in this second, by class.
	OK        int `json:"ok"`
	Retry     int `json:"retry"`
	PerRow    int `json:"per_row"`
	Fatal     int `json:"fatal"`
	Throttled int `json:"throttled"`
	// Late counts calls sent more than LateAfter after their intended time.
	Late int `json:"late"`
	// P50, P90, P99 and Max are latencies of this second's answers, in
	// milliseconds, measured from each call's intended send time.
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	// Gap marks a second of a chain's charts when no run was running
	// (between runs, or after a killed one); its counts are zero. It is
	// no timeline column.
	Gap bool `json:"-"`
}

// TimelineHeader is the header of the timeline CSV. Columns are only ever
// added at the end, so a script reading the first ones keeps working.
var TimelineHeader = []string{"t", "unix", "intended_rate", "rate", "sent", "ok", "retry", "per_row", "fatal", "throttled", "late", "p50_ms", "p99_ms", "p90_ms", "max_ms"}

// WriteTimeline writes seconds as CSV with TimelineHeader.
func WriteTimeline(w io.Writer, seconds []Second) error {
	tw := NewTimelineWriter(w)
	return tw.Write(seconds)
}

// TimelineWriter writes a timeline as its run goes: the header first,
// then the seconds as they close, so that a run killed at any moment
// leaves the seconds written before. Not safe from several goroutines.
type TimelineWriter struct {
	cw *csv.Writer
}

// NewTimelineWriter starts a timeline on w with its header; the header
// reaches w with the first Write (or Flush).
func NewTimelineWriter(w io.Writer) *TimelineWriter {
	cw := csv.NewWriter(w)
	cw.Write(TimelineHeader)
	return &TimelineWriter{cw: cw}
}

// Write writes seconds and hands them, with the header if not yet, to the
// writer beneath.
func (t *TimelineWriter) Write(seconds []Second) error {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	for _, s := range seconds {
		t.cw.Write([]string{strconv.Itoa(s.At), strconv.FormatInt(s.Unix, 10), f(s.Intended), f(s.Rate), strconv.Itoa(s.Sent),
			strconv.Itoa(s.OK), strconv.Itoa(s.Retry), strconv.Itoa(s.PerRow), strconv.Itoa(s.Fatal), strconv.Itoa(s.Throttled),
			strconv.Itoa(s.Late), f(s.P50), f(s.P99), f(s.P90), f(s.Max)})
	}
	t.cw.Flush()
	return t.cw.Error()
}

// ErrNotTimeline is wrapped when a file is not a msgread timeline.
var ErrNotTimeline = errors.New("not a msgread timeline")

// maxTimelineLine bounds a timeline line: a row is under 200 bytes.
const maxTimelineLine = 4096

// ReadTimeline reads a timeline WriteTimeline or a TimelineWriter wrote.
// A last line without its line end (a run killed while writing it) is
// left out; an empty file (killed before its header) has no seconds.
// Columns after TimelineHeader's (a newer msgread's) are ignored. Its
// errors wrap ErrNotTimeline and name the line.
func ReadTimeline(r io.Reader) ([]Second, error) {
	br := bufio.NewReaderSize(r, maxTimelineLine)
	var out []Second
	for num := 1; ; num++ {
		text, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, io.EOF):
			return out, nil // the end, or a torn last line
		case errors.Is(err, bufio.ErrBufferFull):
			return nil, fmt.Errorf("%w: line %d is longer than %d bytes", ErrNotTimeline, num, maxTimelineLine)
		case err != nil:
			return nil, err
		}
		cells := strings.Split(string(bytes.TrimRight(text, "\r\n")), ",")
		if num == 1 {
			if len(cells) < len(TimelineHeader) || strings.Join(cells[:len(TimelineHeader)], ",") != strings.Join(TimelineHeader, ",") {
				return nil, fmt.Errorf("%w: its header is %.120q", ErrNotTimeline, string(bytes.TrimRight(text, "\r\n")))
			}
			continue
		}
		s, err := parseSecond(cells)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrNotTimeline, num, err)
		}
		// A run's seconds follow each other (Unix is its start plus t): one
		// out of order is a hand-edited or spliced file, charted nowhere
		// (a run from 2026 to 1969).
		if n := len(out); n > 0 && (s.Unix <= out[n-1].Unix || s.At <= out[n-1].At) {
			return nil, fmt.Errorf("%w: line %d: second t=%d (unix %d) does not follow t=%d (unix %d)", ErrNotTimeline, num, s.At, s.Unix, out[n-1].At, out[n-1].Unix)
		}
		out = append(out, s)
	}
}

// parseSecond reads a timeline row's cells.
func parseSecond(c []string) (s Second, err error) {
	if len(c) < len(TimelineHeader) {
		return s, fmt.Errorf("%d cells, want %d", len(c), len(TimelineHeader))
	}
	ints := []*int{&s.At, nil, nil, nil, &s.Sent, &s.OK, &s.Retry, &s.PerRow, &s.Fatal, &s.Throttled, &s.Late}
	floats := map[int]*float64{2: &s.Intended, 3: &s.Rate, 11: &s.P50, 12: &s.P99, 13: &s.P90, 14: &s.Max}
	for i, name := range TimelineHeader {
		switch {
		case i == 1:
			s.Unix, err = strconv.ParseInt(c[i], 10, 64)
		case floats[i] != nil:
			*floats[i], err = strconv.ParseFloat(c[i], 64)
			if err == nil && (math.IsNaN(*floats[i]) || math.IsInf(*floats[i], 0) || *floats[i] < 0) {
				err = errors.New("not a finite number")
			}
		default:
			*ints[i], err = strconv.Atoi(c[i])
			if err == nil && *ints[i] < 0 {
				err = errors.New("negative")
			}
		}
		if err != nil {
			return s, fmt.Errorf("%s %q is not a number", name, c[i])
		}
	}
	if s.At < 0 || s.At > maxSeconds {
		return s, fmt.Errorf("t %d is not a second of a run", s.At)
	}
	return s, nil
}

// maxSeconds bounds a timeline's offsets: a year of seconds.
const maxSeconds = 366 * 24 * 3600
