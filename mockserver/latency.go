package mockserver

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Latency kinds.
const (
	LatencyNone      = ""
	LatencyFixed     = "fixed"
	LatencyUniform   = "uniform"
	LatencyLognormal = "lognormal"
)

// z99 is the standard normal's 99th percentile.
const z99 = 2.3263478740408408

// Latency is the delay the mock adds before answering, sampled per request.
// The zero value adds none.
type Latency struct {
	// Kind is "fixed" (Fixed), "uniform" (between Min and Max), "lognormal"
	// (given by its median P50 and 99th percentile P99) or "" for none.
	Kind  string   `json:"kind,omitempty"`
	Fixed Duration `json:"fixed,omitempty"`
	Min   Duration `json:"min,omitempty"`
	Max   Duration `json:"max,omitempty"`
	P50   Duration `json:"p50,omitempty"`
	P99   Duration `json:"p99,omitempty"`
}

// Validate checks that the latency's parameters fit its kind.
func (l Latency) Validate() error {
	switch l.Kind {
	case LatencyNone:
	case LatencyFixed:
		if l.Fixed < 0 {
			return fmt.Errorf("mockserver: fixed latency %v is negative", time.Duration(l.Fixed))
		}
	case LatencyUniform:
		if l.Min < 0 || l.Max < l.Min {
			return fmt.Errorf("mockserver: uniform latency needs 0 <= min <= max, got %v..%v", time.Duration(l.Min), time.Duration(l.Max))
		}
	case LatencyLognormal:
		if l.P50 <= 0 || l.P99 < l.P50 {
			return fmt.Errorf("mockserver: lognormal latency needs 0 < p50 <= p99, got p50 %v, p99 %v", time.Duration(l.P50), time.Duration(l.P99))
		}
	default:
		return fmt.Errorf("mockserver: unknown latency kind %q (fixed, uniform, lognormal)", l.Kind)
	}
	return nil
}

// Sample draws one delay from rng. For lognormal, μ = ln p50 and
// σ = (ln p99 − ln p50) / z₀.₉₉, so the draws' median and 99th percentile are
// the configured ones.
func (l Latency) Sample(rng *rand.Rand) time.Duration {
	switch l.Kind {
	case LatencyFixed:
		return time.Duration(l.Fixed)
	case LatencyUniform:
		span := int64(l.Max - l.Min)
		if span <= 0 {
			return time.Duration(l.Min)
		}
		return time.Duration(int64(l.Min) + rng.Int64N(span+1))
	case LatencyLognormal:
		mu := math.Log(float64(l.P50))
		sigma := (math.Log(float64(l.P99)) - mu) / z99
		return time.Duration(math.Exp(mu + sigma*rng.NormFloat64()))
	}
	return 0
}
