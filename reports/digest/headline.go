package digest

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/msgread/msgread/internal/safetext"
	"github.com/msgread/msgread/reports"
)

// HeadlineItem is one line of a run's headline: a label and its numbers.
// Bad marks what a reader should look at (rows not ok, a threshold not
// met).
type HeadlineItem struct {
	Label, Text string
	Bad         bool
}

// NewHeadline is what a reader wants first of the run p reports, in this
// order: what it called, the rows by status (and what --verify found), the
// achieved rate against the target, p50 and p99 (from the intended send
// for a load test, as its thresholds), the wall time, the share of calls
// throttled, why the run stopped early when it did, the thresholds'
// verdict when any were set, and a load test's projection. The HTML report and the text summary both open with it.
func NewHeadline(p Page) []HeadlineItem {
	s := p.Summary
	items := []HeadlineItem{{Label: "against", Text: p.TargetText()}, rowsItem(s, p.Verify)}
	items = append(items,
		HeadlineItem{Label: "rate", Text: s.RateText()},
		latencyItem(s, p.Command == "load"),
		HeadlineItem{Label: "time", Text: s.Wall.Round(time.Millisecond).String()},
		throttledItem(s, p.Timeline))
	switch {
	case s.Rebuilt && s.Stopped != "": // a chain whose last run did not end
		items = append(items, HeadlineItem{Label: "not ended", Text: s.Stopped, Bad: true})
	case s.Stopped != "": // why the rows are not finished, first
		items = append(items, HeadlineItem{Label: "stopped", Text: strings.TrimPrefix(s.Stopped, "stopped: "), Bad: true})
	}
	if v := thresholdsItem(s.Thresholds); v != nil {
		items = append(items, *v)
	}
	if p.Projection.Rows > 0 {
		items = append(items, HeadlineItem{Label: "projection", Text: fmt.Sprintf("%d rows would take %.1f hours under this scenario", p.Projection.Rows, p.Projection.Hours)})
	}
	return items
}

// TargetText names what the run called: the bundled mock (or a mock that
// said its scenario and seed) with its scenario and seed, else the
// endpoint or region as Scenario words it.
func (p Page) TargetText() string {
	name := p.Scenario
	if p.Mock == nil {
		if name == "" {
			return "an unknown target"
		}
		return name
	}
	if name == "" || name == p.Mock.Scenario {
		name = "the bundled mock"
	}
	return fmt.Sprintf("%s: scenario %s, seed %d", name, p.Mock.Scenario, p.Mock.Seed)
}

// rowsItem counts the rows by status, those present only.
func rowsItem(s Summary, v *VerifyResult) HeadlineItem {
	var parts []string
	for _, st := range reports.Statuses {
		if n := s.ByStatus[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	text := fmt.Sprintf("%d", s.Rows)
	if len(parts) > 0 {
		text += ": " + strings.Join(parts, ", ")
	}
	if s.NotFinished > 0 {
		text += fmt.Sprintf("; %d not finished", s.NotFinished)
	}
	bad := reports.NotOK(s.ByStatus) > 0 || s.NotFinished > 0
	if v != nil {
		share := 0.0
		if v.Sampled > 0 {
			share = float64(v.Read) / float64(v.Sampled)
		}
		text += fmt.Sprintf("; verified: %d of %d sampled ok rows read back read (%.1f%%)", v.Read, v.Sampled, 100*share)
		bad = bad || v.Read < v.Sampled || v.Stopped != ""
	}
	return HeadlineItem{Label: "rows", Text: text, Bad: bad}
}

func latencyItem(s Summary, fromIntended bool) HeadlineItem {
	l, from := s.Latency, "from the send"
	if fromIntended {
		l, from = s.LatencyIntended, "from the intended send"
	}
	return HeadlineItem{Label: "latency", Text: fmt.Sprintf("p50 %.1f ms, p99 %.1f ms (%s)", l.P50, l.P99, from)}
}

// throttledItem is the share of calls answered "slow down": the quota's
// when it was measured, else counted over the timeline.
func throttledItem(s Summary, tl []Second) HeadlineItem {
	share := -1.0
	if s.Quota != nil {
		share = s.Quota.Throttled
	} else if sent, throttled := throttledOf(tl); sent > 0 {
		share = float64(throttled) / float64(sent)
	}
	switch {
	case share < 0 && s.Attempts > 0:
		return HeadlineItem{Label: "throttled", Text: "not known (no second of a timeline was read)"}
	case share < 0:
		return HeadlineItem{Label: "throttled", Text: "no calls"}
	}
	return HeadlineItem{Label: "throttled", Text: fmt.Sprintf("%.2f%% of calls answered \"slow down\"", 100*share)}
}

// thresholdsItem is the thresholds' verdict; nil when none were set.
func thresholdsItem(vs []Verdict) *HeadlineItem {
	if len(vs) == 0 {
		return nil
	}
	bad := Breaches(vs)
	if len(bad) == 0 {
		return &HeadlineItem{Label: "thresholds", Text: fmt.Sprintf("all %d held", len(vs))}
	}
	names := make([]string, len(bad))
	for i, v := range bad {
		names[i] = v.Name
	}
	return &HeadlineItem{Label: "thresholds", Text: fmt.Sprintf("%d of %d not met: %s", len(bad), len(vs), strings.Join(names, ", ")), Bad: true}
}

// WriteHeadline writes a headline for people, as the text summary opens.
func WriteHeadline(w io.Writer, items []HeadlineItem) error {
	var b strings.Builder
	b.WriteString("headline:\n")
	for _, it := range items {
		fmt.Fprintf(&b, "  %-11s %s\n", it.Label+":", safetext.Clean(it.Text))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
