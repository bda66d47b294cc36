package mockserver

import (
	"strconv"
	"sync"
	"time"

	"github.com/msgread/msgread/internal/latency"
	"github.com/msgread/msgread/internal/persecond"
)

// Stats is the read-out of GET /mock/stats. Its counts start at
// CountingSince: the mock's start or its last POST /mock/reset. The
// counters of GET /metrics never go down (Prometheus counters are
// monotonic: a scraper reads a drop as a restart): they count from the
// mock's start, resets included, and msgread_mock_resets_total counts the
// resets. The two agree until the first reset.
type Stats struct {
	// CountingSince is when these counts start: the mock's start, or its
	// last reset; Resets counts the resets.
	CountingSince time.Time `json:"counting_since"`
	Resets        uint64    `json:"resets"`
	// Scenario is the name of the mock's scenario and Seed its seed, so
	// that a run aimed at a standalone mock names them in its reports.
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	// Requests counts the calls to the API path (and unknown paths).
	Requests uint64 `json:"requests"`
	// ByCode counts the answers with an envelope by ErrorCode, keyed by the
	// code in decimal; code faults included.
	ByCode map[string]uint64 `json:"by_code"`
	// ByFault counts the requests a fault answered, by fault kind.
	ByFault map[string]uint64 `json:"by_fault"`
	// Abandoned counts requests whose client went away during the latency.
	Abandoned uint64 `json:"abandoned"`
	// Marks is the number of distinct pairs marked read.
	Marks int `json:"marks"`
	// PerSecond is the number of requests in each of the last seconds (at
	// most RateWindow of them), oldest first, ending with the current one.
	PerSecond []persecond.Count `json:"per_second"`
	// Latency is the injected latency's percentiles, in milliseconds.
	Latency InjectedLatency `json:"injected_latency"`
	// Unread counts the calls of get_c2c_unread_msg_num (the fields above
	// are admin_set_msg_read's).
	Unread APIStats `json:"get_c2c_unread_msg_num"`
	// Production counts the app's own calls the mock generated under the
	// mark-read ceiling, and those it refused; nil without production
	// traffic.
	Production *ProductionStats `json:"production,omitempty"`
	// Callbacks is what the app's webhooks did; nil without a callback
	// URL.
	Callbacks *CallbackStats `json:"callbacks,omitempty"`
}

// InjectedLatency holds percentiles of the latency the mock added.
type InjectedLatency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// RateWindow is how many seconds of per-second counts the mock keeps.
const RateWindow = 300

type stats struct {
	now func() time.Time

	mu         sync.Mutex
	requests   uint64
	byCode     map[int]uint64
	byFault    map[string]uint64
	abandonedN uint64
	seconds    *persecond.Counter
	latency    *latency.Histogram
	since      time.Time
	resets     uint64
}

func newStats(now func() time.Time) *stats {
	s := &stats{now: now}
	s.clear()
	return s
}

func (s *stats) clear() {
	s.requests, s.abandonedN = 0, 0
	s.byCode = make(map[int]uint64)
	s.byFault = make(map[string]uint64)
	s.seconds = persecond.New(RateWindow)
	s.latency = latency.New()
	s.since = s.now()
}

// tick counts one request in its second; the caller holds mu.
func (s *stats) tick() {
	s.requests++
	s.seconds.Add(s.now())
}

// record counts a request answered with an envelope of code.
func (s *stats) record(code int) {
	s.mu.Lock()
	s.tick()
	s.byCode[code]++
	s.mu.Unlock()
}

// request counts a request answered without an envelope.
func (s *stats) request() {
	s.mu.Lock()
	s.tick()
	s.mu.Unlock()
}

func (s *stats) fault(kind string) {
	s.mu.Lock()
	s.byFault[kind]++
	s.mu.Unlock()
}

func (s *stats) abandoned() {
	s.mu.Lock()
	s.tick()
	s.abandonedN++
	s.mu.Unlock()
}

func (s *stats) injected(d time.Duration) {
	s.latency.Record(d)
}

func (s *stats) snapshot(now time.Time) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{
		Requests:      s.requests,
		ByCode:        make(map[string]uint64, len(s.byCode)),
		ByFault:       make(map[string]uint64, len(s.byFault)),
		Abandoned:     s.abandonedN,
		CountingSince: s.since.UTC(), Resets: s.resets,
	}
	for code, n := range s.byCode {
		out.ByCode[strconv.Itoa(code)] = n
	}
	for kind, n := range s.byFault {
		out.ByFault[kind] = n
	}
	out.PerSecond = s.seconds.Recent(now)
	if p := s.latency.Percentiles(); p.Count > 0 {
		out.Latency = InjectedLatency{Count: uint64(p.Count), P50: p.P50, P99: p.P99, Max: p.Max}
	}
	return out
}

// reset zeroes the counts, and returns the resets so far and when the
// counts start again.
func (s *stats) reset() (resets uint64, since time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	s.resets++
	return s.resets, s.since.UTC()
}
