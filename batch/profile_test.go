package batch

import (
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
