package mockserver

import "github.com/msgread/msgread/internal/latency"

// CallbackStats is what the mock's webhooks did (GET /mock/stats
// "callbacks"): the counts of C2C.CallbackAfterMsgReport, one for each
// mark made, and their latency; Alert.RequestOverLimit's counts apart.
type CallbackStats struct {
	// URL is the endpoint called, its query and any userinfo hidden.
	URL string `json:"url"`
	CallbackCounts
	// Latency is of the endpoint's answers to reports, 2xx or not (a
	// timeout or a connection error has none), in milliseconds.
	Latency CallbackLatency `json:"latency"`
	Alerts  CallbackCounts  `json:"alerts"`
}

// CallbackCounts counts one webhook's callbacks. Each one the mock made is
// answered, failed, dropped or pending: made = Answered + Failed + Dropped
// + Pending.
type CallbackCounts struct {
	// Sent counts the POSTs started: answered, failed or in flight.
	Sent uint64 `json:"sent"`
	// Answered counts the 2xx answers.
	Answered uint64 `json:"answered"`
	// Failed counts the others, by reason in FailedBy: "http NNN" (the
	// status), "timeout", "tls" (a certificate not trusted, or https aimed at
	// plain http), "connection" (refused, reset, DNS) or
	// "stopped" (the mock stopped while it was in flight).
	Failed   uint64            `json:"failed"`
	FailedBy map[string]uint64 `json:"failed_by"`
	// Dropped counts the callbacks not queued: the queue was full (or the
	// mock was stopping).
	Dropped uint64 `json:"dropped"`
	// Pending counts the callbacks queued or in flight.
	Pending uint64 `json:"pending"`
}

// CallbackLatency holds percentiles of the endpoint's answer time, in
// milliseconds.
type CallbackLatency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// snapshot returns the counters now.
func (c *callbacks) snapshot() CallbackStats {
	c.mu.Lock()
	st := CallbackStats{URL: c.redacted, CallbackCounts: c.counts[kindReport].export(), Alerts: c.counts[kindAlert].export()}
	h := c.latency
	c.mu.Unlock()
	if p := h.Percentiles(); p.Count > 0 {
		st.Latency = CallbackLatency{Count: uint64(p.Count), P50: p.P50, P90: p.P90, P99: p.P99, Max: p.Max}
	}
	return st
}

func (n callbackCounts) export() CallbackCounts {
	out := CallbackCounts{Sent: n.sent, Answered: n.answered, Failed: n.failed, Dropped: n.dropped, Pending: n.pending,
		FailedBy: make(map[string]uint64, len(n.failedBy))}
	for why, k := range n.failedBy {
		out.FailedBy[why] = k
	}
	return out
}

// reset zeroes the counters but the callbacks still pending, which are
// counted when they end: those in flight stay sent, so that every one
// answered or failed after the reset was sent after it too.
func (c *callbacks) reset() {
	c.mu.Lock()
	for i, n := range c.counts {
		c.counts[i] = callbackCounts{pending: n.pending, sent: n.sent - n.answered - n.failed, failedBy: map[string]uint64{}}
	}
	c.latency = latency.New()
	c.mu.Unlock()
}
