package batch

import (
	"fmt"
	"math"
	"net/http"
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
	// another like the last, but not before minHold nor after maxHold (at
	// the probe slot that follows, probeSlot).
	// Time at the profile's own rate saves up for the probes of a lean time.
	probeBudget      = 0.003
	minHold, maxHold = 2 * time.Second, 6 * time.Second
	// firstGain is the first probe's step above the rate (25 %); each clean
	// window doubles it. A refusal tells the ceiling exactly, so a bold
	// step costs no more than a timid one.
	firstGain = 0.1
	// minPacedRate is the lowest rate self-throttling goes down to.
	minPacedRate = 1.0
)

// Safe sharing (ShareSafe).
const (
	// safeStart is the share of the ceiling a safe run starts at, and
	// safeRamp the share it adds each window until the first refusal, a
	// step that doubles every safeRampDoubling: alone on the app, the run
	// is at the ceiling in about 12 s; beside production, its first
	// refusal comes at a small step.
	safeStart, safeRamp = 0.3, 0.03
	safeRampDoubling    = 5 * time.Second
	// safeZ is the headroom left under the quota a refusal showed, in
	// standard deviations of the other traffic taken as Poisson.
	safeZ = 1.0
	// After a refusal of a call sent evenly, a safe run drops to that
	// headroom, at least safeDrop calls a second (after one of a call sent
	// late, see lateDrop), and adds safeClimb each window without one, the
	// step doubling every safeDoubling without one.
	safeDrop = 12.0
	// A refusal more than safeJump standard deviations under the rate is
	// a jump of the other traffic; its peak is kept safeMemory.
	safeJump   = 3.0
	safeMemory = 5 * time.Minute
	// Refused again within safeSustained with less left (by a standard
	// deviation of the other traffic): a jump too, for calls sent evenly.
	safeSustained = 3 * time.Second
	// doubtClear is how long a peak read from a late burst's refusal (see
	// lateDoubt) is kept without another refusal.
	doubtClear   = 20 * time.Second
	safeClimb    = 0.6
	safeDoubling = 30 * time.Second
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
// that estimate; the window stops the rest of the second at once. At the
// first probe slot (probeEvery) after minHold it probes upward: a tenth
// of the ceiling above the rate, then a step twice the last each window
// that passes without a refusal, so a ceiling that rose is found in a few
// seconds. A refusal tells the ceiling exactly, so a bold step costs no
// more than a timid one: the calls in flight when it is refused. Those
// refused to probes are paid from a budget of probeBudget of the calls
// booked: the next probe waits for a slot it can pay for, but never longer
// than the first slot after maxHold. A drop of the ceiling is not charged:
// it is not of the pacer's making.
//
// Next is for the one goroutine that paces; Throttle, Sent and Stats are
// safe from any.
type Pacer struct {
	limiter *rate.Limiter
	window  time.Duration
	profile Profile
	start   time.Time

	mu      sync.Mutex
	share   Share
	ring    []sendRecord // the last len(ring) calls; idx is the next slot
	idx     int
	ceiling float64 // the profile's rate now
	current float64 // the rate in force

	// Bookings in the current clock second: the next one is the n-th.
	second int64
	n      int

	// The quota's estimate and the probing above it.
	estimate float64 // calls a second the app has left; 0: never refused
	evidence booking // the refused booking the estimate comes from
	sliding  bool    // the limiter is not per clock second (learnKind)
	// The service's clock less ours lies in [offLo, offHi] (offKnown);
	// see ServiceClock.
	offLo, offHi time.Duration
	offKnown     bool
	dateText     string    // the last Date header read (ServiceDate)
	date         time.Time // and what it says
	altLeft      float64   // what the evidence read had the limiter not been per clock second
	lowered      int64     // the calls booked when a refusal last lowered the rate
	kindProbe    time.Time // when a kind probe may go (zero: none planned)
	kindEnd      time.Time // and the time before which it must go
	kindProbed   int       // kind probes made
	peakLeft     float64   // safe: what the other traffic's last peak left
	peakUntil    time.Time // safe: until when that peak is kept
	peakFrom     int64     // safe: the refused call (seq) the peak was read from
	peakDoubt    bool      // safe: the peak is a late burst's refusal, unconfirmed
	refusedAt    time.Time // when it was refused
	probedAt     time.Time // when the rate last stepped up
	gain         float64
	nextProbe    time.Time
	probing      bool  // the rate is above what the last refusal showed
	booked       int64 // calls booked
	spent        int64 // calls refused to probes
	probeCost    int64 // the calls the last refused probe cost
	pushed       bool  // refused since its last probe, not probing: others are

	throttles int
	lowest    float64

	// safe, under a window per clock second: the second being filled
	// late (backload), its calls booked and its share, and the fraction
	// of a call carried to the next.
	lateSecond        int64
	lateBooked, lateN int
	lateCarry         float64
	lateDoubt         bool      // a late call's refusal read too little left, kind unknown
	lateAt            time.Time // when the last call booked late goes
}

// booking is a call's place in the pacer: when it may go, its slot in the
// window, which of its clock second's calls it is (from 0), and which of
// the run's (seq, from 1).
type booking struct {
	at     time.Time
	slot   int
	second int64
	nth    int
	seq    int64
	late   bool // booked late in its second (lateSlot)
	kind   bool // a kind probe (planKindProbe): it goes into a refused second
}

// sendRecord is a call in the window: when it was (or will be) sent, which
// of the run's calls it is, and whether it was refused.
type sendRecord struct {
	at      time.Time
	seq     int64
	refused bool
}

// NewPacer returns a Pacer whose rate follows profile from start, with a
// window of one second plus slack.
func NewPacer(profile Profile, start time.Time, slack time.Duration) *Pacer {
	first := profile.Rate(0)
	p := &Pacer{share: ShareGreedy,
		limiter: rate.NewLimiter(rate.Limit(first), 1),
		window:  time.Second + slack, profile: profile, start: start,
		ceiling: first, current: first, lowest: first,
	}
	if n := math.Floor(profile.Max()); n >= 1 && n <= maxWindowCalls {
		// Twice the rate: the window needs the last rate's calls, the
		// evidence of a refusal the second before it.
		p.ring = make([]sendRecord, 2*int(n))
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
	p.mu.Lock()
	late := p.backloading()
	p.mu.Unlock()
	var res *rate.Reservation
	at := now
	if !late {
		res = p.limiter.ReserveN(now, 1)
		at = now.Add(res.DelayFrom(now))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := booking{slot: -1}
	kindProbe := p.takeKindProbe(now, &at)
	if late && !kindProbe {
		at, b.late = p.lateSlot(now), true
		p.lateAt = at
	}
	if len(p.ring) > 0 {
		if e := p.evidence; e.seq != 0 && p.ring[p.idx].seq == e.seq {
			// The refused call leaves the window: its second is answered.
			p.relearn()
		}
		n := min(max(int(p.current), 1), len(p.ring))
		// The call n before this one must be a window ago. Not a late
		// call's: lateSlot books at most the rate's calls in each clock
		// second, which is what a window per clock second counts, and its
		// calls go at the same places each second, as close together as
		// twice the ceiling's pace, closer than the window's slack (the
		// window pushed each a little later, and the second's last ones
		// past its end).
		// (Nor a call's more than a window after this one: the wall clock
		// stepped back since, and it would hold the run for the step.)
		if prev := p.ring[(p.idx-n+len(p.ring))%len(p.ring)].at; !prev.IsZero() && !kindProbe && !late {
			if earliest := prev.Add(p.window); earliest.After(at) && !prev.After(at.Add(p.window)) {
				if p.sliding && res != nil {
					// Under a limiter that is not per clock second, the
					// limiter's token goes with the call: else the next
					// call, a token after the booking, follows this one at
					// once (at 8.9 calls/s, pairs 0.5 ms apart, which a
					// token bucket of burst 1 refuses).
					res.CancelAt(now)
					p.limiter.ReserveN(earliest, 1)
				}
				at = earliest
			}
		}
		b.slot = p.idx
		p.ring[b.slot] = sendRecord{at: at, seq: p.booked + 1}
		p.idx = (p.idx + 1) % len(p.ring)
	}
	// Seconds are the service's, as far as the Date headers tell: a late
	// call's is the one lateSlot filled.
	sec := p.serviceSecond(at)
	if b.late {
		sec = p.lateSecond
	}
	if sec != p.second {
		p.second, p.n = sec, 0
	}
	p.booked++
	b.at, b.second, b.nth, b.seq, b.kind = at, p.second, p.n, p.booked, kindProbe
	p.n++
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
	if p.ring[slot].at.Equal(at) {
		p.ring[slot].at = sent
	}
	p.mu.Unlock()
}

// Throttle takes a "slow down" answer, at now, to the call booked as b.
// The evidence is what the app had left for this run: its calls accepted
// in the second before the refused one, which is exact for a sliding
// window and for a fixed window refused as often as ours are, and a
// ceiling's drop reads right by the second refusal. An answer about a call
// later in a second already counted says nothing new.
func (p *Pacer) Throttle(now time.Time, b booking) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.markRefused(b)
	if b.second == p.evidence.second && b.nth >= p.evidence.nth && p.estimate > 0 {
		if p.probing { // a call in flight when the probe's second ran out
			p.spent++
			p.probeCost++
		}
		return
	}
	p.relearn()
	// A probe refused costs the budget; a drop of the ceiling does not:
	// it is not of the pacer's making.
	p.probing = p.current > p.estimate && p.estimate > 0
	p.pushed = p.pushed || !p.probing
	if p.probing {
		p.spent++
		p.probeCost = 1
		p.probedAt = now // the longest hold counts from the probe's refusal
	}
	left, alt := p.readLeft(b)
	// Refused again within seconds, with less left by more than the other
	// traffic's standard deviation: it grew (not a random peak of it).
	sustained := p.estimate > 0 && now.Sub(p.refusedAt) < safeSustained &&
		left < p.estimate-math.Sqrt(max(p.ceiling-left, 1))
	p.estimate, p.evidence, p.refusedAt, p.altLeft = left, b, now, alt
	p.lowered = p.booked
	p.planKindProbe(b)
	target := left * (1 - QuotaMargin)
	if p.share == ShareSafe {
		// A late call (or one a window after a late burst, afterLate)
		// refused with less than half the rate left, the limiter's kind
		// not known: a burst a token bucket or a sliding window refused,
		// or production jumping? Calls go evenly, at half the rate, until
		// kind probes tell (there is no room for one after a late burst).
		// The reading is kept as production's peak only while refusals
		// confirm it: with none for doubtClear, sent evenly, it was the
		// burst (kept 5 minutes, it held a run alone on a token bucket of
		// burst 5 at 0.16 of its rate).
		doubt := p.afterLate(b) && !p.sliding && p.kindProbed < kindProbes && left < p.current/2
		jump := left < p.current-lateJump*math.Sqrt(max(p.ceiling-left, 1))
		// The other traffic's peaks are kept (remember), but late calls
		// refused again within seconds are Poisson traffic's peaks, not
		// a jump: kept, they held the rate a step under for minutes.
		p.remember(now, left, sustained && (doubt || !b.late))
		p.peakDoubt = doubt && now.Before(p.peakUntil)
		switch {
		case doubt:
			p.lateDoubt = true
			target = p.current / 2
		case b.late && !jump:
			// Just under what the late call's second had left.
			target = min(p.current-lateDrop, left)
		default:
			// Under what was left by the other traffic's peak, and a
			// step under the rate refused: the steps and the climb
			// between them hold the rate where refusals come about
			// rarely.
			target = max(min(p.headroom(left), p.current-safeDrop), p.current/2)
		}
	}
	p.set(now, min(max(target, minPacedRate), p.ceiling, p.current))
	p.throttles++
	p.gain, p.nextProbe = firstGain, p.probeSlot(now.Add(minHold))
	if p.share == ShareSafe {
		p.nextProbe = now.Add(p.window)
	}
}

// readLeft reads what the app had left from the refused call b: under a
// limiter per clock second, b's place in its second; else the calls
// accepted in the second before it, which is also alt, the reading to
// take should the limiter turn out not to be per clock second. The
// caller holds mu.
func (p *Pacer) readLeft(b booking) (left, alt float64) {
	alt = max(float64(p.acceptedBefore(b)), minPacedRate)
	if p.sliding {
		return alt, alt
	}
	left = float64(b.nth)
	if sec := p.secondStart(b.second); !b.late && p.start.After(sec) && b.at.After(p.start) {
		// The run began in this second: what was left for a second of it
		// is its calls over the part of the second it was sending in
		// (else a run that starts late in a second reads its first
		// refusal as a small share and keeps it).
		in := b.at.Sub(sec).Seconds()
		left *= in / max(b.at.Sub(p.start).Seconds(), 0.05*in)
	}
	return max(left, minPacedRate), alt
}

// relearn reads the last refusal's clock second, now answered (at the
// next refusal, or when the refused call leaves the window: refusals
// minutes apart never met in it), and once it shows a limiter that is
// not per clock second, takes back what the refusal was misread as: what
// was left is what the calls accepted in the second before it showed,
// and a peak of the other traffic read from it is no peak. (A token
// bucket refusing one call in minutes, read per clock second, halved a
// safe rate each time and kept each low reading as production's peak:
// 110 calls/s came down to 2 in 12 minutes, alone on the app.) The
// caller holds mu.
func (p *Pacer) relearn() {
	if p.sliding || !p.learnKind() {
		return
	}
	p.estimate = p.altLeft
	if p.peakFrom == p.evidence.seq {
		p.peakUntil = time.Time{}
	}
}

// learnKind reads the last refusal's clock second, now answered: a window
// per clock second refuses every call after the first it refuses until
// the second ends, so a call of that second accepted after it shows a
// limiter that counts otherwise (a sliding window, a token bucket), whose
// refusal says what was left in the second before it, not since the
// clock second began. It reports whether it learnt that.
func (p *Pacer) learnKind() bool {
	e := p.evidence
	if e.seq == 0 || len(p.ring) == 0 || e.seq <= p.booked-int64(len(p.ring)) {
		return false
	}
	// Only calls well after the refused one and well inside the second
	// count: calls a few milliseconds apart may reach the service out of
	// order, and one sent just before the second ends in the next second.
	from, end := p.sentAt(e).Add(kindMargin), p.secondEnd(p.sentAt(e)).Add(-kindMargin)
	for _, r := range p.ring {
		// A kind probe goes at from or later: it counts.
		if r.seq > e.seq && !r.at.Before(from) && r.at.Before(end) && !r.refused {
			p.sliding = true
			return true
		}
	}
	return false
}

// Sending late: a safe run sends each second's calls together at its end,
// at up to lateSpeedup times the ceiling's pace (latePace), so that the other
// traffic's calls of the second are counted before its own. When a window
// per clock second runs out, what it refuses after it is full is then
// mostly the run's own calls (retried), not production's: production loses
// only its calls of the second's last moments, so a refusal costs it
// little, and the run holds close to what production leaves: a late call
// refused tells exactly what its second had left, and the run drops
// lateDrop calls a second under it (to the headroom of safeZ only for a
// refusal more than lateJump standard deviations under the rate: a jump).
// On simulated time, production at 100/s under 200 then loses 0.055 % of
// its calls over 90 s while the run takes 0.82 of what it leaves (0.121 %
// and 0.755 sent evenly until a first refusal, then late at twice the
// ceiling's pace).
//
// It needs the service's seconds on the run's clock: the Date headers of
// the answers bound the service's clock less the run's (ServiceClock), and
// the calls end lateTail before the service's second does at the latest.
// The calls go evenly while that is not known to within lateMaxSpread (a
// long round trip), or the service's clock is more than lateMaxAhead ahead
// or lateMaxBehind behind (half a second: each call counted in the
// service's seconds, serviceSecond), or near the ceiling (within lateMargin of it),
// or once a kind probe shows the limiter is not per clock second (a burst
// does a sliding window no good and drains a token bucket), and while a
// late call refused with less than half the rate left awaits kind probes:
// a token bucket of a small burst refuses a burst at once, and there is no
// room for a kind probe after a burst at a second's end.
const (
	lateJump      = 3.0
	lateDrop      = 5.0
	lateSpeedup   = 12.0
	lateMaxPace   = 4000.0
	lateTail      = 5 * time.Millisecond
	lateMargin    = 0.05
	lateMaxSpread = 50 * time.Millisecond
	lateMaxAhead  = 500 * time.Millisecond
	lateMaxBehind = 500 * time.Millisecond
)

// ServiceClock takes the Date header of the answer, at at, to the call
// booked as b: the service's clock to the second when it handled the call,
// somewhere between the call's sending and at. Over many calls near the
// turn of a second it bounds the service's clock less ours to a span about
// a round trip wide, which says where the service's seconds end on ours.
// A bound that contradicts the others (a clock stepped) starts afresh.
// Safe from any goroutine.
func (p *Pacer) ServiceClock(b booking, at, date time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serviceClock(b, at, date)
}

// ServiceDate is ServiceClock of an answer's Date header as sent
// (http.TimeFormat): parsed once for the answers of a second that all
// carry the same text; an unreadable one says nothing. Safe from any
// goroutine.
func (p *Pacer) ServiceDate(b booking, at time.Time, header string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if header != p.dateText {
		date, err := http.ParseTime(header)
		if err != nil {
			return
		}
		p.dateText, p.date = header, date
	}
	p.serviceClock(b, at, p.date)
}

// serviceClock is ServiceClock's; the caller holds mu.
func (p *Pacer) serviceClock(b booking, at, date time.Time) {
	lo, hi := date.Sub(at), date.Add(time.Second).Sub(p.sentAt(b))
	if !p.offKnown || max(lo, p.offLo) > min(hi, p.offHi) {
		p.offLo, p.offHi, p.offKnown = lo, hi, true
		return
	}
	p.offLo, p.offHi = max(p.offLo, lo), min(p.offHi, hi)
}

// backloading reports whether the next call goes late in its second; the
// caller holds mu.
func (p *Pacer) backloading() bool {
	return p.share == ShareSafe && !p.sliding && len(p.ring) > 0 &&
		(!p.lateDoubt || p.kindProbed >= kindProbes) &&
		p.offKnown && p.offHi-p.offLo <= lateMaxSpread && p.offLo > -lateMaxBehind && p.offHi < lateMaxAhead &&
		p.current < p.ceiling-max(1, lateMargin*p.ceiling)
}

// afterLate reports whether b was booked late, or sent within a window of
// a call booked late: a call sent evenly the second after a late burst
// (the rate rising past lateMargin), refused by a sliding window still
// holding that burst, reads as little left as a late one. The caller
// holds mu.
func (p *Pacer) afterLate(b booking) bool {
	return b.late || !p.lateAt.IsZero() && p.sentAt(b).Sub(p.lateAt) < p.window
}

// lateSlot books the next place late in a clock second at or after now,
// skipping the rest of a second a refusal showed full; the caller holds
// mu.
func (p *Pacer) lateSlot(now time.Time) time.Time {
	for {
		if sec := p.serviceSecond(now); sec > p.lateSecond {
			p.openLate(sec)
		}
		full := p.estimate > 0 && p.evidence.second == p.lateSecond
		if p.lateBooked >= p.lateN || full {
			p.openLate(p.lateSecond + 1)
			continue
		}
		end := time.Second - lateTail - p.offHi
		span := time.Duration(min(p.current/latePace(p.ceiling), 1) * float64(end))
		k := p.lateBooked
		p.lateBooked++
		t := time.Unix(p.lateSecond, 0).Add(end - span + span*time.Duration(2*k+1)/time.Duration(2*p.lateN))
		if k == p.lateN-1 && k > 0 {
			// The second's last call goes where the service's second
			// turns, as far as its clock is known: its answer's Date
			// halves what is not known of it (the others alone, all
			// sent before the turn, would never narrow it).
			t = time.Unix(p.lateSecond+1, 0).Add(-(p.offLo + p.offHi) / 2)
		}
		if !t.Before(now) {
			return t
		}
		// A place the dispatcher woke too late for goes now, while the
		// second's calls may still go (a run that starts mid-burst, or a
		// busy machine, loses none); after, it is passed by.
		if now.Before(time.Unix(p.lateSecond, 0).Add(end)) {
			return now
		}
	}
}

// latePace is how fast a second's late calls go, calls a second: lateSpeedup
// times the ceiling's pace, but at most lateMaxPace (a burst faster than
// the dispatcher hands calls out on time loses its last places; at 200 a
// second, a burst goes at 2400) and at least twice the ceiling's.
func latePace(ceiling float64) float64 {
	return max(min(lateSpeedup*ceiling, lateMaxPace), 2*ceiling)
}

// openLate starts filling second sec: its share is the rate's calls, with
// the fraction carried from the second before; the caller holds mu.
func (p *Pacer) openLate(sec int64) {
	if sec != p.lateSecond+1 {
		p.lateCarry = 0
	}
	n := math.Floor(p.current + p.lateCarry)
	p.lateSecond, p.lateBooked, p.lateN, p.lateCarry = sec, 0, int(n), p.current+p.lateCarry-n
}

// kindProbes is how many refusals are followed by a kind probe: one call
// let through kindMargin after the refused one, in the same clock second,
// which a window per clock second refuses and any other limiter takes once
// older calls leave it. Three refused say the window is per clock second.
const kindProbes = 3

// planKindProbe lets one call through kindMargin after b's, if the kind is
// not known yet and b's second has room for it; the caller holds mu.
func (p *Pacer) planKindProbe(b booking) {
	if p.sliding || p.kindProbed >= kindProbes {
		return
	}
	// Well after the refused call (kindWait): the run sends nothing else
	// in its second, so a sliding window or a bucket full when the call
	// was refused has room by then (20 ms after a refusal at 200 calls/s,
	// with production's calls coming in, it often had not, and three
	// probes refused read a sliding window as one per clock second).
	end := p.secondEnd(p.sentAt(b)).Add(-kindMargin)
	t := end.Add(-kindLead)
	if by := p.sentAt(b).Add(kindWait); by.Before(t) {
		t = by
	}
	if soonest := p.sentAt(b).Add(kindMargin); t.Before(soonest) {
		t = soonest
	}
	if t.Before(end) {
		p.kindProbe, p.kindEnd = t, end
	}
}

// takeKindProbe books the planned kind probe: at the planned time (or now,
// if later), ahead of the limiter and the window, if its second still has
// room for it; the caller holds mu.
func (p *Pacer) takeKindProbe(now time.Time, at *time.Time) bool {
	if p.kindProbe.IsZero() {
		return false
	}
	t := p.kindProbe
	p.kindProbe = time.Time{}
	if now.After(t) {
		t = now
	}
	if !t.Before(p.kindEnd) {
		return false // its second has no room left for it
	}
	p.kindProbed++
	*at = t
	return true
}

// secondEnd is when, on the run's clock, the service's clock second of a
// call sent at t ends at the earliest, as far as the Date headers tell
// (ServiceClock); the run's own clock second's end while they tell
// nothing. The caller holds mu.
func (p *Pacer) secondEnd(t time.Time) time.Time {
	if !p.offKnown {
		return time.Unix(t.Unix()+1, 0)
	}
	return time.Unix(t.Add(p.offLo).Unix()+1, 0).Add(-p.offHi)
}

// serviceSecond is the service's clock second at t on the run's clock, as
// far as the Date headers tell it to within lateMaxSpread (the middle of
// their bounds); the run's own while they do not. A call's place in its
// second is counted in the service's seconds: counted in the run's, a
// refusal 300 ms off read what was left a third low. The caller holds mu.
func (p *Pacer) serviceSecond(t time.Time) int64 {
	return t.Add(p.serviceOffset()).Unix()
}

// secondStart is when the service's clock second sec starts on the run's
// clock, as serviceSecond reads it; the caller holds mu.
func (p *Pacer) secondStart(sec int64) time.Time {
	return time.Unix(sec, 0).Add(-p.serviceOffset())
}

// serviceOffset is the service's clock less the run's for serviceSecond:
// zero while the Date headers do not tell it to within lateMaxSpread (the
// first answer bounds it to a second), and for a safe run whose calls go
// evenly because the service's clock is too far off to send late: read in
// its own seconds, a refusal reads less left by the offset's share, which
// keeps production's loss within its goal (production at 100 calls/s
// under a fixed window of 200, the service's clock 700 ms off: 0.045 %,
// against 0.21 % read in the service's seconds, on simulated time). The
// caller holds mu.
func (p *Pacer) serviceOffset() time.Duration {
	if !p.offKnown || p.offHi-p.offLo > lateMaxSpread ||
		p.share == ShareSafe && (p.offLo <= -lateMaxBehind || p.offHi >= lateMaxAhead) {
		return 0
	}
	return (p.offLo + p.offHi) / 2
}

// kindMargin is how far before its second's end a call must have been
// sent for its acceptance after a refusal to show a limiter that is not
// per clock second.
const kindMargin = 20 * time.Millisecond

// A kind probe goes kindWait after the refused call, or kindLead before
// the last moment it may count, whichever comes first (but kindMargin
// after the refused call at the soonest): by then a sliding window full
// at the refusal has room again (at 200 calls/s, one of the run's calls
// leaves it every 5 ms and the run sends none), and a probe that the
// machine sends late still reaches the service in the refused second (a
// probe 30 ms before the second's end, sent late on a busy machine, was
// taken in the next one, and a run read a window per clock second as a
// sliding one: it then sent the rest of each refused second, and 5 % of
// its calls were refused).
const (
	kindWait = 300 * time.Millisecond
	kindLead = 30 * time.Millisecond
)

// Withdraw takes back b, the last call booked, if a refusal lowered the
// rate after it was booked and it falls in the refused call's clock
// second: under a window per clock second it would be refused too. The
// dispatcher then books again (at the lowered rate, in a later second)
// instead of sending it; false when b stands.
func (p *Pacer) Withdraw(b booking) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sliding || b.kind || b.seq != p.booked || b.seq > p.lowered || b.second != p.evidence.second {
		return false
	}
	p.booked--
	if b.second == p.second && p.n > 0 {
		p.n--
	}
	if r := p.record(b); r != nil {
		*r = sendRecord{}
		p.idx = b.slot
	}
	return true
}

// markRefused marks b's call refused in the window, if it is still there.
func (p *Pacer) markRefused(b booking) {
	if r := p.record(b); r != nil {
		r.refused = true
	}
}

// record is b's call in the window, nil once a later call took its slot.
func (p *Pacer) record(b booking) *sendRecord {
	if b.slot < 0 || b.slot >= len(p.ring) || p.ring[b.slot].seq != b.seq {
		return nil
	}
	return &p.ring[b.slot]
}

// sentAt is when b's call was really sent, as far as the window knows.
func (p *Pacer) sentAt(b booking) time.Time {
	if r := p.record(b); r != nil {
		return r.at
	}
	return b.at
}

// acceptedBefore counts the calls sent in the second before b's that were
// not refused (as far as the answers tell yet); without a window, b's
// place in its clock second.
func (p *Pacer) acceptedBefore(b booking) int {
	if len(p.ring) == 0 || b.slot < 0 {
		return b.nth
	}
	at := p.sentAt(b)
	n := 0
	for _, r := range p.ring {
		if !r.refused && r.seq != 0 && r.seq < b.seq && at.Sub(r.at) < time.Second {
			n++
		}
	}
	return n
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
		case p.estimate == 0 && p.share == ShareGreedy || target < p.current:
			p.set(now, target)
		case p.current >= p.ceiling && p.share == ShareGreedy:
			// At the profile's rate, under the estimate: keep climbing.
			p.nextProbe = now
		}
		p.ceiling = target
	}
	if p.share == ShareGreedy && (p.nextProbe.Sub(now) > maxHold+probeEvery || p.probedAt.Sub(now) > p.window) {
		// The wall clock stepped back (an NTP step) past a probe slot,
		// read off it (probeSlot): the probe waits no longer than it
		// could have.
		p.nextProbe, p.probedAt = p.probeSlot(now), now
	}
	if p.current >= p.ceiling || now.Before(p.nextProbe) {
		return
	}
	if p.share == ShareSafe {
		p.climb(now)
		return
	}
	// The longest hold counts from the run's own last probe: a run refused
	// by its neighbours' probes still probes in its turn.
	climbing := p.gain > firstGain
	allowed := probeBudget * float64(p.booked)
	if affordable := float64(p.spent+max(p.probeCost, 1)) <= allowed; !climbing && !affordable && now.Before(p.probedAt.Add(maxHold)) {
		p.nextProbe = p.probeSlot(now.Add(time.Nanosecond))
		return
	}
	// A run that could not afford the slots since its last probe steps up
	// by theirs too: every run's rate rises as fast between refusals, so
	// that the refusals, cutting each in proportion, even them out.
	step := p.gain * p.ceiling
	if !climbing && p.pushed && !p.probedAt.IsZero() {
		step *= min(max(float64((now.Sub(p.probedAt)+probeEvery/2)/probeEvery), 1), maxProbeSlots)
	}
	p.probedAt, p.pushed = now, false
	// A second (and a window) has passed at this rate with no refusal:
	// what is left is at least this, so step above it, by a share of the
	// ceiling, the same for every run on the app, so that runs sharing it
	// converge to a fair split (a step in proportion to the rate would
	// keep whoever came first ahead).
	p.estimate = max(p.estimate, p.current)
	p.set(now, min(p.ceiling, p.current+max(step, 1)))
	p.gain = min(2*p.gain, 1)
	p.nextProbe = now.Add(p.window)
}

