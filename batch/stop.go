package batch

import (
	"context"
	"errors"

	"github.com/msgread/msgread/reports"
	"github.com/msgread/msgread/reports/digest"
)

// ending is how a run ended: the runner's error, the report's close, a row
// the run cannot account for (a bug), and the charts' write.
type ending struct {
	runErr, closeErr, accountErr, outputErr error
	explain                                 func(error) error
	// callbacksCut says how an interrupt cut short the delivery of the
	// bundled mock's callbacks after every row finished; "" if it did not.
	callbacksCut string
}

// err is the error the run ended with, nil when it ran to its end.
func (x ending) err() error {
	for _, err := range []error{x.accountErr, x.runErr, x.closeErr, x.outputErr} {
		if err != nil {
			return err
		}
	}
	return nil
}

// stopCodes maps the runner's errors to the summary's stop codes, in the
// order they are asked.
var stopCodes = []struct {
	is   func(error) bool
	code string
}{
	{isA[*FatalError], digest.StopFatalAnswer},
	{isA[*FailureRateError], digest.StopFailureRate},
	{isA[*reports.MismatchError], digest.StopResumeMismatch},
	{isA[*reports.LineError], digest.StopResumeMismatch},
	{isA[*UnreachableError], digest.StopUnreachable},
	{isA[*OutageError], digest.StopOutageBudget},
	{func(err error) bool { return errors.Is(err, ErrBadInput) }, digest.StopInputError},
}

func isA[E error](err error) bool {
	var target E
	return errors.As(err, &target)
}

// stop says why the run stopped early, in words meant for people; nil when
// it ran to its end.
func (x ending) stop() *digest.Stop {
	err := x.runErr
	var write *reports.WriteError
	switch {
	case x.accountErr != nil:
		return &digest.Stop{Code: digest.StopUnaccounted, Message: x.accountErr.Error()}
	case errors.As(err, &write) || (err == nil && errors.As(x.closeErr, &write)):
		return &digest.Stop{Code: digest.StopOutputError, Message: write.Error() +
			"; the report holds every row it shows, and a resume (once the cause is fixed) sends the rest"}
	case err == nil && x.closeErr != nil:
		return &digest.Stop{Code: digest.StopOutputError, Message: "writing the report: " + x.closeErr.Error()}
	case err == nil && x.outputErr != nil:
		return &digest.Stop{Code: digest.StopOutputError, Message: x.outputErr.Error() + " (the report is whole)"}
	case err == nil && x.callbacksCut != "":
		return &digest.Stop{Code: digest.StopInterrupted, Message: x.callbacksCut}
	case err == nil:
		return nil
	}
	switch code := StopCode(err); code {
	case digest.StopAborted:
		return &digest.Stop{Code: code, Message: "stopped by a second interrupt: the calls in flight were cut off; the report holds every row that finished, and a resume sends the rest"}
	case digest.StopInterrupted:
		return &digest.Stop{Code: code, Message: "interrupted: no new call started, the calls in flight finished, and the report holds every row that finished; a resume sends the rest"}
	case digest.StopOutputError:
		return &digest.Stop{Code: code, Message: "writing the report: " + err.Error()}
	default:
		if x.explain != nil {
			err = x.explain(err)
		}
		return &digest.Stop{Code: code, Message: err.Error()}
	}
}

// StopCode is the summary's stop code of the error an engine's run (a
// run's, a verification's) ended with: aborted, interrupted, the codes of
// its error types, output_error for any other (a sink that cannot be
// written); "" for nil.
func StopCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrAborted):
		return digest.StopAborted
	case errors.Is(err, context.Canceled):
		return digest.StopInterrupted
	}
	for _, c := range stopCodes {
		if c.is(err) {
			return c.code
		}
	}
	return digest.StopOutputError
}
