package batch

import (
	"time"

	"github.com/msgread/msgread/reports"
)

// PaceWindow is how far back a Pace looks: a resumed run's skipped rows,
// or the slow start of a ramp, fade out of it.
const PaceWindow = time.Minute

// Pace measures the rows a run works through (skipped ones left out) over
// the last PaceWindow, for an honest rate and ETA. It is a pure function
// of the Progress snapshots added, so it needs no clock. The zero Pace is
// ready to use; it is not safe for concurrent use.
type Pace struct {
	samples []paceSample // a second apart at least, oldest first
	latest  paceSample
}

type paceSample struct {
	at     time.Duration // since the run started
	worked int64         // rows finished, skipped ones left out
}

// Add records a snapshot of the run.
func (p *Pace) Add(s Progress) {
	p.latest = paceSample{s.Elapsed, s.Done - s.ByStatus[reports.StatusSkipped]}
	if n := len(p.samples); n == 0 || p.latest.at-p.samples[n-1].at >= time.Second {
		p.samples = append(p.samples, p.latest)
	}
	for len(p.samples) > 2 && p.latest.at-p.samples[1].at >= PaceWindow {
		p.samples = p.samples[1:]
	}
}

// Rate is the rows per second over the window; 0 until it spans a second.
func (p *Pace) Rate() float64 {
	if len(p.samples) == 0 {
		return 0
	}
	first := p.samples[0]
	span := (p.latest.at - first.at).Seconds()
	if span < 1 {
		return 0
	}
	return float64(p.latest.worked-first.worked) / span
}

// ETA is the time the remaining rows take at the window's rate, to the
// second; 0 when unknown or when nothing remains.
func (p *Pace) ETA(remaining int64) time.Duration {
	r := p.Rate()
	if r <= 0 || remaining <= 0 {
		return 0
	}
	return (time.Duration(float64(remaining)/r) * time.Second).Round(time.Second)
}
