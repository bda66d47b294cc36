package digest_test

import (
	"math"
	"testing"
	"time"

	"github.com/msgread/msgread/reports/digest"
)

func TestMeasureQuota(t *testing.T) {
	// 10 s with 100 left, then 10 s with 50 left; the run asks for 200.
	var tl []digest.Second
	for i := range 21 { // the 21st, partial, is left out
		s := digest.Second{At: i, Unix: 1000 + int64(i), Intended: 200, Sent: 99}
		if i >= 10 {
			s.Sent = 49
		}
		if i == 0 || i == 10 {
			s.Sent, s.Throttled = 120, 20 // the seconds that found the ceiling
		}
		tl = append(tl, s)
	}
	left := func(s digest.Second) float64 {
		if s.At >= 10 {
			return 50
		}
		return 100
	}
	q := digest.MeasureQuota(tl, left, 20*time.Second)
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
	if digest.MeasureQuota(tl[:4], left, 20*time.Second) != nil {
		t.Error("a run shorter than the settling time measured something")
	}

	// Once no first try went out (the last at 16.99 s), the seconds
	// draining the calls in flight send little, and are not counted
	// against the run.
	for i := 17; i < len(tl); i++ {
		tl[i].Sent = 3
	}
	q = digest.MeasureQuota(tl, left, 16990*time.Millisecond)
	if want := (5*99 + 2*49) / 600.0; q == nil || q.Seconds != 7 || math.Abs(q.Share-want) > 1e-9 {
		t.Errorf("with a drain from 17 s: %+v, want share %v over 7 s", q, want)
	}
	if sent := 2*120 + 9*99 + 6*49 + 3*3; math.Abs(q.Throttled-40/float64(sent)) > 1e-9 {
		t.Errorf("throttled %v, want it over the whole run (%d calls)", q.Throttled, sent)
	}
}