// Greedy runs probe upward only at the start of the service's seconds
// that are multiples of probeEvery (as far as the Date headers tell them;
// runs on one app see the same clock), so that runs sharing the app probe
// together: refused together, each cuts its rate in proportion, and each
// adds the same step, which evens their shares out within a few probes. A
// run whose budget skipped a slot and that was refused meanwhile by the
// others' probes (pushed) steps up by the slots it missed, up to
// maxProbeSlots, so that every run's rate rises as fast. Probing each at
// its own moment, the older run (whose budget of refused probes is the
// larger) probed more often and kept 62 % of two runs' calls.
const (
	probeEvery    = 2 * time.Second
	maxProbeSlots = 2
)

// probeSlot is the first probe slot at or after t; the caller holds mu.
func (p *Pacer) probeSlot(t time.Time) time.Time {
	var off time.Duration
	if p.offKnown {
		off = (p.offLo + p.offHi) / 2
	}
	// In whole seconds, not UnixNano: that overflows outside 1678-2262 (a
	// fake clock at time zero put the first slot in 1754: never).
	u := t.Add(off)
	every, sec := int64(probeEvery/time.Second), u.Unix()
	if u.Nanosecond() > 0 {
		sec++
	}
	return time.Unix(sec+(every-sec%every)%every, 0).Add(-off)
}

