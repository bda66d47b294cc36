package main

import (
	"flag"
	"time"

	"github.com/msgread/msgread/reports"
)

// thresholdFlags are the CI pass marks of "run" and "load".
type thresholdFlags struct {
	maxP99     time.Duration
	minRate    float64
	maxFailure float64
	maxGaveUp  int
}

// register adds the flags; withFailureRate adds --max-failure-rate as a
// threshold ("run" has it as its stop instead).
func (t *thresholdFlags) register(fs *flag.FlagSet, withFailureRate bool) {
	fs.DurationVar(&t.maxP99, "max-p99", 0, "threshold: the p99 latency at most this (load: from the intended send); 0 is off")
	fs.Float64Var(&t.minRate, "min-rate", 0, "threshold: the achieved rate at least this `fraction` of the target rate; 0 is off")
	fs.IntVar(&t.maxGaveUp, "max-gave-up", -1, "threshold: at most this many rows gave up; -1 is off")
	t.maxFailure = -1
	if withFailureRate {
		fs.Float64Var(&t.maxFailure, "max-failure-rate", -1, "threshold: at most this `fraction` of the rows sent failed or gave up; -1 is off")
	}
}

func (t *thresholdFlags) get(fromIntended bool) reports.Thresholds {
	th := reports.Thresholds{P99FromIntended: fromIntended}
	if t.maxP99 > 0 {
		th.MaxP99 = &t.maxP99
	}
	if t.minRate > 0 {
		th.MinRate = &t.minRate
	}
	if t.maxFailure >= 0 {
		th.MaxFailureRate = &t.maxFailure
	}
	if t.maxGaveUp >= 0 {
		th.MaxGaveUp = &t.maxGaveUp
	}
	return th
}
