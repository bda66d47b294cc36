package latency

import (
	"testing"
	"time"
)

func TestBucketsAndAt(t *testing.T) {
	h := New()
	for _, d := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 200 * time.Millisecond, 2 * time.Second} {
		h.Record(d)
	}
	cum, n, sum := h.Buckets([]time.Duration{10 * time.Millisecond, 100 * time.Millisecond, time.Second, 10 * time.Second})
	if want := []uint64{1, 2, 3, 4}; n != 4 || len(cum) != 4 || cum[0] != want[0] || cum[1] != want[1] || cum[2] != want[2] || cum[3] != want[3] {
		t.Errorf("buckets %v (count %d), want %v", cum, n, want)
	}
	if sum < 2200*time.Millisecond || sum > 2230*time.Millisecond {
		t.Errorf("sum %v, want about 2.222s", sum)
	}
	at := h.At([]float64{50, 100})
	if at[0] < 19.9 || at[0] > 20.1 || at[1] < 1999 || at[1] > 2003 {
		t.Errorf("p50 %v ms, p100 %v ms", at[0], at[1])
	}
	if z := New().At([]float64{99}); z[0] != 0 {
		t.Errorf("empty: %v", z)
	}
}
