package digest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// baselineDoc is a green load test's summary JSON, as --summary-json writes it.
func baselineDoc(t *testing.T, edit func(*digest.Document)) string {
	t.Helper()
	s := digest.NewSummary()
	s.ByStatus[reports.StatusOK], s.ByStatus[reports.StatusFailed] = 990, 10
	s.Latency.P99, s.LatencyIntended.P99 = 300, 400
	s.Rate, s.TargetRate, s.RateRatio = 190, 200, 0.95
	s.Offering = 5 * time.Second // 1000 rows sent: a send rate of 200
	d := digest.NewDocument(s, digest.RunInfo{Command: "load", StartedAt: time.Unix(0, 0), FinishedAt: time.Unix(10, 0),
		Mock: &digest.MockInfo{Scenario: "flaky", Seed: 7}})
	if edit != nil {
		edit(&d)
	}
	var b bytes.Buffer
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReadBaselineRefusesWhatIsNoBaseline(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"empty file", "", "not a summary JSON"},
		{"not JSON", "p99,rate\n1,2\n", "not a summary JSON"},
		{"JSON of something else", `{"name": "flaky", "latency": {"kind": "fixed"}}`, "no schema_version or command"},
		{"a JSON array", `[1, 2]`, "not a summary JSON"},
		{"another schema", baselineDoc(t, func(d *digest.Document) { d.SchemaVersion = 9 }), "schema version 9"},
		{"a verify summary", baselineDoc(t, func(d *digest.Document) { d.Command = "verify" }), "msgread verify, not of a run"},
		{"a run that stopped early", baselineDoc(t, func(d *digest.Document) {
			d.Stop = &digest.Stop{Code: digest.StopUsageError, Message: "--rate: bad"}
		}), "stopped early (usage_error"},
		{"no rows sent", baselineDoc(t, func(d *digest.Document) { d.Rows = map[reports.Status]int{"ok": 0, "invalid": 40} }), "sent no row"},
		{"negative rows", baselineDoc(t, func(d *digest.Document) { d.Rows["failed"] = -991 }), "negative"},
		{"a p99 beyond measure", strings.Replace(baselineDoc(t, nil), `"p99_ms": 400`, `"p99_ms": 1e300`, 1), "not a measurement"},
		{"a negative rate", strings.Replace(baselineDoc(t, nil), `"achieved_rate": 190`, `"achieved_rate": -1`, 1), "not a measurement"},
		{"rows whose sum overflows", strings.Replace(baselineDoc(t, nil), `"ok": 990`, `"ok": 9223372036854775807`, 1), "not a count of rows"},
		{"a p99 below the microsecond", strings.Replace(baselineDoc(t, nil), `"p99_ms": 400`, `"p99_ms": 1e-320`, 1), "below the microsecond"},
		{"too large", `{"pad": "` + strings.Repeat("x", digest.MaxBaselineSize) + `"}`, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := digest.ReadBaseline(strings.NewReader(tc.doc))
			if !errors.Is(err, digest.ErrBaseline) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want ErrBaseline saying %q", err, tc.want)
			}
		})
	}
}

