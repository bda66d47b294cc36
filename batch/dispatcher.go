package batch

import (
	"context"
	"time"
)

// ticket lets a worker send one attempt, a first try or a retry alike.
type ticket struct {
	// intended is when the open model wanted the call sent: latency is also
	// measured from it, so a call that waited for a free worker counts its
	// wait (coordinated omission).
	intended time.Time
	// probe marks the run's first call: no other ticket is handed out
	// until its answer is in, so a wrong key costs one call.
	probe bool
	// at and slot are the pacer's booking, for Pacer.Sent.
	at   time.Time
	slot int
}

// handoffLead is how early a ticket goes to a worker before its time.
const handoffLead = 2 * time.Millisecond

// dispatcher is the only goroutine that paces. It hands out tickets at the
// pacer's times, holds them back while the probe call is out, and applies
// the throttle answers the workers report: self-throttling happens here and
// nowhere else.
type dispatcher struct {
	clock Clock
	pacer *Pacer
	start time.Time
	sched schedule

	tickets   chan ticket    // unbuffered: a ticket goes when a worker takes it
	throttled chan time.Time // the time of a "slow down" answer; a full channel drops it
	probed    chan bool      // the probe's outcome: true when the service answered
}

func newDispatcher(clock Clock, pacer *Pacer, profile Profile, start time.Time) *dispatcher {
	return &dispatcher{
		clock: clock, pacer: pacer, start: start,
		sched:     schedule{profile: profile, slack: DefaultWindowSlack},
		tickets:   make(chan ticket),
		throttled: make(chan time.Time, 1),
		probed:    make(chan bool, 1),
	}
}

// run hands out tickets until ctx is done, then closes the tickets
// channel: the workers waiting for one then stop.
func (d *dispatcher) run(ctx context.Context) {
	defer close(d.tickets)
	probing := true
	for ctx.Err() == nil {
		now := d.clock.Now()
		select {
		case at := <-d.throttled:
			d.pacer.Throttle(at)
		default:
		}
		at, slot := d.pacer.Next(now)
		if at.After(now) {
			// Held by the pacer (its rate or its window): sent when meant,
			// so the schedule moves to it and only omission counts late.
			d.sched.next = max(d.sched.next, at.Sub(d.start))
			// The ticket goes out a little early; the worker waits out the
			// rest itself, so that the hand-off's delay does not make each
			// send late (the window would count that lateness against the
			// next second's calls).
			if d.clock.Sleep(ctx, at.Sub(now)-handoffLead) != nil {
				return
			}
		}
		t := ticket{intended: d.start.Add(d.sched.take()), probe: probing, at: at, slot: slot}
		select {
		case d.tickets <- t:
		case <-ctx.Done():
			return
		}
		if !probing {
			continue
		}
		select {
		case answered := <-d.probed:
			if answered {
				probing = false
				// The calls held back while the probe was out were not
				// offered late.
				d.sched.next = max(d.sched.next, d.clock.Now().Sub(d.start))
			}
		case <-ctx.Done():
			return
		}
	}
}

// throttle reports a "slow down" answer at now. It never blocks.
func (d *dispatcher) throttle(now time.Time) {
	select {
	case d.throttled <- now:
	default: // one is pending: the cooldown would ignore this echo anyway
	}
}

// probeDone reports the probe's outcome. It never blocks.
func (d *dispatcher) probeDone(answered bool) {
	select {
	case d.probed <- answered:
	default:
	}
}
