package reports_test

import (
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
)

func TestThresholds(t *testing.T) {
	s := reports.NewSummary()
	s.ByStatus[reports.StatusOK], s.ByStatus[reports.StatusFailed], s.ByStatus[reports.StatusGaveUp] = 95, 3, 2
	s.Latency.P99, s.LatencyIntended.P99 = 300, 1200
	s.Rate, s.Ceiling, s.RateRatio = 190, 200, 0.95
	p99, rate, fail, gaveUp := 500*time.Millisecond, 0.9, 0.1, 5
	all := reports.Thresholds{MaxP99: &p99, MinRate: &rate, MaxFailed: &fail, MaxGaveUp: &gaveUp}
	if b := all.Check(s); len(b) != 0 {
		t.Errorf("all hold, but breaches %q", b)
	}
	all.P99FromIntended = true
	strict, none, noneGaveUp := 0.99, 0.01, 1
	for name, tc := range map[string]struct {
		th   reports.Thresholds
		want string
	}{
		"p99 from intended": {all, "max_p99 500ms: p99 latency from the intended send was 1200.0 ms"},
		"rate":              {reports.Thresholds{MinRate: &strict}, "min_rate 0.99"},
		"failure rate":      {reports.Thresholds{MaxFailed: &none}, "max_failed 0.01: 5 of 100 rows sent"},
		"gave up":           {reports.Thresholds{MaxGaveUp: &noneGaveUp}, "max_gave_up 1: 2 rows gave up"},
	} {
		b := tc.th.Check(s)
		if len(b) != 1 || !strings.HasPrefix(b[0].Name+" "+b[0].Limit+": "+b[0].Text, tc.want) {
			t.Errorf("%s: breaches %q, want one starting %q", name, b, tc.want)
		}
	}
}
