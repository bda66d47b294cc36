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
	// Length is how long the profile lasts: the end of its last step or
	// stage; zero when its last rate holds for ever.
	Length() time.Duration
	// Bounds returns the times its steps or stages change, for charts.
	Bounds() []time.Duration
}

// Constant is a steady rate.
type Constant float64

// Rate returns c.
func (c Constant) Rate(time.Duration) float64 { return float64(c) }

// Max returns c.
func (c Constant) Max() float64 { return float64(c) }

func (c Constant) String() string { return fmt.Sprintf("%g calls/s", float64(c)) }

// Length is zero: a constant rate holds for ever.
func (Constant) Length() time.Duration { return 0 }

// Bounds returns none.
func (Constant) Bounds() []time.Duration { return nil }

// Steps holds each rate for Step, then moves to the next. A load test ends
// with the last step; a run that still has rows holds the last rate.
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

// Length is the end of the last step.
func (s Steps) Length() time.Duration { return time.Duration(len(s.Rates)) * s.Step }

// Bounds returns the starts of the second and later steps.
func (s Steps) Bounds() []time.Duration {
	var out []time.Duration
	for i := 1; i < len(s.Rates); i++ {
		out = append(out, time.Duration(i)*s.Step)
	}
	return out
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

// Length is zero: the ramp's end rate holds for ever.
func (Ramp) Length() time.Duration { return 0 }

// Bounds returns the end of the ramp.
func (r Ramp) Bounds() []time.Duration { return []time.Duration{r.Over} }

func (r Ramp) String() string {
	return fmt.Sprintf("a ramp from %g to %g calls/s over %v", r.From, r.To, r.Over)
}

// Stage is one stage of a Stages profile: ramp to Target over For.
type Stage struct {
	Target float64
	For    time.Duration
}

// Stages ramps linearly to each stage's target over its time, k6-style,
// from 0 at the start; a stage of zero length jumps. The rate never goes
// below MinStageRate (a target of 0 means "as slow as the pacer goes"). A
// load test ends with the last stage; a run that still has rows holds the
// last target.
type Stages []Stage

// MinStageRate is the lowest rate a Stages profile asks for.
const MinStageRate = 1.0

// Rate returns the rate at elapsed, on the line from the previous stage's
// target to this one's.
func (st Stages) Rate(elapsed time.Duration) float64 {
	from, at := 0.0, time.Duration(0)
	for _, s := range st {
		if elapsed < at+s.For {
			r := from + (s.Target-from)*float64(elapsed-at)/float64(s.For)
			return max(r, MinStageRate)
		}
		from, at = s.Target, at+s.For
	}
	return max(from, MinStageRate)
}

// Max returns the highest target.
func (st Stages) Max() float64 {
	m := MinStageRate
	for _, s := range st {
		m = max(m, s.Target)
	}
	return m
}

// Length is the end of the last stage.
func (st Stages) Length() time.Duration {
	var d time.Duration
	for _, s := range st {
		d += s.For
	}
	return d
}

// Bounds returns the ends of all stages but the last.
func (st Stages) Bounds() []time.Duration {
	var out []time.Duration
	var at time.Duration
	for _, s := range st[:max(len(st)-1, 0)] {
		at += s.For
		out = append(out, at)
	}
	return out
}

func (st Stages) String() string {
	parts := make([]string, len(st))
	for i, s := range st {
		parts[i] = fmt.Sprintf("%g over %v", s.Target, s.For)
	}
	return "stages: " + strings.Join(parts, ", ") + " (calls/s)"
}

// ParseStages reads k6-style stages: "100:30s,200:1m,0:10s" ramps to 100
// calls/s over 30 s, then to 200 over a minute, then down over 10 s.
// Targets are finite and not negative; lengths not negative, and the whole
// longer than zero.
func ParseStages(s string) (Stages, error) {
	var st Stages
	parts := strings.Split(s, ",")
	for _, part := range parts {
		// A stage is named as typed, and within the whole when there are
		// several: an empty one ("100:10s,") says little on its own.
		name := fmt.Sprintf("stage %q", part)
		if len(parts) > 1 {
			name += fmt.Sprintf(" of %q", s)
		}
		target, length, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("%s is not TARGET:DURATION, such as 200:1m", name)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(target), 64)
		if err != nil || !(f >= 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s: the target rate %q is not a number of calls/s, 0 or more", name, strings.TrimSpace(target))
		}
		d, err := time.ParseDuration(strings.TrimSpace(length))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%s: the duration %q is not a length of time such as 30s or 1m", name, strings.TrimSpace(length))
		}
		st = append(st, Stage{Target: f, For: d})
	}
	if st.Length() <= 0 {
		return nil, fmt.Errorf("stages %q last no time at all", s)
	}
	return st, nil
}

// Errors of ParseProfile that a caller may want to explain with its own
// names for the step and the ramp's length. ParseProfile wraps them with
// the rate as given.
var (
	ErrNoStep     = errors.New("a rate in steps needs the length of a step")
	ErrNoRampSpan = errors.New("a ramp needs the time to ramp over")
)

// ParseProfile reads a rate: "200" (constant), "100,200,300" (steps of
// step), or "50:300" (a ramp over rampOver). Every rate must be a positive,
// finite number. Its errors quote s.
func ParseProfile(s string, step, rampOver time.Duration) (Profile, error) {
	num := func(what, v string) (float64, error) {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			if what == "" {
				return 0, fmt.Errorf("rate %q is not a positive number", v)
			}
			return 0, fmt.Errorf("rate %q in %s %q is not a positive number", v, what, s)
		}
		return f, nil
	}
	switch {
	case strings.Contains(s, ","):
		if step <= 0 {
			return nil, fmt.Errorf("steps %q: %w", s, ErrNoStep)
		}
		var rates []float64
		for _, part := range strings.Split(s, ",") {
			f, err := num("steps", part)
			if err != nil {
				return nil, err
			}
			rates = append(rates, f)
		}
		return Steps{Rates: rates, Step: step}, nil
	case strings.Contains(s, ":"):
		from, to, _ := strings.Cut(s, ":")
		a, err := num("ramp", from)
		if err != nil {
			return nil, err
		}
		b, err := num("ramp", to)
		if err != nil {
			return nil, err
		}
		if rampOver <= 0 {
			return nil, fmt.Errorf("ramp %q: %w", s, ErrNoRampSpan)
		}
		return Ramp{From: a, To: b, Over: rampOver}, nil
	}
	f, err := num("", s)
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

// book returns the intended time (since the start) of the next call, which
// the pacer booked for at; held says the pacer held it past when it was
// asked for (its rate or its window). A held call is meant when it goes:
// the schedule moves to it, so that only omission counts late. And no call
// is meant later than the pacer lets it go: the schedule's step has the
// window's slack in it, the limiter's not, and a schedule running behind
// would make latency from the intended send shorter than from the actual
// one.
func (s *schedule) book(at time.Duration, held bool) time.Duration {
	if held {
		s.next = at
	}
	s.next = min(s.next, at)
	return s.take()
}

// take returns the intended time (since the start) of the next call.
func (s *schedule) take() time.Duration {
	at := s.next
	r := s.profile.Rate(at)
	s.next += time.Duration(float64(time.Second+s.slack) / r)
	return at
}
