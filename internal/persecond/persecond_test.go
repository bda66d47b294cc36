package persecond_test

import (
	"testing"
	"time"

	"github.com/msgread/msgread/internal/persecond"
)

func TestCounterCountsClockSeconds(t *testing.T) {
	c := persecond.New(5)
	t0 := time.Unix(1000, 900e6)
	for i, at := range []time.Duration{0, 50, 99, 100, 3100} { // ms after t0
		n := c.Add(t0.Add(at * time.Millisecond))
		if want := []uint64{1, 2, 3, 1, 1}[i]; n != want {
			t.Errorf("event %d: count %d, want %d (a new clock second starts at 1001)", i, n, want)
		}
	}
	if c.Peak() != 3 {
		t.Errorf("peak %d, want 3", c.Peak())
	}
	got := c.Recent(t0.Add(3200 * time.Millisecond))
	want := []persecond.Count{{1000, 3}, {1001, 1}, {1002, 0}, {1003, 0}, {1004, 1}}
	if len(got) != len(want) {
		t.Fatalf("recent %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("recent %v, want %v", got, want)
			break
		}
	}
	// Ten seconds on, every second kept is older than the ring's five.
	if got := c.Recent(t0.Add(10 * time.Second)); got != nil {
		t.Errorf("recent after ten quiet seconds: %v, want none", got)
	}
	c.Reset()
	if c.Peak() != 0 || c.Recent(t0) != nil {
		t.Error("Reset kept counts")
	}
}
