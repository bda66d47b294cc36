package main

import (
	"flag"
	"math"
	"time"

	"github.com/msgread/msgread/reports/digest"
)

// thresholdFlags are the CI pass marks of "run" and "load".
type thresholdFlags struct {
	maxP99     time.Duration
	minRate    float64
	maxFailure float64
	maxGaveUp  int
	baseline   baselineFlags
}

// register adds the flags, the same in "run" and "load".
func (t *thresholdFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&t.maxP99, "max-p99", 0, "threshold: the p99 latency at most this (load: from the intended send); 0 or off: not checked")
	fs.Float64Var(&t.minRate, "min-rate", 0, "threshold: the achieved rate at least this `fraction` of the target rate; 0 or off: not checked")
	fs.IntVar(&t.maxGaveUp, "max-gave-up", -1, "threshold: at most this many `rows` gave up; -1 or off: not checked")
	fs.Float64Var(&t.maxFailure, "max-failed", -1, "threshold: at most this `fraction` of the rows sent failed or gave up, checked at the end\n(--max-failure-rate stops the run early instead); -1 or off: not checked")
	t.baseline.register(fs)
}

func (t *thresholdFlags) validate() error {
	switch {
	case t.maxP99 < 0:
		return usageError("--max-p99 must not be negative")
	case !(t.minRate >= 0) || math.IsInf(t.minRate, 0):
		return usageError("--min-rate must be a fraction of the target rate, 0 or more")
	case !(t.maxFailure == -1 || (t.maxFailure >= 0 && t.maxFailure <= 1)):
		return usageError("--max-failed must be a fraction from 0 to 1, or -1 for off")
	case t.maxGaveUp < -1:
		return usageError("--max-gave-up must be -1 (off) or more")
	}
	return t.baseline.validate()
}

func (t *thresholdFlags) get(fromIntended bool) digest.Thresholds {
	th := digest.Thresholds{P99FromIntended: fromIntended}
	if t.maxP99 > 0 {
		th.MaxP99 = &t.maxP99
	}
	if t.minRate > 0 {
		th.MinRate = &t.minRate
	}
	if t.maxFailure >= 0 {
		th.MaxFailed = &t.maxFailure
	}
	if t.maxGaveUp >= 0 {
		th.MaxGaveUp = &t.maxGaveUp
	}
	return th
}
