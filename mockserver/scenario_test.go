package mockserver

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
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
		faults[i], probs[i] = f.Fault, f.Probability
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
			t.Errorf("fault %d (%s %+v): rate %.5f, want %.5f ± %.5f (4σ)", j, spec.Fault.Kind(), spec.Fault, got, p, 4*sigma)
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
	var f Fault = &CodeFault{Code: 70500}
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
		"probabilities over 1": {Faults: []FaultSpec{{Fault: &ResetFault{}, Probability: 0.7}, {Fault: &EmptyFault{}, Probability: 0.4}}},
		"a NaN probability":    {Faults: []FaultSpec{{Fault: &ResetFault{}, Probability: math.NaN()}}},
		"no fault":             {Faults: []FaultSpec{{Probability: 0.1}}},
		"undocumented code":    {Faults: []FaultSpec{{Fault: &CodeFault{Code: 12345}, Probability: 0.1}}},
		"4xx http fault":       {Faults: []FaultSpec{{Fault: &HTTPFault{Status: 404}, Probability: 0.1}}},
		"negative hang":        {Faults: []FaultSpec{{Fault: &HangFault{Max: -1}, Probability: 0.1}}},
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

// TestFaultsOwnTheirJSON: each registered kind reads its own fields from a
// scenario and writes them back; an unknown kind names the known ones.
func TestFaultsOwnTheirJSON(t *testing.T) {
	text := `[{"kind":"code","code":70500,"probability":0.01},{"kind":"http","status":503,"probability":0.02},` +
		`{"kind":"hang","max":"2s","probability":0.03},{"kind":"reset","probability":0.04},` +
		`{"kind":"empty","probability":0.05},{"kind":"malformed","probability":0.06}]`
	var specs []FaultSpec
	if err := json.Unmarshal([]byte(text), &specs); err != nil {
		t.Fatal(err)
	}
	want := []FaultSpec{{&CodeFault{70500}, 0.01}, {&HTTPFault{503}, 0.02}, {&HangFault{Duration(2 * time.Second)}, 0.03},
		{&ResetFault{}, 0.04}, {&EmptyFault{}, 0.05}, {&MalformedFault{}, 0.06}}
	for i := range want {
		if !reflect.DeepEqual(specs[i], want[i]) {
			t.Errorf("fault %d: %+v, want %+v", i, specs[i], want[i])
		}
	}
	back, _ := json.Marshal(specs)
	var again []FaultSpec
	if err := json.Unmarshal(back, &again); err != nil || !reflect.DeepEqual(again, specs) {
		t.Errorf("round trip: %s → %+v (%v)", back, again, err)
	}
	err := json.Unmarshal([]byte(`[{"kind":"meteor","probability":0.1}]`), &specs)
	if err == nil || !strings.Contains(err.Error(), "code, empty, hang, http, ignore, malformed, reset") {
		t.Errorf("unknown kind: %v", err)
	}
}
