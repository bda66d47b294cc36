package batch

import (
	"maps"
	"strconv"
	"time"

	"github.com/msgread/msgread/reports"
)

// pacerHeld is how long a call must wait in the pacer to count as held by it.
const pacerHeld = time.Millisecond

// intendedTime returns when the call the pacer just released at sentAt was
// due in the open model. Calls take the schedule's slots in the order the
// pacer releases them. A call that the pacer held (it waited there) was sent
// when the pacer meant it to be, by its window or a lowered rate: the
// schedule moves to it, so that only omission counts as late. A call that
// found the pacer ready, because no worker had been free to take its slot
// on time, keeps its slot: its wait counts, and so does the backlog.
func (r *Runner) intendedTime(sentAt time.Time, held bool) time.Time {
	r.schedMu.Lock()
	defer r.schedMu.Unlock()
	if held {
		r.sched.next = sentAt.Sub(r.realStart)
	}
	return r.realStart.Add(r.sched.take())
}

// countCode counts an attempt's answer: its code, its HTTP status, or
// "network".
func (r *Runner) countCode(res Result) {
	key := "network"
	switch {
	case res.Err == nil:
		key = strconv.Itoa(res.Code)
	case res.HTTPStatus != 0 && res.HTTPStatus != 200:
		key = "http " + strconv.Itoa(res.HTTPStatus)
	case res.HTTPStatus == 200:
		key = "malformed"
	}
	r.codesMu.Lock()
	r.codes[key]++
	r.codesMu.Unlock()
}

// Timeline returns the run's per-second timeline; call it after Run.
func (r *Runner) Timeline() []reports.Second {
	select {
	case <-r.ready:
		return r.timeline.finish(time.Now())
	default:
		return nil
	}
}

func (r *Runner) countCall(attempt int) {
	r.attempts.Add(1)
	if attempt > 1 {
		r.retries.Add(1)
	}
	now := time.Now()
	sec := now.Unix()
	r.windowMu.Lock()
	if r.firstCall.IsZero() {
		r.firstCall = now
	}
	r.lastCall = now
	if sec != r.window {
		r.window, r.windowN = sec, 0
	}
	r.windowN++
	r.peakWindow = max(r.peakWindow, r.windowN)
	r.windowMu.Unlock()
}

func (r *Runner) fillSummary(sum *reports.Summary) {
	sum.Attempts = int(r.attempts.Load())
	sum.Retries = int(r.retries.Load())
	sum.Wall = time.Since(r.realStart)
	r.windowMu.Lock()
	span := r.lastCall.Sub(r.realStart)
	r.windowMu.Unlock()
	sum.Ceiling = meanRate(r.cfg.Profile, span)
	sum.Profile = r.cfg.Profile.String()
	sum.LatencyIntended = r.latIntended.summary()
	sum.Late = int(r.late.Load())
	r.codesMu.Lock()
	sum.AttemptCodes = maps.Clone(r.codes)
	r.codesMu.Unlock()
	r.windowMu.Lock()
	if span := r.lastCall.Sub(r.firstCall).Seconds(); sum.Attempts > 1 && span > 0 {
		sum.Rate = float64(sum.Attempts-1) / span
		sum.RateRatio = sum.Rate / sum.Ceiling
	}
	sum.PeakWindow = r.peakWindow
	r.windowMu.Unlock()
	sum.Latency = r.lat.summary()
	ps := r.pacer.Stats()
	sum.Throttles, sum.LowestRate = ps.Throttles, ps.Lowest
	sum.Resent = int(r.resent.Load())
}

// Progress is a snapshot of a run in progress.
type Progress struct {
	// Read counts the rows taken from the input; Done those written to the
	// report, by status in ByStatus.
	Read, Done int64
	ByStatus   map[reports.Status]int64
	// Attempts and Retries count calls; InFlight those not yet answered.
	Attempts, Retries, InFlight int64
	// Rate is the pacer's current rate; Throttles counts the times the
	// service's "slow down" halved it.
	Rate      float64
	Throttles int
	// Elapsed is the time since the run started.
	Elapsed time.Duration
}

// Progress returns the run's counters. Safe from any goroutine.
func (r *Runner) Progress() Progress {
	p := Progress{
		Read: r.rowsRead.Load(), Attempts: r.attempts.Load(), Retries: r.retries.Load(), InFlight: r.inFlight.Load(),
		ByStatus: make(map[reports.Status]int64, len(reports.Statuses)),
	}
	for i, st := range reports.Statuses {
		n := r.byStatus[i].Load()
		p.ByStatus[st] = n
		p.Done += n
	}
	select {
	case <-r.ready:
		p.Elapsed = time.Since(r.realStart)
		ps := r.pacer.Stats()
		p.Rate, p.Throttles = ps.Rate, ps.Throttles
	default:
	}
	return p
}

func statusIndex(s reports.Status) int {
	for i, st := range reports.Statuses {
		if st == s {
			return i
		}
	}
	return 0
}

// topCode returns the most frequent non-zero error code in byCode.
func topCode(byCode map[string]int) string {
	best, n := "", 0
	for code, c := range byCode {
		if code != "0" && (c > n || (c == n && code < best)) {
			best, n = code, c
		}
	}
	return best
}

// meanRate is the profile's average rate over its first span: the target the
// achieved rate is held against.
func meanRate(p Profile, span time.Duration) float64 {
	if c, ok := p.(Constant); ok || span <= 0 {
		if ok {
			return float64(c)
		}
		return p.Rate(0)
	}
	const steps = 1000
	sum := 0.0
	for i := range steps {
		sum += p.Rate(span * time.Duration(2*i+1) / (2 * steps))
	}
	return sum / steps
}
