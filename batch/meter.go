package batch

import (
	"maps"

	"github.com/msgread/msgread/batch/chatapi"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msgread/msgread/internal/latency"
	"github.com/msgread/msgread/internal/persecond"
	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// LateAfter is how far behind its intended time a call may be sent before
// it counts as late: the load could not be offered on time.
const LateAfter = 10 * time.Millisecond

// Meter counts a run: the one aggregator, and the one writer of the run's
// Summary. The dispatcher feeds it each attempt as it is sent and as it is
// answered, the writer each finished item; the Summary, the per-second
// timeline and the progress snapshot are views of it. Its methods are
// safe for concurrent use.
type Meter struct {
	start   time.Time
	profile Profile
	pacer   *Pacer

	rowsRead, attempts, retries, inFlight, late, resent, sentNotFinished, notFinished atomic.Int64
	byStatus                                                                          [5]atomic.Int64
	// ok counts the answers with code 0, the common case, without the
	// lock that the other codes' map takes; first and last are the first
	// and last send (Unix nanoseconds; the last is a maximum).
	ok, first, last atomic.Int64
	lastFirst       atomic.Int64 // the last first try's send (a maximum), likewise
	finalOK         atomic.Int64 // finished items whose last answer was code 0

	perSecond   *persecond.Counter // calls started per clock second
	lat         *latency.Histogram // from the actual send
	latIntended *latency.Histogram // from the intended send (open model)
	timeline    *timeline

	mu      sync.Mutex
	final   map[string]int    // finished items by their last answer's code
	codes   map[string]int    // answers of every attempt but ok, by code or failure
	classes map[string]string // the class of each code's answers
	unknown map[string]string // codes not in the table, with the server's first text
}

// maxUnknownCodes bounds the unknown codes the summary lists.
const maxUnknownCodes = 20

func newMeter(start time.Time, profile Profile, pacer *Pacer) *Meter {
	return &Meter{
		start: start, profile: profile, pacer: pacer,
		perSecond: persecond.New(2), lat: latency.New(), latIntended: latency.New(),
		timeline: newTimeline(start, profile, func() float64 { return pacer.Stats().Rate }),
		final:    map[string]int{}, codes: map[string]int{}, classes: map[string]string{}, unknown: map[string]string{},
	}
}

// sent counts an attempt as it goes out at sent, due at intended.
func (m *Meter) sent(attempt int, intended, sent time.Time) {
	m.attempts.Add(1)
	if attempt > 1 {
		m.retries.Add(1)
	}
	m.inFlight.Add(1)
	m.perSecond.Add(sent)
	late := sent.Sub(intended) > LateAfter
	if late {
		m.late.Add(1)
	}
	m.timeline.sent(sent, late)
	ns := sent.UnixNano()
	for first := m.first.Load(); (first == 0 || ns < first) && !m.first.CompareAndSwap(first, ns); first = m.first.Load() {
	}
	storeMax(&m.last, ns)
	if attempt == 1 {
		storeMax(&m.lastFirst, ns)
	}
}

// storeMax raises v to n if n is greater. Safe from any goroutine.
func storeMax(v *atomic.Int64, n int64) {
	for old := v.Load(); n > old && !v.CompareAndSwap(old, n); old = v.Load() {
	}
}

// answered counts the answer res to the attempt due at intended, at
// answered; aborted is set when Abort stopped the call (nothing to count
// but that it is no longer in flight).
func (m *Meter) answered(res Result, intended, answered time.Time, aborted bool) {
	m.inFlight.Add(-1)
	if aborted {
		return
	}
	m.lat.Record(res.Latency)
	m.latIntended.Record(answered.Sub(intended))
	m.timeline.answered(answered, res, answered.Sub(intended))
	if res.Err == nil && res.Code == chatapi.CodeOK {
		m.ok.Add(1)
		return
	}
	key := "network"
	switch {
	case res.Err == nil:
		key = strconv.Itoa(res.Code)
	case res.HTTPStatus != 0 && res.HTTPStatus != 200:
		key = "http " + strconv.Itoa(res.HTTPStatus)
	case res.HTTPStatus == 200:
		key = "malformed"
	}
	m.mu.Lock()
	if m.codes[key]++; m.codes[key] == 1 {
		m.classes[key] = res.Class.String()
	}
	if res.Err == nil && !chatapi.Known(res.Code) {
		if _, seen := m.unknown[key]; !seen && len(m.unknown) < maxUnknownCodes {
			m.unknown[key] = res.Info
		}
	}
	m.mu.Unlock()
}

// answers returns copies of the answers by code and their classes, code 0
// included; the caller holds mu.
func (m *Meter) answers() (codes map[string]int, classes map[string]string) {
	codes, classes = maps.Clone(m.codes), maps.Clone(m.classes)
	if n := m.ok.Load(); n > 0 {
		key := strconv.Itoa(chatapi.CodeOK)
		codes[key], classes[key] = int(n), chatapi.ClassOK.String()
	}
	return codes, classes
}

// finished counts an item that finished, and returns the items sent so far
// (ok, failed or gave up) and, of them, those that failed or gave up.
func (m *Meter) finished(o Outcome) (sent, failed int) {
	m.byStatus[statusIndex(o.Status)].Add(1)
	switch {
	case o.Attempts == 0 || o.Last.Err != nil: // no code
	case o.Last.Code == chatapi.CodeOK:
		m.finalOK.Add(1) // the common case, without the lock
	default:
		m.mu.Lock()
		m.final[strconv.Itoa(o.Last.Code)]++
		m.mu.Unlock()
	}
	failed = int(m.byStatus[failedIndex].Load() + m.byStatus[gaveUpIndex].Load())
	return int(m.byStatus[okIndex].Load()) + failed, failed
}

// summary is the run's Summary at now, once it ended: every count of the
// meter, the feed's input counts and the dispatcher's outages.
func (m *Meter) summary(now time.Time, feed interface {
	Counts() (lines, rows, blank int, ended bool)
}, d *dispatcher) digest.Summary {
	sum := digest.NewSummary()
	for i, st := range reports.Statuses {
		if n := int(m.byStatus[i].Load()); n > 0 {
			sum.ByStatus[st] = n
			sum.Rows += n
		}
	}
	m.mu.Lock()
	sum.ByCode = maps.Clone(m.final)
	m.mu.Unlock()
	if n := int(m.finalOK.Load()); n > 0 {
		sum.ByCode[strconv.Itoa(chatapi.CodeOK)] = n
	}
	sum.NotFinished = int(m.notFinished.Load())
	_, sum.InputRows, sum.BlankLines, _ = feed.Counts()
	sum.Outages, sum.OutageSeconds = int(d.outages.Load()), time.Duration(d.outageDuration.Load()).Seconds()
	m.fill(&sum, now)
	return sum
}

// fill completes a summary with the calls' counts, at now.
func (m *Meter) fill(sum *digest.Summary, now time.Time) {
	sum.Attempts = int(m.attempts.Load())
	sum.Retries = int(m.retries.Load())
	sum.Wall, sum.Started = now.Sub(m.start), m.start
	if lf := m.lastFirst.Load(); lf != 0 {
		sum.Offering = time.Unix(0, lf).Sub(m.start)
	}
	var first, last time.Time // zero when no call was sent
	if m.last.Load() != 0 {
		first, last = time.Unix(0, m.first.Load()), time.Unix(0, m.last.Load())
	}
	m.mu.Lock()
	sum.AttemptCodes, sum.AttemptClasses = m.answers()
	if len(m.unknown) > 0 {
		sum.UnknownCodes = maps.Clone(m.unknown)
	}
	m.mu.Unlock()
	sum.TargetRate = meanRate(m.profile, last.Sub(m.start))
	sum.Profile = m.profile.String()
	if span := last.Sub(first).Seconds(); sum.Attempts > 1 && span > 0 {
		sum.Rate = float64(sum.Attempts-1) / span
		sum.RateRatio = sum.Rate / sum.TargetRate
	}
	sum.PeakWindow = int(m.perSecond.Peak())
	sum.Latency = reportLatency(m.lat.Percentiles())
	sum.LatencyIntended = reportLatency(m.latIntended.Percentiles())
	sum.Late = int(m.late.Load())
	ps := digest.DistributionPercentiles()
	actual, intended := m.lat.At(ps), m.latIntended.At(ps)
	sum.Distribution = make([]digest.Quantile, len(ps))
	for i, p := range ps {
		sum.Distribution[i] = digest.Quantile{Percentile: p, Actual: actual[i], Intended: intended[i]}
	}
	pace := m.pacer.Stats()
	sum.Throttles, sum.LowestRate = pace.Throttles, pace.Lowest
	sum.Resent = int(m.resent.Load())
	sum.SentNotFinished = int(m.sentNotFinished.Load())
}

func reportLatency(p latency.Percentiles) digest.Latency {
	return digest.Latency{P50: p.P50, P90: p.P90, P99: p.P99, Max: p.Max}
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
	// service's "slow down" lowered it, and QuotaLeft is the calls a
	// second the service has left as the pacer last learned it (zero
	// before the first "slow down").
	Rate      float64
	Throttles int
	QuotaLeft float64
	// Target is the profile's rate now, before any slowing down.
	Target float64
	// Elapsed is the time since the run started.
	Elapsed time.Duration
}

// Answer counts the answers with one code.
type Answer struct {
	Code, Class string
	N           int64
}

// progress returns the meter's counters at now.
func (m *Meter) progress(now time.Time) Progress {
	p := Progress{
		Read: m.rowsRead.Load(), Attempts: m.attempts.Load(), Retries: m.retries.Load(), InFlight: m.inFlight.Load(),
		ByStatus: make(map[reports.Status]int64, len(reports.Statuses)), Elapsed: now.Sub(m.start),
	}
	for i, st := range reports.Statuses {
		n := m.byStatus[i].Load()
		p.ByStatus[st] = n
		p.Done += n
	}
	ps := m.pacer.Stats()
	p.Rate, p.Throttles, p.QuotaLeft = ps.Rate, ps.Throttles, ps.Estimate
	p.Target = m.profile.Rate(p.Elapsed)
	return p
}

// answerList returns the answers so far by code, each with its class.
func (m *Meter) answerList() []Answer {
	m.mu.Lock()
	defer m.mu.Unlock()
	codes, classes := m.answers()
	out := make([]Answer, 0, len(codes))
	for code, n := range codes {
		out = append(out, Answer{Code: code, Class: classes[code], N: int64(n)})
	}
	return out
}

// The indexes of byStatus the failure-rate stop reads on every finished
// item.
var (
	okIndex     = statusIndex(reports.StatusOK)
	failedIndex = statusIndex(reports.StatusFailed)
	gaveUpIndex = statusIndex(reports.StatusGaveUp)
)

func statusIndex(s reports.Status) int {
	for i, st := range reports.Statuses {
		if st == s {
			return i
		}
	}
	return 0
}

// topCode returns the most frequent non-zero final error code.
func (m *Meter) topCode() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	best, n := "", 0
	for code, c := range m.final {
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
