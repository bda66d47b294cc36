package batch_test

import (
	"slices"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/reports/digest"
)

// The mock's ceiling is read in the middle of each of the run's seconds,
// whatever the run's phase in its clock second: read from the seconds'
// truncated Unix, a run that started 0.7 s into its second met each step a
// second early (make bench-quota read 96.8 % instead of 99 % in a sitting
// whose runs all started late in their seconds).
func TestCeilingsOverFollowTheRunsSeconds(t *testing.T) {
	for _, phase := range []time.Duration{0, 300 * time.Millisecond, 700 * time.Millisecond, 999 * time.Millisecond} {
		started := time.Unix(1796300000, 0).Add(phase)
		first := started.Add(time.Millisecond) // the mock's steps start at the first call
		steps := func(at time.Time) int {      // 100 for 2 s, then 50 for 2 s
			if at.Sub(first) < 2*time.Second {
				return 100
			}
			return 50
		}
		var tl []digest.Second
		for at := range 4 {
			tl = append(tl, digest.Second{At: at, Unix: started.Add(time.Duration(at) * time.Second).Unix()})
		}
		if got := batch.CeilingsOver(tl, started, steps); !slices.Equal(got, []float64{100, 100, 50, 50}) {
			t.Errorf("a run %v into its clock second: ceilings %v, want [100 100 50 50]", phase, got)
		}
	}
}
