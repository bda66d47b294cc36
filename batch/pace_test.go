package batch_test

import (
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports"
)

// TestPaceIgnoresSkippedRowsAndOldPace: a resumed run skips 9,000 done rows
// in its first second, then works at 10 rows/s: the rate is 10, not the
// average since the start, and the ETA is the remaining 900 rows at 10/s.
func TestPaceIgnoresSkippedRowsAndOldPace(t *testing.T) {
	var pc batch.Pace
	for sec := 0; sec <= 120; sec++ {
		done := int64(9000 + 10*sec)
		pc.Add(batch.Progress{Done: done, Elapsed: time.Duration(sec) * time.Second,
			ByStatus: map[reports.Status]int64{reports.StatusSkipped: 9000, reports.StatusOK: done - 9000}})
	}
	if r := pc.Rate(); r < 9.9 || r > 10.1 {
		t.Errorf("rate %.2f, want 10 rows/s", r)
	}
	if eta := pc.ETA(10_000 - 10_200); eta != 0 {
		t.Errorf("ETA %v with nothing left", eta)
	}
	if eta := pc.ETA(900); eta != 90*time.Second {
		t.Errorf("ETA %v for 900 rows at 10/s, want 1m30s", eta)
	}
}

func TestPaceUnknownUntilASecond(t *testing.T) {
	var pc batch.Pace
	if r, eta := pc.Rate(), pc.ETA(100); r != 0 || eta != 0 {
		t.Errorf("empty pace: rate %v, ETA %v; want 0, 0", r, eta)
	}
	pc.Add(batch.Progress{Done: 0, ByStatus: map[reports.Status]int64{}})
	pc.Add(batch.Progress{Done: 50, Elapsed: 500 * time.Millisecond, ByStatus: map[reports.Status]int64{reports.StatusOK: 50}})
	if r, eta := pc.Rate(), pc.ETA(100); r != 0 || eta != 0 {
		t.Errorf("half a second: rate %v, ETA %v; want 0, 0 (unknown)", r, eta)
	}
	pc.Add(batch.Progress{Done: 100, Elapsed: 2 * time.Second, ByStatus: map[reports.Status]int64{reports.StatusOK: 100}})
	if r, eta := pc.Rate(), pc.ETA(100); r != 50 || eta != 2*time.Second {
		t.Errorf("two seconds at 50/s: rate %v, ETA %v; want 50, 2s", r, eta)
	}
}
