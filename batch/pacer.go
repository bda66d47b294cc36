package batch

import (
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

// Pacer decides when each call of a run may be sent. It never blocks and
// never reads a clock: every method takes the time, so the dispatcher that
// owns it drives it with the run's one Clock (and tests with a fake one).
//
// A rate.Limiter with burst 1, driven through its time-parameter calls, sets
// the steady pace; on top of it a sliding window guarantees that no span of
// one second (plus a slack) holds more than the rate's calls, even when a
// late wake-up sends a call later than booked. That is what a server
// counting calls per second sees. The rate follows a Profile; Throttle
// halves it when the service says "slow down", and it climbs back by
// RecoveryPerSecond of the profile's rate each second.
//
// Next and Throttle are for the one goroutine that paces; Sent and Stats
// are safe from any.
type Pacer struct {
	limiter *rate.Limiter
	window  time.Duration
	profile Profile
	start   time.Time

	mu        sync.Mutex
	ring      []time.Time // send times of the last len(ring) calls; idx is the next slot
	idx       int
	ceiling   float64   // the profile's rate now
	current   float64   // the rate in force
	adjusted  time.Time // when current was last changed
	dropped   time.Time // when current was last lowered
	throttles int
	lowest    float64
}

// NewPacer returns a Pacer whose rate follows profile from start, with a
// window of one second plus slack.
func NewPacer(profile Profile, start time.Time, slack time.Duration) *Pacer {
	first := profile.Rate(0)
	p := &Pacer{
		limiter: rate.NewLimiter(rate.Limit(first), 1),
		window:  time.Second + slack, profile: profile, start: start,
		ceiling: first, current: first, lowest: first, adjusted: start,
	}
	if n := math.Floor(profile.Max()); n >= 1 && n <= maxWindowCalls {
		p.ring = make([]time.Time, int(n))
	}
	return p
}

// Next books the next call and returns when it may be sent (now, or
// later) and its slot in the window, for Sent.
func (p *Pacer) Next(now time.Time) (time.Time, int) {
	p.recover(now)
	at := now.Add(p.limiter.ReserveN(now, 1).DelayFrom(now))
	if len(p.ring) == 0 {
		return at, -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := min(max(int(p.current), 1), len(p.ring))
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

// Sent records when the call booked for at in slot was really sent: a
// call that goes out late counts in the window from then on, not from when
// it was booked. The worker making the call says so just before sending
// it; safe from any goroutine.
func (p *Pacer) Sent(slot int, at, sent time.Time) {
	if slot < 0 || !sent.After(at) {
		return
	}
	p.mu.Lock()
	if p.ring[slot].Equal(at) {
		p.ring[slot] = sent
	}
	p.mu.Unlock()
}

// Throttle halves the rate at now, unless it was lowered less than
// ThrottleCooldown before.
func (p *Pacer) Throttle(now time.Time) {
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
	if target := p.profile.Rate(now.Sub(p.start)); target != p.ceiling {
		if p.current >= p.ceiling || p.current > target {
			p.current = target
			p.limiter.SetLimitAt(now, rate.Limit(target))
		}
		p.ceiling = target
		p.adjusted = now
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
