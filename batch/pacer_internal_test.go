package batch

import (
	"context"
	"testing"
	"time"
)

// TestPacerWindowNeverHoldsMoreThanTheRate books calls at bunched-up times,
// as late goroutine wake-ups produce them, and checks every window.
func TestPacerWindowNeverHoldsMoreThanTheRate(t *testing.T) {
	p := NewPacer(5, 10*time.Millisecond, nil, nil)
	t0 := time.Unix(1000, 0)
	// Requests arrive in bursts; the limiter is bypassed to test the window alone.
	var booked []time.Time
	for i := range 23 {
		now := t0.Add(time.Duration(i/4) * 300 * time.Millisecond) // 4 at once, every 300 ms
		at, _ := p.reserve(now)
		if at.Before(now) {
			t.Fatalf("call %d booked at %v, before it asked (%v)", i, at, now)
		}
		booked = append(booked, at)
	}
	for i := range booked {
		n := 0
		for _, b := range booked {
			if !b.Before(booked[i]) && b.Sub(booked[i]) < time.Second+10*time.Millisecond {
				n++
			}
		}
		if n > 5 {
			t.Fatalf("the window from call %d holds %d calls, more than 5", i, n)
		}
	}
}

func TestPacerCountsLateSendsWhenSent(t *testing.T) {
	p := NewPacer(2, 0, nil, nil)
	t0 := time.Unix(1000, 0)
	a, slot := p.reserve(t0)
	p.commit(slot, a, t0.Add(400*time.Millisecond)) // woke 400 ms late
	p.reserve(t0.Add(500 * time.Millisecond))
	third, _ := p.reserve(t0.Add(time.Second))
	if want := t0.Add(1400 * time.Millisecond); !third.Equal(want) {
		t.Fatalf("third call booked at +%v, want +1.4s: one second after the first was really sent", third.Sub(t0))
	}
}

func TestPacerWaitUsesItsClock(t *testing.T) {
	now := time.Unix(1000, 0)
	var slept []time.Duration
	p := NewPacer(1e9, 0, func() time.Time { return now }, func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		now = now.Add(d)
		return nil
	})
	p.ring = make([]time.Time, 3) // 3 calls a second, with an unlimited limiter
	for range 7 {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Calls 4 and 7 wait for the window: one second after calls 1 and 4.
	if len(slept) != 2 || slept[0] != time.Second || slept[1] != time.Second {
		t.Fatalf("slept %v, want [1s 1s]", slept)
	}
}

func TestPacerWaitCancelled(t *testing.T) {
	p := NewPacer(0.001, 0, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	p.Wait(ctx) // the first token is free
	cancel()
	if err := p.Wait(ctx); err == nil {
		t.Fatal("Wait returned nil after cancel")
	}
}

func TestPacerHugeRateNeedsNoWindow(t *testing.T) {
	if p := NewPacer(1e9, 0, nil, nil); len(p.ring) != 0 {
		t.Fatalf("a window of %d calls for an unlimited rate", len(p.ring))
	}
}

func TestPacerThrottleHalvesThenRecovers(t *testing.T) {
	now := time.Unix(1000, 0)
	p := NewPacer(200, 0, func() time.Time { return now }, nil)
	p.Throttle()
	if s := p.Stats(); s.Rate != 100 || s.Throttles != 1 {
		t.Fatalf("after a throttle: %+v, want rate 100", s)
	}
	now = now.Add(500 * time.Millisecond)
	p.Throttle() // within the cooldown: answers to calls sent before the drop
	if s := p.Stats(); s.Rate != 100 || s.Throttles != 1 {
		t.Fatalf("a throttle within the cooldown lowered the rate again: %+v", s)
	}
	now = now.Add(700 * time.Millisecond)
	p.Throttle()
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
	p := NewPacer(10, 0, func() time.Time { return now }, nil)
	p.Throttle() // 5 a second
	var booked []time.Time
	for range 6 {
		at, _ := p.reserve(now)
		booked = append(booked, at)
	}
	if !booked[5].Equal(booked[0].Add(time.Second)) {
		t.Fatalf("6th call at +%v; at 5 calls a second it must wait a second after the first", booked[5].Sub(booked[0]))
	}
}
