package batch

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/internal/crashpoint"
	"github.com/msgread/msgread/reports"
)

// workers is what the workers of one run share: the attempt loop and the
// retry policy by error class, nothing else of the run. A worker reports
// each attempt to the dispatcher (sent, then answered): the dispatcher
// alone paces, throttles and meters.
type workers[T any] struct {
	cfg   Config
	work  Work[T]
	meter *Meter
	disp  *dispatcher
	// dispatch ends when no new attempt may start; calls ends when the
	// calls in flight must stop too (Abort). stop ends dispatch.
	dispatch, calls context.Context
	stop            context.CancelCauseFunc

	// firstSender, when set, is told of each item's first call before it
	// goes out.
	firstSender FirstSender[T]

	fatalOnce sync.Once
	fatalErr  *FatalError // the answer that stopped the run, once set
}

// fatal stops the run with a fatal answer; the first one wins.
func (w *workers[T]) fatal(res Result, item T) {
	w.fatalOnce.Do(func() {
		w.fatalErr = newFatalError(res, w.work.Line(item))
		w.stop(w.fatalErr)
	})
}

// process takes one item to its outcome: settled items at once, the others
// through the attempt loop and the retry policy. done is false when the
// run stopped before the item finished. calls is the worker's own child
// of w.calls: each call's timeout hangs from it, not from a context all
// the workers share and would contend for.
func (w *workers[T]) process(calls context.Context, item T) (o Outcome, done bool) {
	if w.work.Settled != nil {
		if o, ok := w.work.Settled(item); ok {
			o.FinishedAt = w.cfg.Clock.Now()
			return o, true
		}
	}
	if w.dispatch.Err() != nil {
		return o, false
	}
	renewed := false
	retries := 0
	for attempt := 1; ; attempt++ {
		sent := w.cfg.Clock.Now()
		res, called, ok := w.attempt(calls, attempt, item)
		if !ok {
			if attempt > 1 || called {
				w.meter.sentNotFinished.Add(1)
			}
			return o, false
		}
		o = Outcome{Attempts: attempt, Last: res, FinishedAt: w.cfg.Clock.Now()}
		if res.Class == chatapi.ClassRenew && !renewed {
			// The client has dropped the stale UserSig; sign anew once.
			renewed = true
			continue
		}
		if o.Status = w.final(res, item); o.Status != "" {
			return o, true
		}
		// ClassRetry. A call that could not reach the service while no other
		// was answered either met an outage, not a fault of this item: the
		// dispatcher's breaker and outage budget deal with that, and the
		// item keeps its retries.
		if res.Unreachable == "" || w.disp.answeredSince(sent) {
			retries++
		}
		if retries > w.cfg.Retries {
			o.Status = reports.StatusGaveUp
			return o, true
		}
		if w.cfg.Clock.Sleep(w.dispatch, backoff(min(attempt, retries+1), w.cfg.BackoffBase, w.cfg.BackoffMax, rand.N[time.Duration])) != nil {
			w.meter.sentNotFinished.Add(1)
			return o, false
		}
	}
}

// final is the status of an item whose call was answered res, or "" when
// res is to be retried. A UserSig refused as expired again after renewing
// is fatal.
func (w *workers[T]) final(res Result, item T) reports.Status {
	switch res.Class {
	case chatapi.ClassOK:
		return reports.StatusOK
	case chatapi.ClassPerRow, chatapi.ClassFatal:
		return reports.StatusFailed
	case chatapi.ClassRenew:
		w.fatal(res, item)
		return reports.StatusFailed
	}
	return ""
}

// attempt waits for a ticket and makes one call; called says whether the
// call went out, and ok is false when the run stopped first, or stopped the
// call.
func (w *workers[T]) attempt(calls context.Context, n int, item T) (res Result, called, ok bool) {
	t, ok := <-w.disp.tickets
	if !ok {
		return Result{}, false, false
	}
	if w.cfg.Clock.SleepUntil(w.dispatch, t.at) != nil || !w.firstSend(n, item) {
		w.disp.unused()
		return Result{}, false, false
	}
	w.disp.sent(t, n, w.cfg.Clock.Now())
	res = w.work.Call(calls, item)
	crashpoint.Hit("answered")
	if !t.probe && res.Class == chatapi.ClassFatal && chatapi.Lookup(res.Code).PerRowAfterProbe {
		res.Class = chatapi.ClassPerRow // after the probe, about this item only
	}
	aborted := calls.Err() != nil
	if res.Class == chatapi.ClassFatal {
		w.fatal(res, item) // before the probe's answer lets the next calls go
	}
	w.disp.answered(t, res, w.cfg.Clock.Now(), aborted)
	return res, true, !aborted
}

// firstSend tells the sink of an item's first call before it goes out,
// and counts it as re-sent when an earlier run of a resumed chain sent it.
// false means the sink refused (its send log could not be written): the
// run stops, and the call does not go out.
func (w *workers[T]) firstSend(attempt int, item T) bool {
	if attempt > 1 || w.firstSender == nil {
		return true
	}
	resent, err := w.firstSender.Sending(item)
	if err != nil {
		w.stop(err)
		return false
	}
	if resent {
		w.meter.resent.Add(1)
	}
	return true
}

// backoff returns the wait before retry number attempt: full jitter (jitter
// returns a value in [0, n)) over an exponential range from base, capped
// at most.
func backoff(attempt int, base, most time.Duration, jitter func(time.Duration) time.Duration) time.Duration {
	ceil := most
	if attempt < 32 {
		ceil = min(base<<(attempt-1), most)
	}
	if ceil <= 0 {
		return 0
	}
	return jitter(ceil + 1)
}
