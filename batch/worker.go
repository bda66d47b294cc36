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
// retry policy by error class, nothing else of the run.
type workers struct {
	cfg   Config
	meter *Meter
	disp  *dispatcher
	// dispatch ends when no new attempt may start; calls ends when the
	// calls in flight must stop too (Abort). stop ends dispatch.
	dispatch, calls context.Context
	stop            context.CancelCauseFunc

	// sendLog, when set, logs each line before its first call.
	sendLog SendLogger

	fatalOnce sync.Once
	fatalErr  *FatalError // the answer that stopped the run, once set
}

// fatal stops the run with a fatal answer; the first one wins.
func (w *workers) fatal(res Result, line int) {
	w.fatalOnce.Do(func() {
		w.fatalErr = newFatalError(res, line)
		w.stop(w.fatalErr)
	})
}

// process takes one row to its report row: skipped and invalid rows at
// once, the others through the attempt loop and the retry policy. done is
// false when the run stopped before the row finished. calls is the
// worker's own child of w.calls: each call's timeout hangs from it, not
// from a context all the workers share and would contend for.
func (w *workers) process(calls context.Context, row Row) (rec reports.Record, done bool) {
	rec = reports.Record{Line: row.Line, ReportAccount: row.ReportAccount, PeerAccount: row.PeerAccount, MsgReadTime: row.MsgReadTime, Raw: row.Raw}
	switch {
	case row.done:
		rec.Status, rec.FinishedAt = reports.StatusSkipped, w.cfg.Clock.Now()
		return rec, true
	case row.Invalid != "":
		rec.Status, rec.ErrorInfo, rec.FinishedAt = reports.StatusInvalid, row.Invalid, w.cfg.Clock.Now()
		return rec, true
	case w.dispatch.Err() != nil:
		return rec, false
	}
	req := chatapi.Request{ReportAccount: row.ReportAccount, PeerAccount: row.PeerAccount, MsgReadTime: row.ReadTime}
	renewed := false
	retries := 0
	for attempt := 1; ; attempt++ {
		sent := w.cfg.Clock.Now()
		res, called, ok := w.attempt(calls, attempt, req, row.Line)
		if !ok {
			if attempt > 1 || called {
				w.meter.sentNotFinished.Add(1)
			}
			return rec, false
		}
		rec.Attempts, rec.HTTPStatus, rec.Latency = attempt, res.HTTPStatus, res.Latency
		rec.ErrorCode, rec.HasCode, rec.ErrorInfo = res.Code, res.Err == nil, res.Describe()
		rec.FinishedAt = w.cfg.Clock.Now()
		switch res.Class {
		case chatapi.ClassOK:
			rec.Status = reports.StatusOK
			return rec, true
		case chatapi.ClassPerRow, chatapi.ClassFatal:
			rec.Status = reports.StatusFailed
			return rec, true
		case chatapi.ClassRenew:
			if !renewed {
				// The client has dropped the stale UserSig; sign anew once.
				renewed = true
				continue
			}
			w.fatal(res, row.Line)
			rec.Status = reports.StatusFailed
			return rec, true
		}
		// ClassRetry. A call that could not reach the service while no other
		// was answered either met an outage, not a fault of this row: the
		// dispatcher's breaker and outage budget deal with that, and the
		// row keeps its retries.
		if res.Unreachable == "" || w.disp.answeredSince(sent) {
			retries++
		}
		if retries > w.cfg.Retries {
			rec.Status = reports.StatusGaveUp
			return rec, true
		}
		if w.cfg.Clock.Sleep(w.dispatch, backoff(min(attempt, retries+1), w.cfg.BackoffBase, w.cfg.BackoffMax, rand.N[time.Duration])) != nil {
			w.meter.sentNotFinished.Add(1)
			return rec, false
		}
	}
}

// attempt waits for a ticket and makes one call; called says whether the
// call went out, and ok is false when the run stopped first, or stopped the
// call.
func (w *workers) attempt(calls context.Context, n int, req chatapi.Request, line int) (res Result, called, ok bool) {
	t, ok := <-w.disp.tickets
	if !ok {
		return Result{}, false, false
	}
	if w.cfg.Clock.SleepUntil(w.dispatch, t.at) != nil || !w.firstSend(n, line) {
		w.disp.unused()
		return Result{}, false, false
	}
	now := w.cfg.Clock.Now()
	w.disp.used(t, now)
	w.meter.sent(n, t.intended, now)
	res = w.cfg.Caller.MarkRead(calls, req)
	crashpoint.Hit("answered")
	if !t.probe && res.Class == chatapi.ClassFatal && chatapi.Lookup(res.Code).PerRowAfterProbe {
		res.Class = chatapi.ClassPerRow // after the probe, about this row only
	}
	aborted := calls.Err() != nil
	answeredAt := w.cfg.Clock.Now()
	w.meter.answered(res, t.intended, answeredAt, aborted)
	if !aborted {
		w.disp.observe(res, answeredAt)
	}
	if res.Throttle {
		w.disp.throttle(w.cfg.Clock.Now(), t.booking)
	}
	if res.Class == chatapi.ClassFatal {
		w.fatal(res, line) // before the probe lets the next calls go
	}
	if t.probe {
		w.disp.probeDone(probeOutcome{answered: res.Err == nil && res.Class != chatapi.ClassRenew, unreachable: res.Unreachable})
	}
	return res, true, !aborted
}

// firstSend logs a line's first call before it goes out, and counts it as
// re-sent when an earlier run of a resumed chain sent it. false means the
// log could not be written: the run stops, and the call does not go out.
func (w *workers) firstSend(attempt, line int) bool {
	if attempt > 1 {
		return true
	}
	if w.sendLog != nil {
		if err := w.sendLog.Sending(line); err != nil {
			w.stop(err)
			return false
		}
	}
	if w.cfg.Resume.SentBefore(line) {
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
