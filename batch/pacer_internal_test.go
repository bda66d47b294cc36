package batch

import (
	"testing"
	"time"
)

// drive books and sends n calls, each asking at ask(i) and sent when the
// pacer says, and returns the send times.
func drive(p *Pacer, n int, ask func(i int) time.Time) []time.Time {
	var sent []time.Time
	for i := range n {
		at, _ := p.Next(ask(i))
		sent = append(sent, at)
	}
	return sent
}

func maxInWindow(sent []time.Time, window time.Duration) int {
	most := 0
	for i := range sent {
		n := 0
		for _, s := range sent {
			if !s.Before(sent[i]) && s.Sub(sent[i]) < window {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// TestPacerWindowNeverHoldsMoreThanTheRate asks in bursts, as late wake-ups
// produce them, and checks every window.
func TestPacerWindowNeverHoldsMoreThanTheRate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	p := NewPacer(Constant(5), t0, 10*time.Millisecond)
	sent := drive(p, 23, func(i int) time.Time { return t0.Add(time.Duration(i/4) * 300 * time.Millisecond) })
	for i, s := range sent {
		if s.Before(t0.Add(time.Duration(i/4) * 300 * time.Millisecond)) {
			t.Fatalf("call %d sent before it asked", i)
		}
	}
	if n := maxInWindow(sent, time.Second+10*time.Millisecond); n > 5 {
		t.Fatalf("a window holds %d calls, more than 5", n)
	}
}

// TestPacerHoldsTheRateExactly: asked constantly, the pacer sends at the
// rate, no faster and no slower.
func TestPacerHoldsTheRateExactly(t *testing.T) {
	t0 := time.Unix(1000, 0)
	p := NewPacer(Constant(200), t0, DefaultWindowSlack)
	now := t0
	sent := drive(p, 2000, func(int) time.Time { return now })
	for i := range sent {
		now = sent[i]
	}
	span := sent[len(sent)-1].Sub(sent[0]).Seconds()
	if r := float64(len(sent)-1) / span; r > 200 || r < 199 {
		t.Fatalf("%.2f calls/s, want 199-200", r)
	}
	if n := maxInWindow(sent, time.Second); n > 200 {
		t.Fatalf("%d calls in one second", n)
	}
}

func TestPacerCountsLateSendsWhenSent(t *testing.T) {
	t0 := time.Unix(1000, 0)
	p := NewPacer(Constant(2), t0, 0)
	at, slot := p.Next(t0)
	p.Sent(slot, at, t0.Add(1400*time.Millisecond)) // woke 1.4 s late
	p.Next(t0.Add(1500 * time.Millisecond))
	third, _ := p.Next(t0.Add(1500 * time.Millisecond))
	if want := t0.Add(2400 * time.Millisecond); third.Before(want) {
		t.Fatalf("third call at +%v, want at least +2.4s: one second after the first was really sent", third.Sub(t0))
	}
}

func TestPacerHugeRateNeedsNoWindow(t *testing.T) {
	if p := NewPacer(Constant(1e9), time.Now(), 0); len(p.ring) != 0 {
		t.Fatalf("a window of %d calls for an unlimited rate", len(p.ring))
	}
}

func TestPacerThrottleHalvesThenRecovers(t *testing.T) {
	now := time.Unix(1000, 0)
	p := NewPacer(Constant(200), now, 0)
	p.Throttle(now)
	if s := p.Stats(); s.Rate != 100 || s.Throttles != 1 {
		t.Fatalf("after a throttle: %+v, want rate 100", s)
	}
	now = now.Add(500 * time.Millisecond)
	p.Throttle(now) // within the cooldown: answers to calls sent before the drop
	if s := p.Stats(); s.Rate != 100 || s.Throttles != 1 {
		t.Fatalf("a throttle within the cooldown lowered the rate again: %+v", s)
	}
	now = now.Add(700 * time.Millisecond)
	p.Throttle(now)
	if s := p.Stats(); s.Rate != 50 || s.Lowest != 50 || s.Throttles != 2 {
		t.Fatalf("after the cooldown: %+v, want 50", s)
	}
	now = now.Add(2 * time.Second)
	p.recover(now)
	if s := p.Stats(); s.Rate != 70 { // +5 % of 200 a second
		t.Fatalf("2 s later: rate %v, want 70", s.Rate)
	}
	now = now.Add(time.Minute)
	p.recover(now)
	if s := p.Stats(); s.Rate != 200 {
		t.Fatalf("a minute later: rate %v, want back at the ceiling 200", s.Rate)
	}
}

func TestPacerWindowFollowsTheLoweredRate(t *testing.T) {
	now := time.Unix(1000, 0)
	p := NewPacer(Constant(10), now, 0)
	p.Throttle(now) // 5 a second
	sent := drive(p, 6, func(int) time.Time { return now })
	if sent[5].Before(sent[0].Add(time.Second)) {
		t.Fatalf("6th call at +%v; at 5 calls a second it must wait a second after the first", sent[5].Sub(sent[0]))
	}
}

func TestPacerFollowsTheProfile(t *testing.T) {
	t0 := time.Unix(1000, 0)
	p := NewPacer(Steps{Rates: []float64{10, 40}, Step: 10 * time.Second}, t0, 0)
	now := t0
	var sent []time.Time
	for now.Before(t0.Add(20 * time.Second)) {
		at, _ := p.Next(now)
		sent = append(sent, at)
		now = at
	}
	first, second := 0, 0
	for _, s := range sent {
		if s.Before(t0.Add(10 * time.Second)) {
			first++
		} else {
			second++
		}
	}
	if first < 95 || first > 101 || second < 390 || second > 401 {
		t.Fatalf("%d calls in the first 10 s at 10/s, %d in the next at 40/s", first, second)
	}
}

// TestBackoffCaps: with the largest jitter the waits are the exponential
// caps exactly, and with none they are zero: the jitter spans the range.
func TestBackoffCaps(t *testing.T) {
	top := func(n time.Duration) time.Duration { return n - 1 }
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, w := range want {
		if got := backoff(i+1, 100*time.Millisecond, time.Second, top); got != w*time.Millisecond {
			t.Errorf("retry %d: %v, want %v", i+1, got, w*time.Millisecond)
		}
		if got := backoff(i+1, 100*time.Millisecond, time.Second, func(time.Duration) time.Duration { return 0 }); got != 0 {
			t.Errorf("retry %d with no jitter: %v", i+1, got)
		}
	}
	if got := backoff(200, time.Second, time.Minute, top); got != time.Minute {
		t.Errorf("a late retry: %v, want the cap", got)
	}
}
