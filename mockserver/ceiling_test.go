package mockserver

import (
	"testing"
	"time"
)

func TestCeilingStepsChangeAndRepeat(t *testing.T) {
	steps, err := ParseCeilingSteps("3:2s, 1:1s")
	if err != nil {
		t.Fatal(err)
	}
	c := newCeiling(200, steps)
	t0 := time.Unix(1000, 0)
	if got := c.at(t0, false); got != 3 {
		t.Fatalf("before the first call: %d, want the first step's 3", got)
	}
	// The first call starts the steps; each second's calls over the
	// step's limit are refused.
	for sec, want := range []int{3, 3, 1, 3, 3, 1} {
		now := t0.Add(time.Duration(sec) * time.Second)
		allowed := 0
		for range 5 {
			if c.allow(now) {
				allowed++
			}
		}
		if allowed != want {
			t.Errorf("second %d: %d calls allowed, want %d", sec, allowed, want)
		}
	}
}

func TestParseCeilingStepsRefusesNonsense(t *testing.T) {
	for _, bad := range []string{"", "200", "200:", ":20s", "0:20s", "-5:20s", "NaN:20s", "1.5:20s", "200:0s", "200:500ms", "200:20x", "200:20s,", "200:25h", "200:9223372036s"} {
		if _, err := ParseCeilingSteps(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := (Scenario{Name: "x", CeilingSteps: "200:1s,oops"}).Validate(); err == nil {
		t.Error("a scenario with bad ceiling_steps validated")
	}
}
