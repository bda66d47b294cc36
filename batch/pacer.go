package batch

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer defaults.
const (
	// DefaultWindowSlack widens the pacer's 1-second window so that network
	// jitter between client and server cannot push a 201st call into the
	// server's second. It costs 0.2 % of the rate.
	DefaultWindowSlack = 2 * time.Millisecond
	// ThrottleCooldown is how long after lowering the rate further throttle
	// answers are ignored: they come from calls sent before the drop.
	ThrottleCooldown = time.Second
	// RecoveryPerSecond is how fast the rate climbs back after a throttle
	// answer: this fraction of the ceiling per second.
	RecoveryPerSecond = 0.05
	// minPacedRate is the lowest rate self-throttling goes down to.
	minPacedRate = 1.0
)

// maxWindowCalls bounds the window's memory (24 bytes a call). Rates above it
// are far beyond any real ceiling; the limiter alone paces them.
const maxWindowCalls = 100_000

// Pacer spaces the calls of a run. A rate.Limiter with burst 1 sets the
// steady pace; on top of it a sliding window guarantees that no span of one
// second (plus a slack) holds more than the rate's calls, even when
// scheduling delays bunch up calls that the limiter released on time. That is
// what a server counting calls per second sees.
//
// When the service says "slow down", Throttle halves the rate at once; it
// then climbs back by RecoveryPerSecond of the ceiling each second.
//
// Its methods are safe for concurrent use.
type Pacer struct {
	limiter *rate.Limiter
	ceiling float64
	window  time.Duration
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error

	profile Profile // when set, the ceiling follows it
	start   time.Time

	mu        sync.Mutex
	ring      []time.Time // send times of the last len(ring) calls; idx is the next slot
	idx       int
	current   float64
	adjusted  time.Time // when current was last changed
	dropped   time.Time // when current was last lowered
	throttles int
	lowest    float64
}

// NewPacer returns a Pacer of perSecond calls per second whose window is one
// second plus slack. now and sleep may be nil for the real clock.
func NewPacer(perSecond float64, slack time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	p := &Pacer{
		limiter: rate.NewLimiter(rate.Limit(perSecond), 1),
		ceiling: perSecond, current: perSecond, lowest: perSecond,
		window: time.Second + slack, now: now, sleep: sleep,
	}
	if n := math.Floor(perSecond); n >= 1 && n <= maxWindowCalls {
		p.ring = make([]time.Time, int(n))
	}
	return p
}

// NewProfilePacer returns a Pacer whose ceiling follows profile from start.
func NewProfilePacer(profile Profile, start time.Time, slack time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	p := NewPacer(profile.Max(), slack, now, sleep)
	p.profile, p.start = profile, start
	first := profile.Rate(0)
	p.ceiling, p.current, p.lowest = first, first, first
	p.limiter.SetLimit(rate.Limit(first))
	return p
}

// Wait blocks until the caller may send its call, or ctx is done (it then
// returns an error and the call must not be sent).
func (p *Pacer) Wait(ctx context.Context) error {
	p.recover(p.now())
	if err := p.limiter.Wait(ctx); err != nil {
		return err
	}
	at, slot := p.reserve(p.now())
	if d := at.Sub(p.now()); d > 0 {
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
	p.commit(slot, at, p.now())
	return nil
}

// Throttle halves the rate, unless it was lowered less than
// ThrottleCooldown ago. Call it when the service answers "slow down".
func (p *Pacer) Throttle() {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.dropped.IsZero() && now.Sub(p.dropped) < ThrottleCooldown {
		return
	}
	p.current = max(p.current/2, min(minPacedRate, p.ceiling))
	p.lowest = min(p.lowest, p.current)
	p.dropped, p.adjusted = now, now
	p.throttles++
	p.limiter.SetLimitAt(now, rate.Limit(p.current))
}

// recover moves the ceiling along the profile and raises the rate towards
// it as time passes.
func (p *Pacer) recover(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.profile != nil {
		if target := p.profile.Rate(now.Sub(p.start)); target != p.ceiling {
			if p.current >= p.ceiling || p.current > target {
				p.current = target
				p.limiter.SetLimitAt(now, rate.Limit(target))
			}
			p.ceiling = target
			p.adjusted = now
		}
	}
	if p.current >= p.ceiling {
		return
	}
	elapsed := now.Sub(p.adjusted).Seconds()
	if elapsed <= 0 {
		return
	}
	p.current = min(p.ceiling, p.current+p.ceiling*RecoveryPerSecond*elapsed)
	p.adjusted = now
	p.limiter.SetLimitAt(now, rate.Limit(p.current))
}

// PacerStats describes the pacer's self-throttling.
type PacerStats struct {
	// Rate is the current rate, Lowest the lowest it went.
	Rate, Lowest float64
	// Throttles counts the times the rate was halved.
	Throttles int
}

// Stats returns the current rate and how often it was lowered.
func (p *Pacer) Stats() PacerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PacerStats{Rate: p.current, Lowest: p.lowest, Throttles: p.throttles}
}

// reserve books a send time at or after now such that no window holds more
// calls than the current rate, and returns it with its slot in the ring.
func (p *Pacer) reserve(now time.Time) (time.Time, int) {
	if len(p.ring) == 0 {
		return now, -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := min(max(int(p.current), 1), len(p.ring))
	at := now
	// The call n before this one must be a window ago.
	if prev := p.ring[(p.idx-n+len(p.ring))%len(p.ring)]; !prev.IsZero() {
		if earliest := prev.Add(p.window); earliest.After(at) {
			at = earliest
		}
	}
	slot := p.idx
	p.ring[slot] = at
	p.idx = (p.idx + 1) % len(p.ring)
	return at, slot
}

// commit records the actual send time of the call booked at slot for at: a
// goroutine woken late sends late, and the window must count it when it is
// sent, not when it was booked.
func (p *Pacer) commit(slot int, at, sent time.Time) {
	if slot < 0 || !sent.After(at) {
		return
	}
	p.mu.Lock()
	if p.ring[slot].Equal(at) {
		p.ring[slot] = sent
	}
	p.mu.Unlock()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
