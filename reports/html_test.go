package reports_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
)

func TestWriteHTML(t *testing.T) {
	s := reports.NewSummary()
	s.ByStatus[reports.StatusOK], s.Attempts, s.Rate = 400, 410, 199.5
	s.AttemptCodes = map[string]int{"0": 400, "70500": 6, "http 502": 3, "network": 1}
	var tl []reports.Second
	for i := range 3 {
		tl = append(tl, reports.Second{At: i, Intended: 200, Rate: 200, Sent: 199 + i, OK: 199, P50: 40, P99: 380})
	}
	s.Thresholds = []reports.Verdict{{Name: "max_p99", LimitText: "1s", Text: "p99 <bad>", OK: false}, {Name: "min_rate", LimitText: "0.9", Text: "fine", OK: true}}
	p := reports.Page{Bounds: []time.Duration{time.Second}, Title: "t <&>", Scenario: "flaky", Seed: 3, Ceiling: 200, Summary: s, Timeline: tl,
		Projection: reports.Project(s, 10_000_000), Generated: time.Unix(0, 0)}
	var b bytes.Buffer
	if err := reports.WriteHTML(&b, p); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		`<line class="bound"`, "the rate changes at 1s", "ms (log scale)", "<h2>Per step</h2>", "retry (transient: retried)", "% of answers", "<td>0–1</td><td>200.0</td><td>199.0</td>",
		`<svg class="chart"`, "calls sent per second", "service ceiling", "p99", "code 70500", "http 502",
		"t &lt;&amp;&gt;", "p99 &lt;bad&gt;", "not met", "held", "10000000 rows would take 14.3 hours",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if n := strings.Count(html, "<svg"); n != 4 {
		t.Errorf("%d charts, want 4", n)
	}
	p.Summary.Thresholds = nil
	b.Reset()
	if err := reports.WriteHTML(&b, p); err != nil || !strings.Contains(b.String(), "No thresholds set.") {
		t.Errorf("no thresholds: the page does not say so (%v)", err)
	}
	if strings.Contains(html, "<script") {
		t.Error("the report must open without running any script")
	}
}

func TestProject(t *testing.T) {
	s := reports.NewSummary()
	s.ByStatus[reports.StatusOK], s.Attempts, s.Rate = 1000, 1100, 200
	// 10 M rows at 1.1 calls a row and 200 calls/s: 55 000 s.
	if p := reports.Project(s, 10_000_000); p.Hours < 15.27 || p.Hours > 15.28 {
		t.Fatalf("projection %v hours, want 15.28", p.Hours)
	}
	if p := reports.Project(reports.NewSummary(), 5); p.Hours != 0 {
		t.Fatalf("nothing sent: %v hours", p.Hours)
	}
}
