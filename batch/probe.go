package batch

import (
	"context"
	"time"
)

// awaitProbe returns at once when the probe is over; before that, one caller
// at a time gets probe true and makes the probing call, the others wait.
func (r *Runner) awaitProbe(ctx context.Context) (probe bool, err error) {
	select {
	case <-r.probeDone:
		return false, nil
	default:
	}
	select {
	case <-r.probeDone:
		return false, nil
	case <-r.probeToken:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// endProbe ends the probe when its call got an answer from the service (any
// code: a fatal one has stopped the run by then); otherwise, as after a
// network error, it hands the probe to the next caller.
func (r *Runner) endProbe(probe, answered bool) {
	if !probe {
		return
	}
	if answered {
		r.probeOnce.Do(func() {
			r.schedMu.Lock()
			r.sched.rebase(time.Since(r.realStart))
			r.schedMu.Unlock()
			close(r.probeDone)
		})
		return
	}
	r.probeToken <- struct{}{}
}
