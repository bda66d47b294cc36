// Package latency keeps latency percentiles in an HDR histogram of fixed
// memory, for the runner's calls and the mock's injected delays alike.
package latency

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Percentiles of a histogram, in milliseconds.
type Percentiles struct {
	Count              int64
	P50, P90, P99, Max float64
}

// Histogram records durations from 1 µs to an hour with three significant
// digits. Its memory is fixed, however many it records; it is safe for
// concurrent use.
type Histogram struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

// New returns an empty Histogram.
func New() *Histogram {
	return &Histogram{h: hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)}
}

// Record adds d (clamped into the histogram's range).
func (l *Histogram) Record(d time.Duration) {
	us := max(d.Microseconds(), 1)
	l.mu.Lock()
	_ = l.h.RecordValue(min(us, l.h.HighestTrackableValue()))
	l.mu.Unlock()
}

// Percentiles returns the histogram's percentiles; zero when it is empty.
func (l *Histogram) Percentiles() Percentiles {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.h.TotalCount()
	if n == 0 {
		return Percentiles{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Percentiles{Count: n, P50: ms(l.h.ValueAtQuantile(50)), P90: ms(l.h.ValueAtQuantile(90)), P99: ms(l.h.ValueAtQuantile(99)), Max: ms(l.h.Max())}
}

// Buckets returns, for each upper bound (ascending), how many durations
// were at most it, as a Prometheus histogram counts them; with the count
// and the sum (the mean times the count: the histogram keeps no exact
// sum). A bucket's bound is compared with the upper end of each of the
// histogram's value ranges, so counts err on the side of the slower bucket.
func (l *Histogram) Buckets(bounds []time.Duration) (cumulative []uint64, count uint64, sum time.Duration) {
	l.mu.Lock()
	bars := l.h.Distribution()
	count = uint64(l.h.TotalCount())
	sum = time.Duration(l.h.Mean()*float64(count)) * time.Microsecond
	l.mu.Unlock()
	cumulative = make([]uint64, len(bounds))
	for _, b := range bars {
		if b.Count == 0 {
			continue
		}
		upper := time.Duration(b.To) * time.Microsecond
		for i := len(bounds) - 1; i >= 0 && upper <= bounds[i]; i-- {
			cumulative[i] += uint64(b.Count)
		}
	}
	return cumulative, count, sum
}

// At returns the values at the given percentiles (0 to 100), in
// milliseconds; zeros when the histogram is empty.
func (l *Histogram) At(percentiles []float64) []float64 {
	out := make([]float64, len(percentiles))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h.TotalCount() == 0 {
		return out
	}
	for i, p := range percentiles {
		out[i] = float64(l.h.ValueAtPercentile(p)) / 1000
	}
	return out
}
