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
	// MaxFailureRate bounds the fraction of the rows sent that failed or
	// gave up.
	MaxFailureRate *float64
	// MaxGaveUp bounds the rows that gave up.
	MaxGaveUp *int
}

// Check returns a line for each threshold s breaches, naming it.
func (t Thresholds) Check(s Summary) []string {
	out := []string{}
	if t.MaxP99 != nil {
		p99, from := s.Latency.P99, "the send"
		if t.P99FromIntended {
			p99, from = s.LatencyIntended.P99, "the intended send"
		}
		if limit := float64(*t.MaxP99) / float64(time.Millisecond); p99 > limit {
			out = append(out, fmt.Sprintf("--max-p99 %v: p99 latency from %s was %.1f ms", *t.MaxP99, from, p99))
		}
	}
	if t.MinRate != nil && s.RateRatio < *t.MinRate {
		out = append(out, fmt.Sprintf("--min-rate %g: the achieved rate was %.1f calls/s, %.3f of the target %.1f", *t.MinRate, s.Rate, s.RateRatio, s.Ceiling))
	}
	if sent, bad := s.Sent(); t.MaxFailureRate != nil && sent > 0 {
		if rate := float64(bad) / float64(sent); rate > *t.MaxFailureRate {
			out = append(out, fmt.Sprintf("--max-failure-rate %g: %d of %d rows sent failed or gave up (%.4f)", *t.MaxFailureRate, bad, sent, rate))
		}
	}
	if t.MaxGaveUp != nil && s.ByStatus[StatusGaveUp] > *t.MaxGaveUp {
		out = append(out, fmt.Sprintf("--max-gave-up %d: %d rows gave up", *t.MaxGaveUp, s.ByStatus[StatusGaveUp]))
	}
	return out
}
