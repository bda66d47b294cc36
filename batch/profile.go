package batch

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Profile is a rate that changes over a run: constant, steps or a linear
// ramp. Rate is a pure function of the time since the run started.
type Profile interface {
	// Rate returns the calls per second wanted at elapsed.
	Rate(elapsed time.Duration) float64
	// Max returns the highest rate of the profile.
	Max() float64
	// String describes the profile for banners.
	String() string
}

// Constant is a steady rate.
type Constant float64

// Rate returns c.
func (c Constant) Rate(time.Duration) float64 { return float64(c) }

// Max returns c.
func (c Constant) Max() float64 { return float64(c) }

func (c Constant) String() string { return fmt.Sprintf("%g calls/s", float64(c)) }

// Steps holds each rate for Step, then moves to the next; the last rate
// holds to the end.
type Steps struct {
	Rates []float64
	Step  time.Duration
}

// Rate returns the rate of the step elapsed falls in.
func (s Steps) Rate(elapsed time.Duration) float64 {
	i := 0
	if s.Step > 0 {
		i = int(elapsed / s.Step)
	}
	return s.Rates[min(i, len(s.Rates)-1)]
}

// Max returns the highest step.
func (s Steps) Max() float64 {
	m := 0.0
	for _, r := range s.Rates {
		m = max(m, r)
	}
	return m
}

func (s Steps) String() string {
	parts := make([]string, len(s.Rates))
	for i, r := range s.Rates {
		parts[i] = strconv.FormatFloat(r, 'g', -1, 64)
	}
	return fmt.Sprintf("steps of %v: %s calls/s", s.Step, strings.Join(parts, ", "))
}

// Ramp goes linearly from From to To over Over, then holds To.
type Ramp struct {
	From, To float64
	Over     time.Duration
}

// Rate returns the ramp's rate at elapsed.
func (r Ramp) Rate(elapsed time.Duration) float64 {
	if r.Over <= 0 || elapsed >= r.Over {
		return r.To
	}
	return r.From + (r.To-r.From)*float64(elapsed)/float64(r.Over)
}

// Max returns the higher end.
func (r Ramp) Max() float64 { return max(r.From, r.To) }

func (r Ramp) String() string {
	return fmt.Sprintf("a ramp from %g to %g calls/s over %v", r.From, r.To, r.Over)
}

// Errors of ParseProfile that a caller may want to explain with its own
// names for the step and the ramp's length.
var (
	ErrNoStep     = errors.New("a rate in steps needs the length of a step")
	ErrNoRampSpan = errors.New("a ramp needs the time to ramp over")
)

// ParseProfile reads a rate: "200" (constant), "100,200,300" (steps of
// step), or "50:300" (a ramp over rampOver). Every rate must be a positive,
// finite number.
func ParseProfile(s string, step, rampOver time.Duration) (Profile, error) {
	num := func(v string) (float64, error) {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("rate %q is not a positive number", v)
		}
		return f, nil
	}
	switch {
	case strings.Contains(s, ","):
		if step <= 0 {
			return nil, ErrNoStep
		}
		var rates []float64
		for _, part := range strings.Split(s, ",") {
			f, err := num(part)
			if err != nil {
				return nil, err
			}
			rates = append(rates, f)
		}
		return Steps{Rates: rates, Step: step}, nil
	case strings.Contains(s, ":"):
		from, to, _ := strings.Cut(s, ":")
		a, err := num(from)
		if err != nil {
			return nil, err
		}
		b, err := num(to)
		if err != nil {
			return nil, err
		}
		if rampOver <= 0 {
			return nil, ErrNoRampSpan
		}
		return Ramp{From: a, To: b, Over: rampOver}, nil
	}
	f, err := num(s)
	if err != nil {
		return nil, err
	}
	return Constant(f), nil
}

// schedule hands out the intended send time of each call of an open-model
// load: the k-th call is due when the profile's rate has "paid" for k calls.
// Latency measured from these times includes the time a call waited because
// workers ran out (the correction wrk2 makes for coordinated omission).
//
// The spacing includes the pacer's window slack, so that a run that keeps
// up with its pacer is never counted late.
type schedule struct {
	profile Profile
	slack   time.Duration
	next    time.Duration // since the start
}

// take returns the intended time (since the start) of the next call.
func (s *schedule) take() time.Duration {
	at := s.next
	r := s.profile.Rate(at)
	s.next += time.Duration(float64(time.Second+s.slack) / r)
	return at
}
