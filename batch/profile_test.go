package batch

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseProfile(t *testing.T) {
	tests := []struct {
		in      string
		at      []time.Duration
		want    []float64
		wantMax float64
	}{
		{"200", []time.Duration{0, time.Hour}, []float64{200, 200}, 200},
		{"100,200,300", []time.Duration{0, 29 * time.Second, 30 * time.Second, 65 * time.Second, time.Hour}, []float64{100, 100, 200, 300, 300}, 300},
		{"50:250", []time.Duration{0, 30 * time.Second, 60 * time.Second, 2 * time.Minute}, []float64{50, 150, 250, 250}, 250},
	}
	for _, tt := range tests {
		p, err := ParseProfile(tt.in, 30*time.Second, time.Minute)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		for i, at := range tt.at {
			if got := p.Rate(at); got != tt.want[i] {
				t.Errorf("%q at %v: %v, want %v", tt.in, at, got, tt.want[i])
			}
		}
		if p.Max() != tt.wantMax {
			t.Errorf("%q: max %v", tt.in, p.Max())
		}
	}
	for _, bad := range []string{"", "0", "-5", "fast", "100,x", "1:"} {
		if _, err := ParseProfile(bad, time.Second, time.Second); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseProfile("1,2", 0, 0); err == nil {
		t.Error("steps without --step accepted")
	}
}

func TestScheduleFollowsTheProfile(t *testing.T) {
	s := schedule{profile: Steps{Rates: []float64{10, 100}, Step: time.Second}}
	var at time.Duration
	n := 0
	for at < 2*time.Second {
		at = s.take()
		n++
	}
	// 10 calls in the first second, 100 in the second, and the first of the third.
	if n != 111 {
		t.Fatalf("%d calls due within 2 s of steps 10 then 100/s, want 111", n)
	}
}

func TestStages(t *testing.T) {
	st, err := ParseStages("100:30s, 200:1m,0:10s")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{{0, MinStageRate}, {15 * time.Second, 50}, {30 * time.Second, 100}, {60 * time.Second, 150}, {90 * time.Second, 200},
		{95 * time.Second, 100}, {100 * time.Second, MinStageRate}, {time.Hour, MinStageRate}} {
		if got := st.Rate(c.at); got != c.want {
			t.Errorf("at %v: %v, want %v", c.at, got, c.want)
		}
	}
	if st.Length() != 100*time.Second || st.Max() != 200 {
		t.Errorf("length %v, max %v", st.Length(), st.Max())
	}
	if b := st.Bounds(); len(b) != 2 || b[0] != 30*time.Second || b[1] != 90*time.Second {
		t.Errorf("bounds %v", b)
	}
	jump, _ := ParseStages("200:0s,200:10s")
	if jump.Rate(0) != 200 {
		t.Errorf("a stage of no length jumps: %v at 0", jump.Rate(0))
	}
	for _, bad := range []string{"", "100", "x:1s", "100:x", "-1:1s", "NaN:1s", "Inf:1s", "100:-1s", "100:0s", "100:1s,"} {
		if _, err := ParseStages(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	steps := Steps{Rates: []float64{100, 200, 300}, Step: 10 * time.Second}
	if steps.Length() != 30*time.Second || len(steps.Bounds()) != 2 {
		t.Errorf("steps: length %v, bounds %v", steps.Length(), steps.Bounds())
	}
}

// TestParseErrorsNameWhatWasTyped: every error of ParseProfile and
// ParseStages quotes the rate or the stages as given, not an example.
func TestParseErrorsNameWhatWasTyped(t *testing.T) {
	for _, tt := range []struct {
		in         string
		step, ramp time.Duration
		want       []string
	}{
		{"fast", time.Second, time.Second, []string{`"fast"`}},
		{"100,x", time.Second, time.Second, []string{`"x"`, `"100,x"`}},
		{"1,2", 0, time.Second, []string{`"1,2"`}},
		{"1:", time.Second, time.Second, []string{`""`, `"1:"`}},
		{"5:5", time.Second, 0, []string{`"5:5"`}},
		{"5:5", time.Second, -time.Second, []string{`"5:5"`}},
	} {
		_, err := ParseProfile(tt.in, tt.step, tt.ramp)
		if err == nil {
			t.Errorf("%q (step %v, ramp %v) accepted", tt.in, tt.step, tt.ramp)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q (step %v, ramp %v): %q does not name %s", tt.in, tt.step, tt.ramp, err, w)
			}
		}
		if strings.Contains(err.Error(), "50:300") {
			t.Errorf("%q: %q names an example, not the input", tt.in, err)
		}
	}
	if _, err := ParseProfile("5:5", time.Second, 0); !errors.Is(err, ErrNoRampSpan) {
		t.Errorf("a ramp with no span: %v, want ErrNoRampSpan", err)
	}
	if _, err := ParseProfile("1,2", 0, 0); !errors.Is(err, ErrNoStep) {
		t.Errorf("steps with no step: %v, want ErrNoStep", err)
	}
	for in, want := range map[string][]string{
		"100":           {`"100"`},
		"100:10s,":      {`""`, `"100:10s,"`},
		"x:10s,200:1m":  {`"x:10s"`, `"x"`, `"x:10s,200:1m"`},
		"100:10s,5:ten": {`"5:ten"`, `"ten"`},
		"100:0s,200:0s": {`"100:0s,200:0s"`},
	} {
		_, err := ParseStages(in)
		if err == nil {
			t.Errorf("stages %q accepted", in)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("stages %q: %q does not name %s", in, err, w)
			}
		}
	}
}
