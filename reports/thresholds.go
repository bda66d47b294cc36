package reports

import (
	"fmt"
	"time"
)

// Thresholds are the pass marks of a CI run. A nil field is not checked.
type Thresholds struct {
	// MaxP99 bounds the 99th percentile latency: from the intended send when
	// P99FromIntended is set (load tests, open model), else from the send.
	MaxP99          *time.Duration
	P99FromIntended bool
	// MinRate is the lowest achieved rate, as a fraction of the target rate.
	MinRate *float64
	// MaxFailed bounds the fraction of the rows sent that failed or gave
	// up.
	MaxFailed *float64
	// MaxGaveUp bounds the rows that gave up.
	MaxGaveUp *int
}

// Breach is a threshold a run did not meet.
type Breach struct {
	// Name is the threshold's field: "max_p99", "min_rate",
	// "max_failed" or "max_gave_up".
	Name string
	// Limit is the threshold's value, and Text says what the run did.
	Limit, Text string
}

// Check returns the thresholds s breaches.
func (t Thresholds) Check(s Summary) []Breach {
	var out []Breach
	if t.MaxP99 != nil {
		p99, from := s.Latency.P99, "the send"
		if t.P99FromIntended {
			p99, from = s.LatencyIntended.P99, "the intended send"
		}
		if limit := float64(*t.MaxP99) / float64(time.Millisecond); p99 > limit {
			out = append(out, Breach{"max_p99", t.MaxP99.String(), fmt.Sprintf("p99 latency from %s was %.1f ms", from, p99)})
		}
	}
	if t.MinRate != nil && s.RateRatio < *t.MinRate {
		out = append(out, Breach{"min_rate", fmt.Sprint(*t.MinRate), fmt.Sprintf("the achieved rate was %.1f calls/s, %.3f of the target %.1f", s.Rate, s.RateRatio, s.Ceiling)})
	}
	if sent, bad := s.Sent(); t.MaxFailed != nil && sent > 0 {
		if rate := float64(bad) / float64(sent); rate > *t.MaxFailed {
			out = append(out, Breach{"max_failed", fmt.Sprint(*t.MaxFailed), fmt.Sprintf("%d of %d rows sent failed or gave up (%.4f)", bad, sent, rate)})
		}
	}
	if t.MaxGaveUp != nil && s.ByStatus[StatusGaveUp] > *t.MaxGaveUp {
		out = append(out, Breach{"max_gave_up", fmt.Sprint(*t.MaxGaveUp), fmt.Sprintf("%d rows gave up", s.ByStatus[StatusGaveUp])})
	}
	return out
}
