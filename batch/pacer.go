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
	// QuotaMargin is how far under the estimated available rate the pacer
	// holds, for the other traffic's wobble.
	QuotaMargin = 0.005
	// probeBudget is the share of the calls booked that refused probes may
	// cost: a probe that finds the ceiling costs the calls in flight when
	// it is refused, so the pacer probes again once the budget pays for
	// another like the last, but not before minHold nor after maxHold.
	// Time at the profile's own rate saves up for the probes of a lean time.
	probeBudget      = 0.003
	minHold, maxHold = 2 * time.Second, 5 * time.Second
	// firstGain is the first probe's step above the rate (25 %); each clean
	// window doubles it. A refusal tells the ceiling exactly, so a bold
	// step costs no more than a timid one.
	firstGain = 0.25
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
// counting calls per second sees.
//
// The rate follows a Profile, under the quota the app has left. The
// service's ceiling belongs to the app, and other traffic on the same app
// uses it too, so what is left changes through the day. The pacer learns it
// from the "slow down" answers: the service counts calls in clock seconds,
// so a call refused as the k-th of ours in its second says that k calls
// were what that second had left. The pacer then holds QuotaMargin under
// that estimate; the window stops the rest of the second at once. After
// minHold it probes upward: 25 % above the rate, then a step twice the last
// each window that passes without a refusal (50 %, then doubling), so a
// ceiling that rose is found in a few seconds. A refusal tells the ceiling
// exactly, so a bold step costs no more than a timid one: the calls in
// flight when it is refused. Those refused to probes are paid from a budget
// of probeBudget of the calls booked: the next probe waits until it can be
// paid for, but never longer than maxHold. A drop of the ceiling is not
// charged: it is not of the pacer's making.
//
// Next is for the one goroutine that paces; Throttle, Sent and Stats are
// safe from any.
type Pacer struct {
	limiter *rate.Limiter
	window  time.Duration
	profile Profile
	start   time.Time

	mu      sync.Mutex
	ring    []time.Time // send times of the last len(ring) calls; idx is the next slot
	idx     int
	ceiling float64 // the profile's rate now
	current float64 // the rate in force

	// Bookings in the current clock second: the next one is the n-th.
	second int64
	n      int

	// The quota's estimate and the probing above it.
	estimate  float64   // calls a second the app has left; 0: never refused
	evidence  booking   // the refused booking the estimate comes from
	refusedAt time.Time // when it was refused
	gain      float64
	nextProbe time.Time
	probing   bool  // the rate is above what the last refusal showed
	booked    int64 // calls booked
	spent     int64 // calls refused to probes
	probeCost int64 // the calls the last refused probe cost

	throttles int
	lowest    float64
}

// booking is a call's place in the pacer: when it may go, its slot in the
// window, and which of its clock second's calls it is (from 0).
type booking struct {
	at     time.Time
	slot   int
	second int64
	nth    int
}

// NewPacer returns a Pacer whose rate follows profile from start, with a
// window of one second plus slack.
func NewPacer(profile Profile, start time.Time, slack time.Duration) *Pacer {
	first := profile.Rate(0)
	p := &Pacer{
		limiter: rate.NewLimiter(rate.Limit(first), 1),
		window:  time.Second + slack, profile: profile, start: start,
		ceiling: first, current: first, lowest: first,
	}
	if n := math.Floor(profile.Max()); n >= 1 && n <= maxWindowCalls {
		p.ring = make([]time.Time, int(n))
	}
	return p
}

// Next books the next call and returns when it may be sent (now, or
// later) and its slot in the window, for Sent.
func (p *Pacer) Next(now time.Time) (time.Time, int) {
	b := p.book(now)
	return b.at, b.slot
}

func (p *Pacer) book(now time.Time) booking {
	p.follow(now)
	at := now.Add(p.limiter.ReserveN(now, 1).DelayFrom(now))
	p.mu.Lock()
	defer p.mu.Unlock()
	b := booking{slot: -1}
	if len(p.ring) > 0 {
		n := min(max(int(p.current), 1), len(p.ring))
		// The call n before this one must be a window ago.
		if prev := p.ring[(p.idx-n+len(p.ring))%len(p.ring)]; !prev.IsZero() {
			if earliest := prev.Add(p.window); earliest.After(at) {
				at = earliest
			}
		}
		b.slot = p.idx
		p.ring[b.slot] = at
		p.idx = (p.idx + 1) % len(p.ring)
	}
	if sec := at.Unix(); sec != p.second {
		p.second, p.n = sec, 0
	}
	b.at, b.second, b.nth = at, p.second, p.n
	p.n++
	p.booked++
	return b
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

// Throttle takes a "slow down" answer, at now, to the call booked as b: its
// second had b.nth calls of ours left, and the rate drops under that. An
// answer about a call later in a second already counted says nothing new.
func (p *Pacer) Throttle(now time.Time, b booking) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b.second == p.evidence.second && b.nth >= p.evidence.nth && p.estimate > 0 {
		if p.probing { // a call in flight when the probe's second ran out
			p.spent++
			p.probeCost++
		}
		return
	}
	// A probe refused costs the budget; a drop of the ceiling does not:
	// it is not of the pacer's making.
	p.probing = p.current > p.estimate && p.estimate > 0
	if p.probing {
		p.spent++
		p.probeCost = 1
	}
	p.estimate, p.evidence, p.refusedAt = max(float64(b.nth), minPacedRate), b, now
	p.set(now, min(max(p.estimate*(1-QuotaMargin), minPacedRate), p.ceiling))
	p.throttles++
	p.gain, p.nextProbe = firstGain, now.Add(minHold)
}

// set puts the rate r in force at now; the caller holds mu.
func (p *Pacer) set(now time.Time, r float64) {
	p.current = r
	p.lowest = min(p.lowest, r)
	p.limiter.SetLimitAt(now, rate.Limit(r))
}

// follow moves the ceiling along the profile and, under a learned
// estimate, probes upward when the hold is over.
func (p *Pacer) follow(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if target := p.profile.Rate(now.Sub(p.start)); target != p.ceiling {
		switch {
		case p.estimate == 0 || target < p.current:
			p.set(now, target)
		case p.current >= p.ceiling:
			// At the profile's rate, under the estimate: keep climbing.
			p.nextProbe = now
		}
		p.ceiling = target
	}
	if p.current >= p.ceiling || now.Before(p.nextProbe) {
		return
	}
	climbing := p.gain > firstGain
	if affordable := float64(p.spent+max(p.probeCost, 1)) <= probeBudget*float64(p.booked); !climbing && !affordable && now.Before(p.refusedAt.Add(maxHold)) {
		return
	}
	// A second (and a window) has passed at this rate with no refusal:
	// what is left is at least this, so step above it.
	p.estimate = max(p.estimate, p.current)
	p.set(now, min(p.ceiling, max(p.current*(1+p.gain), p.current+1)))
	p.gain = min(2*p.gain, 1)
	p.nextProbe = now.Add(p.window)
}

// PacerStats describes the pacer's self-throttling.
type PacerStats struct {
	// Rate is the current rate, Lowest the lowest it went.
	Rate, Lowest float64
	// Throttles counts the times a refusal lowered the rate.
	Throttles int
	// Estimate is the quota the app has left, calls a second, as the last
	// refusal and the probes since showed it; zero before any refusal.
	Estimate float64
}

// Stats returns the current rate and how often it was lowered.
func (p *Pacer) Stats() PacerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PacerStats{Rate: p.current, Lowest: p.lowest, Throttles: p.throttles, Estimate: p.estimate}
}
