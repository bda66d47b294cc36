package mockserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/msgread/msgread/internal/persecond"
)

// ceiling counts calls in fixed 1-second windows, as the service's "200 calls
// per second per SDKAppID" reads, and refuses the calls over the limit. With
// steps, the limit changes over time, as the quota other traffic on the
// same app leaves does.
type ceiling struct {
	limit int // calls per window; 0 or less means no limit
	steps []CeilingStep
	cycle time.Duration
	calls *persecond.Counter

	mu    sync.Mutex
	start time.Time // the first call's time: the steps start there
}

func newCeiling(limit int, steps []CeilingStep) *ceiling {
	c := &ceiling{limit: limit, steps: steps, calls: persecond.New(1)}
	for _, s := range steps {
		c.cycle += s.For
	}
	return c
}

// allow counts one call at now and reports whether it is within the limit.
// Refused calls count too: the service does not know they will be refused
// until it has counted them, and a client that ignores 60007 stays refused.
func (c *ceiling) allow(now time.Time) bool {
	limit := c.at(now, true)
	return limit <= 0 || c.calls.Add(now) <= uint64(limit)
}

// at returns the limit at now. The steps start with the first call (when
// first is set) and repeat; before the first call they are at their start.
func (c *ceiling) at(now time.Time, first bool) int {
	if len(c.steps) == 0 {
		return c.limit
	}
	c.mu.Lock()
	if c.start.IsZero() && first {
		c.start = now
	}
	start := c.start
	c.mu.Unlock()
	elapsed := time.Duration(0)
	if !start.IsZero() && now.After(start) {
		elapsed = now.Sub(start) % c.cycle
	}
	for _, s := range c.steps {
		if elapsed < s.For {
			return s.Limit
		}
		elapsed -= s.For
	}
	return c.steps[len(c.steps)-1].Limit
}

func (c *ceiling) reset() {
	c.calls.Reset()
	c.mu.Lock()
	c.start = time.Time{}
	c.mu.Unlock()
}

// CeilingStep is one step of a ceiling that changes over time: Limit calls
// a second for For.
type CeilingStep struct {
	Limit int
	For   time.Duration
}

// maxCeilingSteps and maxCeilingStep bound a scenario's steps (and so the
// length of their cycle).
const (
	maxCeilingSteps = 1000
	maxCeilingStep  = 24 * time.Hour
)

// ParseCeilingSteps reads "200:20s,120:20s,60:20s": each step's calls per
// second and how long it lasts. The steps repeat.
func ParseCeilingSteps(s string) ([]CeilingStep, error) {
	parts := strings.Split(s, ",")
	if len(parts) > maxCeilingSteps {
		return nil, fmt.Errorf("ceiling_steps: %d steps, at most %d", len(parts), maxCeilingSteps)
	}
	steps := make([]CeilingStep, 0, len(parts))
	for _, part := range parts {
		limit, dur, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("ceiling_steps: %q is not CALLS:DURATION (200:20s)", part)
		}
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("ceiling_steps: %q: the calls a second must be a whole number of at least 1", part)
		}
		d, err := time.ParseDuration(dur)
		if err != nil || d < time.Second || d > maxCeilingStep {
			return nil, fmt.Errorf("ceiling_steps: %q: each step lasts from 1s to %v", part, maxCeilingStep)
		}
		steps = append(steps, CeilingStep{Limit: n, For: d})
	}
	return steps, nil
}
