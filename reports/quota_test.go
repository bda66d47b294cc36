package reports_test

import (
	"math"
	"testing"

	"github.com/msgread/msgread/reports"
)

func TestMeasureQuota(t *testing.T) {
	// 10 s with 100 left, then 10 s with 50 left; the run asks for 200.
	var tl []reports.Second
	for i := range 21 { // the 21st, partial, is left out
		s := reports.Second{At: i, Unix: 1000 + int64(i), Intended: 200, Sent: 99}
		if i >= 10 {
			s.Sent = 49
		}
		if i == 0 || i == 10 {
			s.Sent, s.Throttled = 120, 20 // the seconds that found the ceiling
		}
		tl = append(tl, s)
	}
	left := func(s reports.Second) float64 {
		if s.At >= 10 {
			return 50
		}
		return 100
	}
	q := reports.MeasureQuota(tl, left)
	if q == nil {
		t.Fatal("nothing measured")
	}
	// Measured: seconds 5-9 (99 of 100) and 15-19 (49 of 50).
	if want := (5*99 + 5*49) / 750.0; q.Seconds != 10 || math.Abs(q.Share-want) > 1e-9 {
		t.Errorf("share %v over %d s, want %v over 10", q.Share, q.Seconds, want)
	}
	sent := 2*120 + 9*99 + 9*49
	if want := 40 / float64(sent); math.Abs(q.Throttled-want) > 1e-9 {
		t.Errorf("throttled %v, want %v", q.Throttled, want)
	}
	if reports.MeasureQuota(tl[:4], left) != nil {
		t.Error("a run shorter than the settling time measured something")
	}
}