// climb raises a safe pacer's rate by a step a window: before any refusal
// from safeStart of the ceiling by safeRamp of it (doubling every
// safeRampDoubling), after one by safeClimb calls a second, doubling every
// safeDoubling without a refusal, so that a quota production no longer
// uses is taken back within minutes.
func (p *Pacer) climb(now time.Time) {
	// Before any refusal the step doubles every safeRampDoubling: alone
	// on the app, the run is at the ceiling within about 12 s; beside
	// production, its first refusal comes gently.
	step := safeRamp * p.ceiling
	if p.estimate == 0 {
		step *= math.Pow(2, float64(now.Sub(p.start)/safeRampDoubling))
	} else {
		clean := now.Sub(p.refusedAt)
		step = min(step, safeClimb*math.Pow(2, float64(clean/safeDoubling)))
	}
	if p.peakDoubt && now.Sub(p.refusedAt) > doubtClear {
		p.peakUntil, p.peakDoubt = time.Time{}, false
	}
	r := min(p.ceiling, p.current+step)
	if now.Before(p.peakUntil) {
		// Two standard deviations under a peak that comes back.
		r = min(r, max(p.peakLeft-2*safeZ*math.Sqrt(max(p.ceiling-p.peakLeft, 0)), p.current))
	}
	p.set(now, r)
	p.nextProbe = now.Add(p.window)
}

