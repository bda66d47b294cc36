package digest

import (
	"sort"
	"time"
)

// RunSpan is one run on a chain's charts (the runs of a resume chain, or
// of several shards): what it wrote, and the seconds of the merged
// timeline it covers.
type RunSpan struct {
	// Report is the report the run wrote (a report appended to has a run
	// for each time it was written); Timeline its timeline's path.
	Report   string `json:"report"`
	Timeline string `json:"timeline"`
	// Missing says why the run's seconds are not on the charts (its
	// timeline is not there, empty or damaged); "" when they are.
	Missing string `json:"timeline_missing,omitempty"`
	// StartedAt and EndedAt are the clock of its first second and the
	// end of its last one on the timeline; Seconds counts its seconds.
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Seconds   int       `json:"seconds"`
	// From and To are the run's first second and the one after its last
	// in the merged timeline (Page.Timeline).
	From int `json:"-"`
	To   int `json:"-"`
}

// MaxGapSeconds bounds the seconds a gap between runs takes on the
// charts: a run resumed days later is drawn six hours on (the time axis
// counts the charts' seconds); the gap's hover text says how long it was.
const MaxGapSeconds = 6 * 3600

// MergeTimelines lays the runs' timelines on one clock (their Unix
// seconds): a second two runs share (shards running side by side) sums
// their counts and rates and keeps the worst of their latencies; a second
// no run has, between the first and the last, is a Gap (at most
// MaxGapSeconds of one gap). It fills each span's From, To, StartedAt,
// EndedAt and Seconds; a span with no seconds (Missing) is left at zero.
// runs[i] are the seconds of spans[i].
func MergeTimelines(runs [][]Second, spans []RunSpan) []Second {
	byUnix := map[int64]*Second{}
	for _, secs := range runs {
		for _, s := range secs {
			m, ok := byUnix[s.Unix]
			if !ok {
				c := s
				byUnix[s.Unix] = &c
				continue
			}
			m.add(s)
		}
	}
	keys := make([]int64, 0, len(byUnix))
	for k := range byUnix {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	merged := make([]Second, 0, len(keys))
	index := make(map[int64]int, len(keys))
	// The gaps' seconds in all are bounded too (timelines with seconds far
	// apart, hand-made): past the budget, a gap takes one second.
	budget := max(int64(MaxGapSeconds), int64(len(keys)))
	for i, k := range keys {
		if i > 0 {
			gap := min(k-keys[i-1]-1, MaxGapSeconds, budget)
			if gap < 1 && k-keys[i-1] > 1 {
				gap = 1
			}
			budget -= gap
			for g := int64(1); g <= gap; g++ {
				merged = append(merged, Second{At: len(merged), Unix: keys[i-1] + g, Gap: true})
			}
		}
		s := *byUnix[k]
		s.At = len(merged)
		index[k] = s.At
		merged = append(merged, s)
	}
	for i, secs := range runs {
		if len(secs) == 0 {
			continue
		}
		first, last := secs[0].Unix, secs[len(secs)-1].Unix
		spans[i].From, spans[i].To, spans[i].Seconds = index[first], index[last]+1, len(secs)
		spans[i].StartedAt, spans[i].EndedAt = time.Unix(first, 0).UTC(), time.Unix(last+1, 0).UTC()
	}
	return merged
}

// add sums o into s, a second two runs share.
func (s *Second) add(o Second) {
	s.Intended += o.Intended
	s.Rate += o.Rate
	s.Sent += o.Sent
	s.OK += o.OK
	s.Retry += o.Retry
	s.PerRow += o.PerRow
	s.Fatal += o.Fatal
	s.Throttled += o.Throttled
	s.Late += o.Late
	s.P50, s.P90, s.P99, s.Max = max(s.P50, o.P50), max(s.P90, o.P90), max(s.P99, o.P99), max(s.Max, o.Max)
}

// gapLength is the real length of the gap that second i of tl is in: the
// seconds between the runs' seconds either side of it.
func gapLength(tl []Second, i int) time.Duration {
	from, to := i, i
	for from > 0 && tl[from-1].Gap {
		from--
	}
	for to < len(tl)-1 && tl[to+1].Gap {
		to++
	}
	if from == 0 || to == len(tl)-1 {
		return time.Duration(to-from+1) * time.Second
	}
	return time.Duration(tl[to+1].Unix-tl[from-1].Unix-1) * time.Second
}
