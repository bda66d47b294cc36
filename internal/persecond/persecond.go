// Package persecond counts events per clock second, as the service counts
// its "200 calls per second": the runner's busiest second, the mock's
// ceiling and the mock's per-second stats are all views of one Counter.
package persecond

import (
	"sync"
	"time"
)

// Count is the number of events in one clock second.
type Count struct {
	Unix int64  `json:"unix"`
	N    uint64 `json:"requests"`
}

// Counter counts events in the last Keep clock seconds and remembers the
// busiest second it saw. Its memory is fixed. It is safe for concurrent use.
type Counter struct {
	mu    sync.Mutex
	slots []Count // a ring indexed by Unix second
	peak  uint64
}

// New returns a Counter that keeps the last keep seconds (at least one).
func New(keep int) *Counter {
	return &Counter{slots: make([]Count, max(keep, 1))}
}

// Add counts one event at t and returns the count of t's second so far,
// this event included.
func (c *Counter) Add(t time.Time) uint64 {
	sec := t.Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	slot := &c.slots[int(mod(sec, int64(len(c.slots))))]
	if slot.Unix != sec || slot.N == 0 {
		*slot = Count{Unix: sec}
	}
	slot.N++
	c.peak = max(c.peak, slot.N)
	return slot.N
}

// Peak returns the most events counted in one second.
func (c *Counter) Peak() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak
}

// Recent returns the counts of the seconds kept, from the first one with an
// event to now's second, oldest first, with empty seconds filled in.
func (c *Counter) Recent(now time.Time) []Count {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := now.Unix()
	first := int64(-1)
	for _, s := range c.slots {
		if s.N > 0 && s.Unix > end-int64(len(c.slots)) && (first < 0 || s.Unix < first) {
			first = s.Unix
		}
	}
	if first < 0 {
		return nil
	}
	out := make([]Count, 0, end-first+1)
	for sec := first; sec <= end; sec++ {
		s := c.slots[int(mod(sec, int64(len(c.slots))))]
		if s.Unix != sec {
			s = Count{Unix: sec}
		}
		out = append(out, s)
	}
	return out
}

// Reset forgets every count and the peak.
func (c *Counter) Reset() {
	c.mu.Lock()
	clear(c.slots)
	c.peak = 0
	c.mu.Unlock()
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }
