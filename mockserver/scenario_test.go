package mockserver

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFaultRatesMatchProbabilities draws the decisions of 200 000 requests
// (no HTTP, no sleeping) and checks each fault's rate is within 4 σ of its
// probability.
func TestFaultRatesMatchProbabilities(t *testing.T) {
	sc, err := LoadScenario(filepath.Join("..", "testdata", "scenarios", "rehearsal.json"))
	if err != nil {
		t.Fatal(err)
	}
	faults := make([]Fault, len(sc.Faults))
	probs := make([]float64, len(sc.Faults))
	for i, f := range sc.Faults {
		faults[i], _ = f.Fault()
		probs[i] = f.Probability
	}
	d := newDecider(42, sc.Latency, faults, probs)
	const n = 200_000
	counts := make([]int, len(faults))
	for i := range n {
		dec := d.decide("user"+strconv.Itoa(i%5000), "peer"+strconv.Itoa(i/5000), uint64(i%3))
		for j, f := range faults {
			if dec.fault == f {
				counts[j]++
				break
			}
		}
	}
	for j, spec := range sc.Faults {
		p := spec.Probability
		sigma := math.Sqrt(p * (1 - p) / n)
		got := float64(counts[j]) / n
		if math.Abs(got-p) > 4*sigma {
			t.Errorf("fault %d (%s %d): rate %.5f, want %.5f ± %.5f (4σ)", j, spec.Kind, spec.Code, got, p, 4*sigma)
		}
	}
}

func TestLognormalPercentiles(t *testing.T) {
	for _, c := range []struct{ p50, p99 time.Duration }{
		{40 * time.Millisecond, 400 * time.Millisecond},
		{300 * time.Millisecond, 2500 * time.Millisecond},
		{60 * time.Millisecond, 900 * time.Millisecond},
	} {
		l := Latency{Kind: LatencyLognormal, P50: Duration(c.p50), P99: Duration(c.p99)}
		rng := rand.New(rand.NewPCG(1, 2))
		samples := make([]float64, 100_000)
		for i := range samples {
			samples[i] = float64(l.Sample(rng))
		}
		sort.Float64s(samples)
		p50, p99 := samples[len(samples)/2], samples[len(samples)*99/100]
		if math.Abs(p50/float64(c.p50)-1) > 0.05 || math.Abs(p99/float64(c.p99)-1) > 0.05 {
			t.Errorf("lognormal %v/%v: sampled p50 %v, p99 %v; want within 5%%", c.p50, c.p99, time.Duration(p50), time.Duration(p99))
		}
	}
}

func TestFixedAndUniformLatency(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	if d := (Latency{Kind: LatencyFixed, Fixed: Duration(7 * time.Millisecond)}).Sample(rng); d != 7*time.Millisecond {
		t.Errorf("fixed: %v", d)
	}
	u := Latency{Kind: LatencyUniform, Min: Duration(10 * time.Millisecond), Max: Duration(20 * time.Millisecond)}
	var sum time.Duration
	for range 10_000 {
		d := u.Sample(rng)
		if d < 10*time.Millisecond || d > 20*time.Millisecond {
			t.Fatalf("uniform sample %v outside 10..20ms", d)
		}
		sum += d
	}
	if mean := sum / 10_000; mean < 14800*time.Microsecond || mean > 15200*time.Microsecond {
		t.Errorf("uniform mean %v, want ~15ms", mean)
	}
	if d := (Latency{}).Sample(rng); d != 0 {
		t.Errorf("no latency: %v", d)
	}
}

func TestDecisionsArePureFunctions(t *testing.T) {
	f, _ := FaultSpec{Kind: FaultCode, Code: 70500, Probability: 0.5}.Fault()
	l := Latency{Kind: LatencyUniform, Min: 0, Max: Duration(time.Second)}
	a, b := newDecider(7, l, []Fault{f}, []float64{0.5}), newDecider(7, l, []Fault{f}, []float64{0.5})
	other := newDecider(8, l, []Fault{f}, []float64{0.5})
	same, differ := 0, 0
	for i := range 1000 {
		x, y, z := a.decide("u"+strconv.Itoa(i), "p", 0), b.decide("u"+strconv.Itoa(i), "p", 0), other.decide("u"+strconv.Itoa(i), "p", 0)
		if x != y {
			t.Fatalf("same seed, same request, different decisions: %+v %+v", x, y)
		}
		if x == z {
			same++
		} else {
			differ++
		}
	}
	if differ < 900 {
		t.Errorf("another seed changed only %d of 1000 decisions", differ)
	}
	if x, y := a.decide("u", "p", 0), a.decide("u", "p", 1); x == y {
		t.Errorf("the next call of a pair drew the same decision: %+v", x)
	}
}

func TestScenarioValidation(t *testing.T) {
	for name, sc := range map[string]Scenario{
		"probabilities over 1": {Faults: []FaultSpec{{Kind: FaultReset, Probability: 0.7}, {Kind: FaultEmpty, Probability: 0.4}}},
		"unknown kind":         {Faults: []FaultSpec{{Kind: "meteor", Probability: 0.1}}},
		"undocumented code":    {Faults: []FaultSpec{{Kind: FaultCode, Code: 12345, Probability: 0.1}}},
		"4xx http fault":       {Faults: []FaultSpec{{Kind: FaultHTTP, Status: 404, Probability: 0.1}}},
		"bad lognormal":        {Latency: Latency{Kind: LatencyLognormal, P50: Duration(time.Second), P99: Duration(time.Millisecond)}},
		"bad ceiling code":     {CeilingCode: 70500},
	} {
		if err := sc.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, name := range BuiltinNames() {
		if err := Builtins[name].Validate(); err != nil {
			t.Errorf("built-in %s: %v", name, err)
		}
	}
}

func TestLoadScenarioFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	os.WriteFile(path, []byte(`{"latency": {"kind": "fixed", "fixed": "5ms"}, "faults": [{"kind": "code", "code": 70500, "probabilty": 0.1}]}`), 0o644)
	if _, err := LoadScenario(path); err == nil || !strings.Contains(err.Error(), "probabilty") {
		t.Errorf("a misspelt field: %v, want an error naming it", err)
	}
	os.WriteFile(path, []byte(`{"latency": {"kind": "fixed", "fixed": "5ms"}, "ceiling": -1}`), 0o644)
	sc, err := LoadScenario(path)
	if err != nil || time.Duration(sc.Latency.Fixed) != 5*time.Millisecond || sc.Ceiling != -1 || sc.Name != path {
		t.Errorf("LoadScenario = %+v, %v", sc, err)
	}
	if _, err := LoadScenario("no-such-scenario"); err == nil || !strings.Contains(err.Error(), "flaky") {
		t.Errorf("unknown name: %v, want an error listing the built-ins", err)
	}
}
