package digest_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

func TestWriteHTML(t *testing.T) {
	s := digest.NewSummary()
	s.ByStatus[reports.StatusOK], s.Attempts, s.Rate = 400, 410, 199.5
	s.AttemptCodes = map[string]int{"0": 400, "70500": 6, "http 502": 3, "network": 1}
	s.AttemptClasses = map[string]string{"0": "ok", "70500": "retry", "http 502": "retry", "network": "retry"}
	for _, p := range digest.DistributionPercentiles() {
		s.Distribution = append(s.Distribution, digest.Quantile{Percentile: p, Actual: 30 + p, Intended: 35 + p})
	}
	var tl []digest.Second
	for i := range 3 {
		tl = append(tl, digest.Second{At: i, Intended: 200, Rate: 200, Sent: 199 + i, OK: 199, P50: 40, P90: 120, P99: 380, Max: 900 + float64(i)})
	}
	s.Thresholds = []digest.Verdict{{Name: "max_p99", LimitText: "1s", Text: "p99 <bad>", OK: false}, {Name: "min_rate", LimitText: "0.9", Text: "fine", OK: true}}
	p := digest.Page{Bounds: []time.Duration{time.Second}, Title: "t <&>", Scenario: "flaky", Seed: 3, Ceiling: 200, Summary: s, Timeline: tl,
		Projection: digest.Project(s, 10_000_000), Generated: time.Unix(0, 0),
		Explain: func(code int) (string, string) {
			if code == 70500 {
				return "internal server error", "retry"
			}
			return "unknown error code", "per-row"
		}}
	var b bytes.Buffer
	if err := digest.WriteHTML(&b, p); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{
		`<line class="bound"`, "the rate changes at 1s", "ms (log scale)", "<h2>Per step</h2>", "retry (transient: retried)", "% of answers", "<td>0–1</td><td>200.0</td><td>199.0</td>",
		`<svg class="chart"`, "calls sent per second", "service ceiling", "p99", "code 70500", "http 502",
		"t &lt;&amp;&gt;", "p99 &lt;bad&gt;", "not met", "held", "10000000 rows would take 14.3 hours",
		// latency over time: p50, p90, p99 and max, each second's on hover
		">p90</text>", ">max</text>", "<title>at 1s\np50: 40.0\np90: 120.0\np99: 380.0\nmax: 901.0</title>",
		// the rate chart's hover and round ticks (0 to 200 by 50)
		"<title>at 1s\ncalls sent per second: 200.0\nintended rate: 200.0", ">150</text>", ">200</text>",
		// the distribution, by decade, with hover values
		"Latency distribution", ">99.9%</text>", ">max</text>", "<title>p99\nfrom the actual send: 129.0 ms\nfrom the intended send: 134.0 ms</title>",
		// the legend says what each code means and its class
		"<td>70500</td><td>retry</td><td>internal server error", "<td>network</td><td>retry</td><td>no answer",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Every point of the distribution has its own name (p99.987, p99.99).
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`<title>(p[0-9.]+|max)\n`).FindAllStringSubmatch(html, -1) {
		if names[m[1]] {
			t.Errorf("two points of the distribution are both called %s", m[1])
		}
		names[m[1]] = true
	}
	if n := strings.Count(html, "<svg"); n != 5 {
		t.Errorf("%d charts, want 5", n)
	}
	p.Summary.Thresholds = nil
	b.Reset()
	if err := digest.WriteHTML(&b, p); err != nil || !strings.Contains(b.String(), "No thresholds set.") {
		t.Errorf("no thresholds: the page does not say so (%v)", err)
	}
	if strings.Contains(html, "<script") {
		t.Error("the report must open without running any script")
	}
}

func TestProject(t *testing.T) {
	s := digest.NewSummary()
	s.ByStatus[reports.StatusOK], s.Attempts, s.Rate = 1000, 1100, 200
	// 10 M rows at 1.1 calls a row and 200 calls/s: 55 000 s.
	if p := digest.Project(s, 10_000_000); p.Hours < 15.27 || p.Hours > 15.28 {
		t.Fatalf("projection %v hours, want 15.28", p.Hours)
	}
	if p := digest.Project(digest.NewSummary(), 5); p.Hours != 0 {
		t.Fatalf("nothing sent: %v hours", p.Hours)
	}
}
