package digest

import (
	"fmt"
	"github.com/msgread/msgread/reports"
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
	// Baseline compares the run with an earlier one's summary (the p99
	// from the intended send when P99FromIntended is set, as MaxP99).
	Baseline *BaselineCheck
}

// Verdict is one threshold set for a run, and how the run measured against
// it: Limit and Actual are in the threshold's unit (milliseconds for
// max_p99, a fraction for min_rate and max_failed, rows for max_gave_up).
type Verdict struct {
	// Name is the threshold's field: "max_p99", "min_rate", "max_failed",
	// "max_gave_up", or a comparison with a baseline: "baseline_p99" (ms),
	// "baseline_rate" (achieved calls/s) or "baseline_failed" (a fraction).
	Name   string  `json:"name"`
	Limit  float64 `json:"limit"`
	Actual float64 `json:"actual"`
	OK     bool    `json:"ok"`
	// Baseline is the baseline run's value, in Actual's unit, for the
	// comparisons with one (baseline_p99, baseline_rate, baseline_failed);
	// absent for the others.
	Baseline *float64 `json:"baseline,omitempty"`
	// LimitText is the limit as it was given ("2s", "0.97"); Text says in
	// words what the run did.
	LimitText string `json:"-"`
	Text      string `json:"text"`
}

// Check measures s against every threshold set, in a fixed order.
func (t Thresholds) Check(s Summary) []Verdict {
	out := []Verdict{}
	if t.MaxP99 != nil {
		p99, from := s.Latency.P99, "the send"
		if t.P99FromIntended {
			p99, from = s.LatencyIntended.P99, "the intended send"
		}
		limit := float64(*t.MaxP99) / float64(time.Millisecond)
		out = append(out, Verdict{Name: "max_p99", Limit: limit, Actual: p99, OK: p99 <= limit, LimitText: t.MaxP99.String(),
			Text: fmt.Sprintf("p99 latency from %s was %.1f ms", from, p99)})
	}
	if t.MinRate != nil {
		out = append(out, Verdict{Name: "min_rate", Limit: *t.MinRate, Actual: s.RateRatio, OK: s.RateRatio >= *t.MinRate, LimitText: fmt.Sprint(*t.MinRate),
			Text: fmt.Sprintf("the achieved rate was %.1f calls/s, %.3f of the target %.1f", s.Rate, s.RateRatio, s.TargetRate)})
	}
	if t.MaxFailed != nil {
		sent, bad := s.Sent()
		rate := 0.0
		if sent > 0 {
			rate = float64(bad) / float64(sent)
		}
		out = append(out, Verdict{Name: "max_failed", Limit: *t.MaxFailed, Actual: rate, OK: rate <= *t.MaxFailed, LimitText: fmt.Sprint(*t.MaxFailed),
			Text: fmt.Sprintf("%d of %d rows sent failed or gave up (%.4f)", bad, sent, rate)})
	}
	if t.MaxGaveUp != nil {
		n := s.ByStatus[reports.StatusGaveUp]
		out = append(out, Verdict{Name: "max_gave_up", Limit: float64(*t.MaxGaveUp), Actual: float64(n), OK: n <= *t.MaxGaveUp, LimitText: fmt.Sprint(*t.MaxGaveUp),
			Text: fmt.Sprintf("%d rows gave up", n)})
	}
	if t.Baseline != nil {
		out = append(out, t.Baseline.verdicts(s, t.P99FromIntended)...)
	}
	return out
}

// Breaches returns the verdicts that did not hold.
func Breaches(vs []Verdict) []Verdict {
	var out []Verdict
	for _, v := range vs {
		if !v.OK {
			out = append(out, v)
		}
	}
	return out
}
