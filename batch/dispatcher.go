package batch

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
)

// breakerFailures is how many calls in a row must fail to reach the service
// before the breaker may open.
const breakerFailures = 3

// ticket lets a worker send one attempt, a first try or a retry alike.
type ticket struct {
	// intended is when the open model wanted the call sent: latency is also
	// measured from it, so a call that waited for a free worker counts its
	// wait (coordinated omission).
	intended time.Time
	// probe marks the run's first call: no other ticket is handed out
	// until its answer is in, so a wrong key costs one call.
	probe bool
	// booking is the pacer's, for Pacer.Sent and Pacer.Throttle.
	booking
}

// handoffLead is how early a ticket goes to a worker before its time.
const handoffLead = 2 * time.Millisecond

// dispatcher is the only goroutine that paces. It hands out tickets at the
// pacer's times, holds them back while the probe call is out, and applies
// the throttle answers the workers report: only the dispatcher touches the
// pacer. Each attempt is reported to it twice, by the worker that makes
// it: sent, then answered (or unused, when the run stopped first); it
// passes both to the meter.
//
// It is also the run's circuit breaker. The probe is retried, with backoff,
// while the service cannot be reached at all; after ProbeRetries the run
// stops with an *UnreachableError. Once the run has started, when calls keep
// failing at the transport level and nothing has been answered for
// BreakerAfter, dispatch pauses and single probe calls test the service,
// with backoff, until one is answered (dispatch resumes) or nothing has
// been answered for OutageBudget (the run stops with an *OutageError).
type dispatcher struct {
	clock Clock
	pacer *Pacer
	meter *Meter
	start time.Time
	sched schedule
	cfg   Config
	stop  context.CancelCauseFunc

	tickets chan ticket // unbuffered: a ticket goes when a worker takes it
	probed  chan probeOutcome
	// pending counts tickets handed out but not yet sent; sentOne wakes the
	// dispatcher when one is.
	pending atomic.Int64
	sentOne chan struct{}

	// Health, reported by the workers: when the service last answered (Unix
	// nanoseconds on the run's clock; 0 before the first answer) and the
	// calls that failed to reach it since.
	lastAnswer     atomic.Int64
	failsSince     atomic.Int64
	outages        atomic.Int64
	outageDuration atomic.Int64 // nanoseconds spent paused
}

// probeOutcome is what the probe call met.
type probeOutcome struct {
	answered    bool
	unreachable string // why it got no answer at all, if so
}

func newDispatcher(clock Clock, pacer *Pacer, meter *Meter, cfg Config, start time.Time, stop context.CancelCauseFunc) *dispatcher {
	return &dispatcher{
		clock: clock, pacer: pacer, meter: meter, start: start, cfg: cfg, stop: stop,
		sched:   schedule{profile: cfg.Profile, slack: DefaultWindowSlack},
		tickets: make(chan ticket),
		probed:  make(chan probeOutcome, 1),
		sentOne: make(chan struct{}, 1),
	}
}

// circuit is the dispatcher's probing state: while probing, one ticket at
// a time goes out and waits for its answer.
type circuit struct {
	probing    bool
	probeFails int
	pausedAt   time.Time // when dispatch paused for an outage; zero when not
}

// run hands out tickets until ctx is done, then closes the tickets
// channel: the workers waiting for one then stop.
func (d *dispatcher) run(ctx context.Context) {
	defer close(d.tickets)
	c := circuit{probing: true}
	// A pause that no answer ended (an interrupt, the outage budget) lasted
	// until the run stopped: it counts to now.
	defer func() {
		if !c.pausedAt.IsZero() {
			d.outageDuration.Add(int64(d.clock.Now().Sub(c.pausedAt)))
		}
	}()
	for ctx.Err() == nil {
		now := d.clock.Now()
		if !c.probing && d.broken(now) {
			c = circuit{probing: true, pausedAt: now} // the circuit opens
			d.outages.Add(1)
		}
		if !d.handOut(ctx, now, c.probing) {
			return
		}
		if c.probing && !d.awaitProbe(ctx, &c) {
			return
		}
	}
}

// handOut books the next ticket at the pacer and hands it to a worker at
// its time; false when ctx ended first.
func (d *dispatcher) handOut(ctx context.Context, now time.Time, probe bool) bool {
	b := d.pacer.book(now)
	held := b.at.After(now)
	if held {
		// The tickets out must be sent before the clock moves on to this
		// one: their send times belong in the window, and on a fake clock
		// a sleep past them would make them late.
		if !d.awaitSent(ctx) {
			return false
		}
		// The ticket goes out a little early; the worker waits out the
		// rest itself, so that the hand-off's delay does not make each
		// send late (the window would count that lateness against the
		// next second's calls).
		if d.clock.SleepUntil(ctx, b.at.Add(-handoffLead)) != nil {
			return false
		}
		if !probe && d.pacer.Withdraw(b) {
			return true // a "slow down" for its second came while it waited
		}
	}
	t := ticket{intended: d.start.Add(d.sched.book(b.at.Sub(d.start), held)), probe: probe, booking: b}
	d.pending.Add(1)
	select {
	case d.tickets <- t:
		return true
	case <-ctx.Done():
		return false
	}
}

