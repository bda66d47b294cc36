package mockserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/msgread/msgread/internal/persecond"
)

// The kinds of limiter the mock's ceiling can be. The service's own is
// not documented, so a client must hold against each.
const (
	// CeilingFixedWindow counts calls per clock second, refused ones too
	// (the default; "200 calls per second per SDKAppID" read literally).
	CeilingFixedWindow = "fixed-window"
	// CeilingSlidingWindow refuses a call when the second before it (any
	// one-second span) already holds the limit's accepted calls.
	CeilingSlidingWindow = "sliding-window"
	// CeilingTokenBucket refills the limit's tokens a second, up to a burst;
	// a call takes one, and a call that finds none is refused.
	CeilingTokenBucket = "token-bucket"
)

// ceiling refuses the calls over the limit, as the service's "200 calls
// per second per SDKAppID" reads under the limiter kind set. With steps,
// the limit changes over time, as the quota other traffic on the same app
// leaves does.
type ceiling struct {
	kind  string
	burst int
	limit int // calls per second; 0 or less means no limit
	steps []CeilingStep
	cycle time.Duration
	calls *persecond.Counter // fixed-window
	// watch, when the mock sends callbacks, sees every call the ceiling
	// judges, for Alert.RequestOverLimit.
	watch *overLimit

	mu     sync.Mutex
	start  time.Time   // the first call's time: the steps start there
	recent []time.Time // sliding-window: the calls of the last second, oldest first
	tokens float64     // token-bucket
	filled time.Time   // token-bucket: when tokens were last refilled
}

func newCeiling(limit int, steps []CeilingStep) *ceiling {
	return newCeilingKind(CeilingFixedWindow, 0, limit, steps)
}

// newCeilingKind makes a ceiling of kind ("" is fixed-window); burst is the
// token bucket's size (0: the limit).
func newCeilingKind(kind string, burst, limit int, steps []CeilingStep) *ceiling {
	if kind == "" {
		kind = CeilingFixedWindow
	}
	c := &ceiling{kind: kind, burst: burst, limit: limit, steps: steps, calls: persecond.New(1)}
	for _, s := range steps {
		c.cycle += s.For
	}
	return c
}

// allow counts one call at now and reports whether it is within the limit.
// A fixed window counts refused calls too (the service does not know they
// will be refused until it has counted them, and a client that ignores
// 60007 stays refused); a sliding window and a token bucket spend their
// allowance on accepted calls only.
func (c *ceiling) allow(now time.Time) bool {
	limit := c.at(now, true)
	ok := c.judge(now, limit)
	if c.watch != nil && limit > 0 {
		c.watch.see(now, limit, ok)
	}
	return ok
}

// judge applies the limiter's kind to a call at now under limit.
func (c *ceiling) judge(now time.Time, limit int) bool {
	switch {
	case limit <= 0:
		return true
	case c.kind == CeilingSlidingWindow:
		return c.allowSliding(now, limit)
	case c.kind == CeilingTokenBucket:
		return c.allowToken(now, limit)
	}
	return c.calls.Add(now) <= uint64(limit)
}

// allowSliding keeps the accepted calls of the last second (at most the
// limit's): a call is refused while the second before it holds as many.
func (c *ceiling) allowSliding(now time.Time, limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for i < len(c.recent) && now.Sub(c.recent[i]) >= time.Second {
		i++
	}
	c.recent = c.recent[i:]
	if len(c.recent) >= limit {
		return false
	}
	c.recent = append(c.recent, now)
	return true
}

func (c *ceiling) allowToken(now time.Time, limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	size := float64(limit)
	if c.burst > 0 {
		size = float64(c.burst)
	}
	if c.filled.IsZero() {
		c.tokens = size // a bucket starts full
	} else if d := now.Sub(c.filled); d > 0 {
		c.tokens = min(size, c.tokens+d.Seconds()*float64(limit))
	}
	if now.After(c.filled) {
		c.filled = now
	}
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
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
	c.start, c.recent, c.tokens, c.filled = time.Time{}, nil, 0, time.Time{}
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
	steps, err := parseSteps(s, 0)
	if err != nil {
		return nil, fmt.Errorf("ceiling_steps: %w", err)
	}
	return steps, nil
}

// parseSteps reads steps as ParseCeilingSteps does, each at most most
// calls a second (0: no bound); its errors name no setting.
func parseSteps(s string, most int) ([]CeilingStep, error) {
	parts := strings.Split(s, ",")
	if len(parts) > maxCeilingSteps {
		return nil, fmt.Errorf("%d steps, at most %d", len(parts), maxCeilingSteps)
	}
	steps := make([]CeilingStep, 0, len(parts))
	for _, part := range parts {
		limit, dur, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("%q is not CALLS:DURATION (200:20s)", part)
		}
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: the calls a second must be a whole number of at least 1", part)
		}
		if most > 0 && n > most {
			return nil, fmt.Errorf("%q: the calls a second must be at most %d", part, most)
		}
		d, err := time.ParseDuration(dur)
		if err != nil || d < time.Second || d > maxCeilingStep {
			return nil, fmt.Errorf("%q: each step lasts from 1s to %v", part, maxCeilingStep)
		}
		steps = append(steps, CeilingStep{Limit: n, For: d})
	}
	return steps, nil
}
