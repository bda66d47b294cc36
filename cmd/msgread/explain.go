package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/msgread/msgread/batch"
	"github.com/msgread/msgread/batch/chatapi"
	"github.com/msgread/msgread/reports/digest"
)

// The libraries speak of settings in words; only this file names the flags
// an operator turns, keyed by what the libraries report.

// checkFlags names the flags and variables behind each check of a fatal
// answer.
var checkFlags = map[chatapi.Check]string{
	chatapi.CheckKey:      "the key comes from " + secretKeyEnv + " or --secret-key-file",
	chatapi.CheckAdmin:    "--admin",
	chatapi.CheckRegion:   "--region or --endpoint, and --sdkappid",
	chatapi.CheckApp:      "--sdkappid",
	chatapi.CheckClock:    "--usersig-ttl",
	chatapi.CheckEndpoint: "--endpoint or --region",
	chatapi.CheckClient:   "--msg-read-time-json string or number",
}

// explain adds to a run's error the flags that set what it is about.
func explain(err error) error {
	var fatal *batch.FatalError
	var rate *batch.FailureRateError
	var grew *batch.InputGrew
	switch {
	case errors.As(err, &grew):
		return fmt.Errorf("%w (a --resume of its report sends it)", err)
	case errors.As(err, &fatal) && checkFlags[fatal.Check] != "":
		return fmt.Errorf("%w (%s)", err, checkFlags[fatal.Check])
	case errors.As(err, &rate):
		return fmt.Errorf("%w (--max-failure-rate and --min-rows set the limit)", err)
	}
	return err
}

// thresholdFlag names the flag of each threshold.
var thresholdFlag = map[string]string{
	"max_p99":     "--max-p99",
	"min_rate":    "--min-rate",
	"max_failed":  "--max-failed",
	"max_gave_up": "--max-gave-up",
	// A comparison with --baseline: its limit is the regression allowed.
	"baseline_p99":    "--max-regression",
	"baseline_rate":   "--max-regression",
	"baseline_failed": "--max-regression",
}

// describeBreaches words the breached thresholds by their flags.
func describeBreaches(breaches []digest.Verdict) []string {
	out := make([]string, 0, len(breaches))
	for _, b := range breaches {
		name := thresholdFlag[b.Name]
		if name == "" {
			name = strings.ReplaceAll(b.Name, "_", "-")
		}
		out = append(out, name+" "+b.LimitText+": "+b.Text)
	}
	return out
}

// profileError explains a --rate that does not parse, quoting rate as the
// user gave it.
func profileError(rate string, err error) error {
	switch {
	case errors.Is(err, batch.ErrNoStep):
		return usageError(fmt.Sprintf("--rate: the steps %q need a --step longer than zero", rate))
	case errors.Is(err, batch.ErrNoRampSpan):
		return usageError(fmt.Sprintf("--rate: a ramp %q needs a --ramp longer than zero (or, for load, a --duration) to ramp over", rate))
	}
	return usageErrorOf("--rate: ", err)
}