// awaitProbe waits for the probe's answer: an answer closes the circuit;
// no answer at all is tried again after a backoff, until the budget is
// spent (the run stops). false when the run is to stop.
func (d *dispatcher) awaitProbe(ctx context.Context, c *circuit) bool {
	var o probeOutcome
	select {
	case o = <-d.probed:
	case <-ctx.Done():
		return false
	}
	switch {
	case o.answered:
		c.probing = false
		if !c.pausedAt.IsZero() {
			d.outageDuration.Add(int64(d.clock.Now().Sub(c.pausedAt)))
			c.pausedAt = time.Time{}
		}
		// The calls held back while the probe was out were not offered
		// late.
		d.sched.next = max(d.sched.next, d.clock.Now().Sub(d.start))
		return true
	case o.unreachable == "":
		return true // an answer that was no answer (a 502, say): probe again
	}
	c.probeFails++
	if err := d.giveUp(o.unreachable, c.probeFails); err != nil {
		d.stop(err)
		return false
	}
	wait := backoff(c.probeFails, d.cfg.ProbeBackoff, DefaultBreakerMaxWait, func(n time.Duration) time.Duration { return n - 1 })
	return d.clock.Sleep(ctx, wait) == nil
}

// awaitSent waits until every ticket handed out was sent; false when ctx
// ended first.
func (d *dispatcher) awaitSent(ctx context.Context) bool {
	for d.pending.Load() > 0 {
		select {
		case <-d.sentOne:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// sent records that the worker holding ticket t sent attempt number
// attempt at now. Safe from any goroutine, as every method below is.
func (d *dispatcher) sent(t ticket, attempt int, now time.Time) {
	d.pacer.Sent(t.slot, t.at, now)
	d.meter.sent(attempt, t.intended, now)
	d.unused()
}

// answered records the answer res to the call of ticket t, at at: the
// meter counts it, the breaker learns whether the service answered, a
// "slow down" slows the pacer (the one way self-throttling reaches it),
// and the probe's answer lets the next tickets go. aborted is set when
// Abort stopped the call.
func (d *dispatcher) answered(t ticket, res Result, at time.Time, aborted bool) {
	d.meter.answered(res, t.intended, at, aborted)
	if !aborted {
		d.observe(res, at)
	}
	if res.Date != "" {
		// Safe or greedy: the service's seconds place a safe run's late
		// calls, every run's kind probes and greedy probe slots, and count
		// each call's place in its second.
		d.pacer.ServiceDate(t.booking, at, res.Date)
	}
	if res.Throttle {
		d.pacer.Throttle(d.clock.Now(), t.booking)
	}
	if t.probe {
		d.probeDone(probeOutcome{answered: res.Err == nil && res.Class != chatapi.ClassRenew, unreachable: res.Unreachable})
	}
}

// unused gives a ticket back that a worker did not send on (the run
// stopped), and wakes the dispatcher as used does.
func (d *dispatcher) unused() {
	d.pending.Add(-1)
	select {
	case d.sentOne <- struct{}{}:
	default:
	}
}

// broken reports whether the service looks down at now: calls keep failing
// to reach it and none was answered for BreakerAfter.
func (d *dispatcher) broken(now time.Time) bool {
	if d.failsSince.Load() < breakerFailures {
		return false
	}
	last := d.lastAnswer.Load()
	return last != 0 && now.Sub(time.Unix(0, last)) >= d.cfg.BreakerAfter
}

// giveUp returns the error that stops the run after fails probes met
// cause, or nil while there is budget left: ProbeRetries before the first
// answer, OutageBudget since the last one after it.
func (d *dispatcher) giveUp(cause string, fails int) error {
	last := d.lastAnswer.Load()
	if last == 0 {
		if fails > d.cfg.ProbeRetries {
			return &UnreachableError{Cause: cause, Attempts: fails}
		}
		return nil
	}
	if since := d.clock.Now().Sub(time.Unix(0, last)); since >= d.cfg.OutageBudget {
		return &OutageError{Cause: cause, For: since}
	}
	return nil
}

// observe records what one call met. Safe from any goroutine.
func (d *dispatcher) observe(res Result, at time.Time) {
	switch {
	case res.Answered():
		d.lastAnswer.Store(at.UnixNano())
		d.failsSince.Store(0)
	case res.Unreachable != "":
		d.failsSince.Add(1)
	}
}

// answeredSince reports whether the service answered any call after t.
func (d *dispatcher) answeredSince(t time.Time) bool {
	return d.lastAnswer.Load() > t.UnixNano()
}

// probeDone reports the probe's outcome. It never blocks.
func (d *dispatcher) probeDone(o probeOutcome) {
	select {
	case d.probed <- o:
	default:
	}
}
