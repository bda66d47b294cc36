package digest

import "time"

// QuotaUse is how much of what the service had left a run took.
type QuotaUse struct {
	// Share is the calls the service accepted over the calls it had left
	// (the least of its ceiling and the intended rate), counted from
	// SettleSeconds after each change of what it had left, so that each
	// change is judged once the pacer had time to find it.
	Share float64 `json:"share_of_available"`
	// Throttled is the share of the run's calls answered "slow down".
	Throttled float64 `json:"throttled_share"`
	// Seconds counts the seconds Share was measured over.
	Seconds int `json:"seconds_measured"`
	// ProductionCalls and ProductionRefused count the app's own calls the
	// bundled mock generated under the same ceiling during the run (its
	// scenario's production traffic), and those the ceiling refused: what
	// the migration's pressure cost production. Zero without any.
	ProductionCalls   uint64  `json:"production_calls,omitempty"`
	ProductionRefused uint64  `json:"production_refused,omitempty"`
	ProductionShare   float64 `json:"production_refused_share,omitempty"`
}

// SettleSeconds is how long after a change of the available rate the
// quota share starts counting again.
const SettleSeconds = 5

// MeasureQuota measures a timeline against available, the calls per
// second the service had left in each of its seconds; nil when no second
// was measured. Share counts only the seconds over by offering (to the
// nearest second): after it the run sent no first try (its calls in flight
// and their retries were draining), and what it left then was not refused
// to it. Throttled counts the whole run. The last second, cut short by the
// run's end, is left out of both.
func MeasureQuota(tl []Second, available func(Second) float64, offering time.Duration) *QuotaUse {
	if len(tl) > 1 {
		tl = tl[:len(tl)-1]
	}
	sent, throttled := throttledOf(tl)
	var got, avail float64
	seconds := 0
	last, changed := -1.0, 0
	// The last first try goes out just before a load's end (7.99 s of an
	// 8 s load): the seconds are those it reached, to the nearest.
	offered := max(int((offering+time.Second/2)/time.Second), 0)
	for i, s := range tl[:min(len(tl), offered)] {
		a := min(available(s), s.Intended)
		if a != last {
			last, changed = a, i
		}
		if i-changed >= SettleSeconds && a > 0 {
			got += float64(s.Sent - s.Throttled)
			avail += a
			seconds++
		}
	}
	if seconds == 0 || sent == 0 {
		return nil
	}
	return &QuotaUse{Share: got / avail, Throttled: float64(throttled) / float64(sent), Seconds: seconds}
}

// UnmeasuredQuota is the quota of a run too short to measure what it took
// (MeasureQuota's nil): Seconds is 0, Share means nothing and is 0, and
// Throttled counts the run's calls as MeasureQuota does. It carries
// production's counts, which need no measured second.
func UnmeasuredQuota(tl []Second) *QuotaUse {
	if len(tl) > 1 {
		tl = tl[:len(tl)-1]
	}
	q := &QuotaUse{}
	if sent, throttled := throttledOf(tl); sent > 0 {
		q.Throttled = float64(throttled) / float64(sent)
	}
	return q
}

// throttledOf counts the calls of tl and those answered "slow down".
func throttledOf(tl []Second) (sent, throttled int) {
	for _, s := range tl {
		sent += s.Sent
		throttled += s.Throttled
	}
	return sent, throttled
}
