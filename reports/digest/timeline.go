package digest

import (
	"encoding/csv"
	"io"
	"strconv"
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
}

// TimelineHeader is the header of the timeline CSV. Columns are only ever
// added at the end, so a script reading the first ones keeps working.
var TimelineHeader = []string{"t", "unix", "intended_rate", "rate", "sent", "ok", "retry", "per_row", "fatal", "throttled", "late", "p50_ms", "p99_ms", "p90_ms", "max_ms"}

// WriteTimeline writes seconds as CSV with TimelineHeader.
func WriteTimeline(w io.Writer, seconds []Second) error {
	cw := csv.NewWriter(w)
	cw.Write(TimelineHeader)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	for _, s := range seconds {
		cw.Write([]string{strconv.Itoa(s.At), strconv.FormatInt(s.Unix, 10), f(s.Intended), f(s.Rate), strconv.Itoa(s.Sent),
			strconv.Itoa(s.OK), strconv.Itoa(s.Retry), strconv.Itoa(s.PerRow), strconv.Itoa(s.Fatal), strconv.Itoa(s.Throttled),
			strconv.Itoa(s.Late), f(s.P50), f(s.P99), f(s.P90), f(s.Max)})
	}
	cw.Flush()
	return cw.Error()
}