func TestBaselineCompareRefusesAnotherExperiment(t *testing.T) {
	b, err := digest.ReadBaseline(strings.NewReader(baselineDoc(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	flaky7 := &digest.MockInfo{Scenario: "flaky", Seed: 7}
	if w, err := b.Compare("load", flaky7, 200); err != nil || len(w) != 0 {
		t.Errorf("the same experiment: warnings %q, error %v", w, err)
	}
	for _, tc := range []struct {
		name    string
		command string
		mock    *digest.MockInfo
		want    string
	}{
		{"another command", "run", flaky7, "a load, and this is a run"},
		{"another scenario", "load", &digest.MockInfo{Scenario: "slow", Seed: 7}, `"flaky", and this one has "slow"`},
		{"a real target", "load", nil, "another target"},
	} {
		if _, err := b.Compare(tc.command, tc.mock, 200); !errors.Is(err, digest.ErrBaseline) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	w, err := b.Compare("load", &digest.MockInfo{Scenario: "flaky", Seed: 8}, 100)
	if err != nil || len(w) != 2 || !strings.Contains(w[0], "seed 7, this one seed 8") || !strings.Contains(w[1], "target rate was 200.0") {
		t.Errorf("another seed and rate compare with notes, but: %q, %v", w, err)
	}
}

func TestBaselineVerdicts(t *testing.T) {
	b, err := digest.ReadBaseline(strings.NewReader(baselineDoc(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	run := func(p99, rate float64, failed int) digest.Summary {
		s := digest.NewSummary()
		s.ByStatus[reports.StatusOK], s.ByStatus[reports.StatusFailed] = 1000-failed, failed
		s.LatencyIntended.P99, s.Offering = p99, time.Duration(1000/rate*float64(time.Second))
		return s
	}
	th := digest.Thresholds{P99FromIntended: true, Baseline: &digest.BaselineCheck{Baseline: b, MaxRegression: digest.Uniform(0.1)}}
	for _, tc := range []struct {
		name   string
		s      digest.Summary
		breach []string
	}{
		{"the same run", run(400, 200, 10), nil},
		{"within 10%", run(439, 181, 10), nil},
		{"p99 20% worse", run(480, 200, 10), []string{"baseline_p99"}},
		{"rate 20% lower", run(400, 160, 10), []string{"baseline_rate"}},
		{"twice the failures", run(400, 200, 20), []string{"baseline_failed"}},
		{"all three", run(1000, 1, 500), []string{"baseline_p99", "baseline_rate", "baseline_failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := th.Check(tc.s)
			var got []string
			for _, v := range digest.Breaches(vs) {
				got = append(got, v.Name)
			}
			if len(vs) != 3 || strings.Join(got, ",") != strings.Join(tc.breach, ",") {
				t.Errorf("breaches %q of %+v, want %q", got, vs, tc.breach)
			}
			for _, v := range vs {
				if v.Baseline == nil || v.LimitText != "10%" {
					t.Errorf("%s: no baseline value or limit text: %+v", v.Name, v)
				}
			}
		})
	}
}

// TestBaselineOfNothingIsNoDivision: a baseline p99 or send rate of 0 is
// no mark (left out: a rebuilt report's send rate is not known), a
// baseline without failures makes any failure a regression, and the JSON
// of either has no NaN or infinity.
func TestBaselineOfNothingIsNoDivision(t *testing.T) {
	doc := baselineDoc(t, func(d *digest.Document) {
		d.Rows["failed"] = 0
		d.LatencyFromIntended.P99, d.AchievedRate, d.SendRate = 0, 0, 0
	})
	b, err := digest.ReadBaseline(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	s := digest.NewSummary()
	s.ByStatus[reports.StatusOK], s.ByStatus[reports.StatusGaveUp] = 99, 1
	s.LatencyIntended.P99, s.Offering = 350, 10*time.Second
	vs := (digest.Thresholds{P99FromIntended: true, Baseline: &digest.BaselineCheck{Baseline: b, MaxRegression: digest.Uniform(1)}}).Check(s)
	if len(vs) != 1 || vs[0].Name != "baseline_failed" || vs[0].OK || !strings.Contains(vs[0].Text, "above the baseline's 0.0000") {
		t.Errorf("verdicts %+v", vs)
	}
	for _, v := range vs {
		for _, f := range []float64{v.Limit, v.Actual, *v.Baseline} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				t.Errorf("%s: %v", v.Name, f)
			}
		}
	}
	if _, err := json.Marshal(vs); err != nil {
		t.Errorf("the verdicts do not make JSON: %v", err)
	}
}

// TestRegressionOff: a negative regression leaves its comparison out, and
// an older summary without send_rate is compared by its achieved rate.
func TestRegressionOffAndOlderSummaries(t *testing.T) {
	older := strings.Replace(baselineDoc(t, nil), `"send_rate": 200,`, "", 1)
	b, err := digest.ReadBaseline(strings.NewReader(older))
	if err != nil || !b.RateIsAchieved || b.Rate != 190 {
		t.Fatalf("older summary: %+v, %v", b, err)
	}
	if w, _ := b.Compare("load", b.Mock, 0); len(w) != 1 || !strings.Contains(w[0], "without send_rate") {
		t.Errorf("no note of the older summary: %q", w)
	}
	s := digest.NewSummary()
	s.ByStatus[reports.StatusOK] = 100
	s.LatencyIntended.P99, s.Rate = 400, 100
	vs := (digest.Thresholds{P99FromIntended: true, Baseline: &digest.BaselineCheck{Baseline: b, MaxRegression: digest.Regression{P99: 0.1, Rate: 0.6, Failed: -1}}}).Check(s)
	if len(vs) != 2 || vs[0].Name != "baseline_p99" || vs[1].Name != "baseline_rate" || !vs[1].OK || vs[1].LimitText != "60%" || !strings.Contains(vs[1].Text, "achieved rate") {
		t.Errorf("verdicts %+v", vs)
	}
}