// headroom is the safe rate under left: one standard deviation of the
// other traffic (Poisson: the root of its calls a second) below it.
func (p *Pacer) headroom(left float64) float64 {
	return left - safeZ*math.Sqrt(max(p.ceiling-left, 0))
}

// remember keeps the other traffic's peaks: a refusal far under the rate
// or one after another (a jump of production, not a random peak of it), or one that finds as
// little left as the peak remembered holds the rate under that peak's
// headroom for safeMemory, so that a peak that comes back daily, hourly
// or every minute finds its room kept. The caller holds mu.
func (p *Pacer) remember(now time.Time, left float64, sustained bool) {
	jump := sustained || p.current-left > safeJump*math.Sqrt(max(p.ceiling-left, 1))
	again := now.Before(p.peakUntil) && left <= p.peakLeft+math.Sqrt(max(p.ceiling-p.peakLeft, 1))
	if !jump && !again {
		return
	}
	if !now.Before(p.peakUntil) || left < p.peakLeft {
		p.peakLeft, p.peakFrom = left, p.evidence.seq
	}
	p.peakUntil = now.Add(safeMemory)
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

// Share is how a run shares the app's quota with the app's other traffic.
type Share int

const (
	// ShareSafe protects the other traffic: once refusals show the quota
	// is shared, the pacer holds a headroom under what is left, sized to
	// the other traffic's random peaks, and probes rarely and gently.
	ShareSafe Share = iota
	// ShareGreedy takes all it can of what is left.
	ShareGreedy
)

func (s Share) String() string {
	if s == ShareGreedy {
		return "greedy"
	}
	return "safe"
}

// ParseShare reads a Share's name: "safe" or "greedy".
func ParseShare(s string) (Share, error) {
	switch s {
	case "safe":
		return ShareSafe, nil
	case "greedy":
		return ShareGreedy, nil
	}
	return ShareSafe, fmt.Errorf("batch: share %q: want safe or greedy", s)
}

// SetShare sets how the pacer shares the quota (a new Pacer is greedy),
// before its first call: a safe one starts at safeStart of the rate.
func (p *Pacer) SetShare(s Share) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.share = s
	if s == ShareSafe && p.estimate == 0 {
		// Never above the rate itself: a rate under the floor of
		// minPacedRate (--rate 0.5) is the most the run may send.
		p.set(p.start, min(max(min(p.current, safeStart*p.ceiling), minPacedRate), p.ceiling))
		p.nextProbe = p.start.Add(p.window)
	}
}
