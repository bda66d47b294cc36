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
