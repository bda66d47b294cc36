package batch

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msgread/msgread/reports"
)

// latencies is an HDR histogram of call latencies, safe for concurrent use.
// Its memory is fixed, however many calls it records.
type latencies struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func newLatencies() *latencies {
	// Microseconds from 1 µs to 10 minutes, three significant digits.
	return &latencies{h: hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)}
}

func (l *latencies) record(d time.Duration) {
	us := max(d.Microseconds(), 1)
	l.mu.Lock()
	_ = l.h.RecordValue(min(us, l.h.HighestTrackableValue()))
	l.mu.Unlock()
}

func (l *latencies) summary() reports.Latency {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h.TotalCount() == 0 {
		return reports.Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return reports.Latency{
		P50: ms(l.h.ValueAtQuantile(50)),
		P90: ms(l.h.ValueAtQuantile(90)),
		P99: ms(l.h.ValueAtQuantile(99)),
		Max: ms(l.h.Max()),
	}
}
