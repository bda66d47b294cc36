package digest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/msgread/msgread/internal/safetext"
)

// Callbacks is what the bundled mock's webhooks did during a run with a
// callback URL (the mock lives for the run): C2C.CallbackAfterMsgReport,
// one for each mark it made, and Alert.RequestOverLimit apart. Each
// callback made is answered, failed, dropped or pending: marks made =
// Answered + Failed + Dropped + Pending.
type Callbacks struct {
	// URL is the endpoint called, its query and any password hidden.
	URL string `json:"url"`
	// Sent counts the POSTs started; Answered those answered 2xx;
	// Failed the others, by reason in FailedBy ("http NNN", "timeout",
	// "tls", "connection", "stopped").
	Sent     uint64            `json:"sent"`
	Answered uint64            `json:"answered"`
	Failed   uint64            `json:"failed"`
	FailedBy map[string]uint64 `json:"failed_by"`
	// Dropped counts the callbacks the mock's queue had no room for;
	// Pending those still queued when the run's end, after a bounded wait,
	// stopped the senders (one then in flight failed, "stopped").
	Dropped uint64 `json:"dropped"`
	Pending uint64 `json:"pending"`
	// Latency is the endpoint's answer time to the reports.
	Latency Latency        `json:"latency"`
	Alerts  CallbackAlerts `json:"alerts"`
}

// CallbackAlerts counts the Alert.RequestOverLimit callbacks, as Callbacks
// counts the reports.
type CallbackAlerts struct {
	Sent     uint64 `json:"sent"`
	Answered uint64 `json:"answered"`
	Failed   uint64 `json:"failed"`
	Dropped  uint64 `json:"dropped"`
	Pending  uint64 `json:"pending"`
}

// writeCallbacks writes WriteText's lines of the callbacks; none without.
func (s Summary) writeCallbacks(b *strings.Builder) {
	if s.Callbacks == nil {
		return
	}
	for _, line := range s.Callbacks.Lines() {
		b.WriteString("  " + line + "\n")
	}
}

// Lines words the callbacks for people: the reports, then the alerts.
func (c Callbacks) Lines() []string {
	report := fmt.Sprintf("callbacks to %s: %d C2C.CallbackAfterMsgReport sent, %d answered 2xx, %d failed%s, %d dropped (queue full), %d not delivered by the end",
		safetext.Clean(c.URL), c.Sent, c.Answered, c.Failed, reasons(c.FailedBy), c.Dropped, c.Pending)
	if c.Latency != (Latency{}) {
		report += fmt.Sprintf("; the endpoint answered in p50 %.1f ms, p99 %.1f ms, max %.1f ms", c.Latency.P50, c.Latency.P99, c.Latency.Max)
	}
	a := c.Alerts
	alerts := fmt.Sprintf("over-limit alerts (Alert.RequestOverLimit): %d sent, %d answered 2xx, %d failed, %d dropped, %d not delivered by the end",
		a.Sent, a.Answered, a.Failed, a.Dropped, a.Pending)
	return []string{report, alerts}
}

// reasons words failures by reason, " (timeout 3, http 503 2)"; "" for none.
func reasons(by map[string]uint64) string {
	if len(by) == 0 {
		return ""
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", safetext.Clean(k), by[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
