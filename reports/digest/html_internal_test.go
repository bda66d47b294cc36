package digest

import (
	"slices"
	"testing"
)

func TestTimeTicksAreRound(t *testing.T) {
	for _, c := range []struct {
		seconds int
		want    []int
	}{
		{1, []int{0}},
		{5, []int{0, 1, 2, 3, 4}},
		{60, []int{0, 10, 20, 30, 40, 50}},
		{61, []int{0, 10, 20, 30, 40, 50, 60}},
		{14 * 3600, []int{0, 7200, 14400, 21600, 28800, 36000, 43200}},
	} {
		if got := timeTicks(c.seconds); !slices.Equal(got, c.want) {
			t.Errorf("timeTicks(%d) = %v, want %v", c.seconds, got, c.want)
		}
	}
	for sec, want := range map[int]string{0: "0s", 45: "45s", 90: "1m30s", 120: "2m", 3600: "1h", 4500: "1h15m", 3601: "1h0m1s"} {
		if got := clock(sec); got != want {
			t.Errorf("clock(%d) = %q, want %q", sec, got, want)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for v, want := range map[float64]float64{50: 50, 50.25: 100, 0.3: 0.5, 24: 25, 0: 0.25, 120: 200, 1: 1} {
		if got := niceStep(v); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", v, got, want)
		}
	}
	if got := roundTo(3*0.1, 0.1); got != 0.3 {
		t.Errorf("roundTo(0.30000000000000004) = %v", got)
	}
}
