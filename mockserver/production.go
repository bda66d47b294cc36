package mockserver

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Production is the app's own traffic on the same API, which the mock
// generates inside itself (no HTTP): its calls take their place in the
// same ceiling as real ones, and the ones the ceiling refuses are counted,
// for the app's owner cares about them. In a scenario:
//
//	"production": {"rate": "100", "arrivals": "poisson"}
//
// Rate is calls a second, constant ("100") or in repeating steps
// ("60:30s,140:30s"), from the mock's start; arrivals are "poisson" (the
// default, seeded) or "even".
type Production struct {
	Rate     string `json:"rate"`
	Arrivals string `json:"arrivals,omitempty"`
}

// Validate checks the production traffic's settings.
func (p Production) Validate() error {
	if _, err := p.steps(); err != nil {
		return err
	}
	switch p.Arrivals {
	case "", "poisson", "even":
		return nil
	}
	return fmt.Errorf("mockserver: production: arrivals %q is not poisson or even", p.Arrivals)
}

// maxProductionRate bounds production's calls a second.
const maxProductionRate = 100_000

// steps reads the rate: one step for a constant rate.
func (p Production) steps() ([]CeilingStep, error) {
	if n, err := strconv.Atoi(p.Rate); err == nil {
		if n < 1 || n > maxProductionRate {
			return nil, fmt.Errorf("mockserver: production: rate %d is not from 1 to %d calls/s", n, maxProductionRate)
		}
		return []CeilingStep{{Limit: n, For: time.Hour}}, nil
	}
	// Each step is bounded as a constant rate is: the production calls
	// are made one by one under the ceiling's lock.
	steps, err := parseSteps(p.Rate, maxProductionRate)
	if err != nil {
		return nil, fmt.Errorf("mockserver: production: rate %q: want calls/s (100) or steps (60:30s,140:30s): %w", p.Rate, err)
	}
	return steps, nil
}

// production generates the production calls lazily: before the ceiling
// judges a real call at now, every production call due before it is put
// through the ceiling first, in order, under one lock, so that the same
// seed gives the same arrivals whatever the real calls' timing.
type production struct {
	steps   []CeilingStep
	cycle   time.Duration
	poisson bool
	start   time.Time

	mu      sync.Mutex
	rng     *rand.Rand
	next    time.Time // the next production call
	calls   uint64
	refused uint64
}

func newProduction(p *Production, start time.Time, seed uint64) *production {
	if p == nil {
		return nil
	}
	steps, _ := p.steps() // checked by Validate
	pr := &production{steps: steps, poisson: p.Arrivals != "even", start: start,
		rng: rand.New(rand.NewPCG(seed^0x70726f64, seed))}
	for _, s := range steps {
		pr.cycle += s.For
	}
	pr.next = start.Add(pr.gap(start))
	return pr
}

// rateAt is production's calls a second at t.
func (p *production) rateAt(t time.Time) float64 {
	elapsed := max(t.Sub(p.start), 0) % p.cycle
	for _, s := range p.steps {
		if elapsed < s.For {
			return float64(s.Limit)
		}
		elapsed -= s.For
	}
	return float64(p.steps[len(p.steps)-1].Limit)
}

// gap is the time to the production call after one at t.
func (p *production) gap(t time.Time) time.Duration {
	mean := float64(time.Second) / p.rateAt(t)
	if p.poisson {
		return time.Duration(p.rng.ExpFloat64() * mean)
	}
	return time.Duration(mean)
}

// maxCatchUp bounds the production calls put through the ceiling at once
// (an idle mock asked after a long while): beyond it, those older than
// catchUpSpan before the call are counted as accepted, as an idle ceiling
// would take them; the latest are always judged, for they fill the
// window the call is judged in.
const (
	maxCatchUp  = 1_000_000
	catchUpSpan = 2 * time.Second
)

// admit puts the production calls due before now through c, then judges
// the real call at now (real is false to only catch up, for a read-out).
func (p *production) admit(c *ceiling, now time.Time, real bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := 0; !p.next.After(now); n++ {
		p.calls++
		if (n < maxCatchUp || now.Sub(p.next) < catchUpSpan) && !c.allow(p.next) {
			p.refused++
		}
		p.next = p.next.Add(max(p.gap(p.next), time.Nanosecond))
	}
	return !real || c.allow(now)
}

// counts returns the production calls made and refused up to now.
func (p *production) counts(c *ceiling, now time.Time) ProductionStats {
	p.admit(c, now, false)
	p.mu.Lock()
	defer p.mu.Unlock()
	return ProductionStats{Calls: p.calls, Refused: p.refused}
}

func (p *production) reset(now time.Time) {
	p.mu.Lock()
	p.calls, p.refused, p.start = 0, 0, now
	p.next = now.Add(p.gap(now))
	p.mu.Unlock()
}

// ProductionStats counts the production calls the mock generated and, of
// them, those its ceiling refused.
type ProductionStats struct {
	Calls   uint64 `json:"calls"`
	Refused uint64 `json:"refused"`
}
