package reports

import (
	"testing"
	"time"
)

// The writer's finished_at reuses the last second's text: it must read as
// TimeFormat does, across seconds, zones and years.
func TestWriterFinishedAtMatchesTimeFormat(t *testing.T) {
	w := &Writer{}
	zone := time.FixedZone("UTC+8", 8*3600)
	start := time.Date(2026, 12, 31, 23, 59, 58, 997_000_000, zone)
	times := []time.Time{{}, time.Date(10000, 1, 1, 0, 0, 0, 1_000_000, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := range 3000 {
		times = append(times, start.Add(time.Duration(i)*time.Millisecond+time.Duration(i%7)*123_457))
	}
	times = append(times, start, start.Add(-time.Hour), time.Date(10000, 1, 1, 0, 0, 0, 2_000_000, time.UTC))
	for _, tt := range times {
		if got, want := w.finishedAt(tt), tt.UTC().Format(TimeFormat); got != want {
			t.Fatalf("finishedAt(%v) = %q, want %q", tt, got, want)
		}
	}
}
