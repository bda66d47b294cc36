package batch

import (
	"slices"
	"sync"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports/digest"
)

// maxTimeline bounds the seconds kept in memory (a week); a longer run keeps
// the first week.
const maxTimeline = 7 * 24 * 3600

// timeline aggregates a run per second. Only the current second's latencies
// are held (one value a call), so its memory is one small row per second.
type timeline struct {
	start   time.Time
	profile Profile
	rate    func() float64

	mu      sync.Mutex
	seconds []digest.Second
	cur     int       // the second being filled
	lat     []float64 // latencies of the current second, ms
}

func newTimeline(start time.Time, profile Profile, rate func() float64) *timeline {
	t := &timeline{start: start, profile: profile, rate: rate}
	t.seconds = append(t.seconds, t.blank(0))
	return t
}

func (t *timeline) blank(at int) digest.Second {
	return digest.Second{At: at, Unix: t.start.Add(time.Duration(at) * time.Second).Unix(),
		Intended: t.profile.Rate(time.Duration(at)*time.Second + time.Second/2)}
}

// row returns the row of the second at now, closing the seconds before it.
// The caller holds mu.
func (t *timeline) row(now time.Time) *digest.Second {
	at := int(now.Sub(t.start) / time.Second)
	if at > t.cur && t.cur < maxTimeline {
		t.close()
		for t.cur < at && t.cur < maxTimeline {
			t.cur++
			t.seconds = append(t.seconds, t.blank(t.cur))
		}
	}
	return &t.seconds[len(t.seconds)-1]
}

// close computes the current second's percentiles and rate.
func (t *timeline) close() {
	s := &t.seconds[len(t.seconds)-1]
	if len(t.lat) > 0 {
		slices.Sort(t.lat)
		n := len(t.lat) - 1
		s.P50, s.P90, s.P99, s.Max = t.lat[n/2], t.lat[n*9/10], t.lat[n*99/100], t.lat[n]
	}
	s.Rate = t.rate()
	t.lat = t.lat[:0]
}

func (t *timeline) sent(now time.Time, late bool) {
	t.mu.Lock()
	r := t.row(now)
	r.Sent++
	if late {
		r.Late++
	}
	t.mu.Unlock()
}

func (t *timeline) answered(now time.Time, res Result, fromIntended time.Duration) {
	t.mu.Lock()
	r := t.row(now)
	switch res.Class {
	case chatapi.ClassOK:
		r.OK++
	case chatapi.ClassPerRow:
		r.PerRow++
	case chatapi.ClassFatal:
		r.Fatal++
	default:
		r.Retry++
	}
	if res.Throttle {
		r.Throttled++
	}
	t.lat = append(t.lat, float64(fromIntended)/float64(time.Millisecond))
	t.mu.Unlock()
}

// finish closes the last second and returns the timeline.
func (t *timeline) finish(now time.Time) []digest.Second {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.row(now)
	t.close()
	return slices.Clone(t.seconds)
}

// closedSince closes the seconds before now's and returns those closed
// from index from on: the seconds over, for the timeline written as the
// run goes. A closed second never changes again.
func (t *timeline) closedSince(now time.Time, from int) []digest.Second {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.row(now)
	n := len(t.seconds) - 1 // the last is being filled
	if from < 0 || from >= n {
		return nil
	}
	return slices.Clone(t.seconds[from:n])
}
