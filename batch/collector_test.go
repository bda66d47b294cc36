package batch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msgread/msgread/batch"
	"github.com/prometheus/client_golang/prometheus"
)

// gathered collects c's metrics by series, "name{label=value,...}", each
// with its value (a histogram's is its count).
func gathered(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out
}

func TestCollectorAfterARun(t *testing.T) {
	sc := newScript()
	sc.answers["flaky>x"] = []batch.Result{codeResult(70500), codeResult(0)}
	sc.answers["gone>x"] = []batch.Result{codeResult(90003)}
	r, err := batch.New(batch.Config{Caller: sc, Profile: batch.Constant(1e6), Workers: 2, Retries: 3, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1_700_000_000, 0)
	c := batch.NewCollector(r, "run", "v1.2.3", start, 4)
	before := gathered(t, c)
	if before[`msgread_rows_total{status=ok}`] != 0 || before[`msgread_rows_remaining{}`] != 4 {
		t.Errorf("before the run: %v", before)
	}
	if _, err := r.Run(context.Background(), input(t, "ok,x,", "flaky,x,", "gone,x,", "bad one,x,"), &memOutput{}); err != nil {
		t.Fatal(err)
	}
	c.Sample()
	got := gathered(t, c)
	for series, want := range map[string]float64{
		`msgread_rows_total{status=ok}`:                  2,
		`msgread_rows_total{status=failed}`:              1,
		`msgread_rows_total{status=invalid}`:             1,
		`msgread_rows_total{status=gave_up}`:             0,
		`msgread_rows_read_total{}`:                      4,
		`msgread_calls_total{class=ok,code=0}`:           2,
		`msgread_calls_total{class=retry,code=70500}`:    1,
		`msgread_retries_total{}`:                        1,
		`msgread_input_rows{}`:                           4,
		`msgread_rows_remaining{}`:                       0,
		`msgread_eta_seconds{}`:                          0, // nothing left: known, and zero
		`msgread_call_duration_seconds{}`:                4,
		`msgread_start_time_seconds{}`:                   1_700_000_000,
		`msgread_build_info{command=run,version=v1.2.3}`: 1,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	if _, ok := got[`msgread_quota_left_calls_per_second{}`]; ok {
		t.Error("quota left reported before any slow-down")
	}
}

func TestCollectorUnknownTotal(t *testing.T) {
	r, err := batch.New(batch.Config{Caller: newScript(), Profile: batch.Constant(10), Workers: 1, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	got := gathered(t, batch.NewCollector(r, "load", "devel", time.Now(), -1))
	for _, series := range []string{`msgread_input_rows{}`, `msgread_rows_remaining{}`, `msgread_eta_seconds{}`} {
		if _, ok := got[series]; ok {
			t.Errorf("%s reported for a stream of unknown length", series)
		}
	}
	if got[`msgread_build_info{command=load,version=devel}`] != 1 {
		t.Errorf("build info: %v", got)
	}
}
