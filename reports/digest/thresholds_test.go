package digest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

func TestThresholds(t *testing.T) {
	s := digest.NewSummary()
	s.ByStatus[reports.StatusOK], s.ByStatus[reports.StatusFailed], s.ByStatus[reports.StatusGaveUp] = 95, 3, 2
	s.Latency.P99, s.LatencyIntended.P99 = 300, 1200
	s.Rate, s.TargetRate, s.RateRatio = 190, 200, 0.95
	p99, rate, fail, gaveUp := 500*time.Millisecond, 0.9, 0.1, 5
	all := digest.Thresholds{MaxP99: &p99, MinRate: &rate, MaxFailed: &fail, MaxGaveUp: &gaveUp}
	vs := all.Check(s)
	if len(vs) != 4 || len(digest.Breaches(vs)) != 0 {
		t.Errorf("all four set and holding, but verdicts %+v", vs)
	}
	want := []digest.Verdict{{Name: "max_p99", Limit: 500, Actual: 300, OK: true}, {Name: "min_rate", Limit: 0.9, Actual: 0.95, OK: true},
		{Name: "max_failed", Limit: 0.1, Actual: 0.05, OK: true}, {Name: "max_gave_up", Limit: 5, Actual: 2, OK: true}}
	for i, w := range want {
		if g := vs[i]; g.Name != w.Name || g.Limit != w.Limit || g.Actual != w.Actual || g.OK != w.OK {
			t.Errorf("verdict %d: %+v, want %+v", i, g, w)
		}
	}
	if vs := (digest.Thresholds{}).Check(s); vs == nil || len(vs) != 0 {
		t.Errorf("no thresholds set: verdicts %#v, want an empty list", vs)
	}
	all.P99FromIntended = true
	strict, none, noneGaveUp := 0.99, 0.01, 1
	for name, tc := range map[string]struct {
		th   digest.Thresholds
		want string
	}{
		"p99 from intended": {all, "max_p99 500ms: p99 latency from the intended send was 1200.0 ms"},
		"rate":              {digest.Thresholds{MinRate: &strict}, "min_rate 0.99"},
		"failure rate":      {digest.Thresholds{MaxFailed: &none}, "max_failed 0.01: 5 of 100 rows sent"},
		"gave up":           {digest.Thresholds{MaxGaveUp: &noneGaveUp}, "max_gave_up 1: 2 rows gave up"},
	} {
		b := digest.Breaches(tc.th.Check(s))
		if len(b) != 1 || !strings.HasPrefix(b[0].Name+" "+b[0].LimitText+": "+b[0].Text, tc.want) {
			t.Errorf("%s: breaches %+v, want one starting %q", name, b, tc.want)
		}
	}
}
